"""The executor's contract (through the real sandbox pool unless the test says otherwise)."""

from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np
import pytest

from comfyui_coco.sandbox import (IsolationInfo, Limits, RenderResult, SandboxPool, detect_language, get_pool,
                                  render_inprocess)

LIM = Limits(timeout_s=10, cpu_s=8, memory_mb=1024)


@pytest.fixture(scope="module")
def pool():
    p = SandboxPool(limits=LIM)
    yield p
    p.close()


def px(im):
    return np.frombuffer(im.rgba, np.uint8).reshape(im.height, im.width, 4)


def test_output_dir_save(pool):
    r = pool.render("fig, ax = plt.subplots(figsize=(6, 4), dpi=100)\nax.bar(['a', 'b'], [1, 2])\n"
                    "plt.savefig(os.path.join(output_dir, 'chart.png'))\nplt.close()")
    assert r.ok, r.error
    assert len(r.images) == 1
    im = r.images[0]
    assert (im.width, im.height, im.source) == (600, 400, "output_dir/chart.png")
    assert len(im.rgba) == 600 * 400 * 4
    assert isinstance(r, RenderResult) and r.tier


def test_open_figure_is_captured(pool):
    r = pool.render("plt.figure(figsize=(3, 2), dpi=80)\nplt.plot([1, 3, 2])")
    assert r.ok, r.error
    assert [(i.width, i.height, i.source) for i in r.images] == [(240, 160, "figure 1")]
    assert px(r.images[0])[..., :3].std() > 5      # something was drawn


def test_show_then_close_is_captured(pool):
    r = pool.render("plt.figure(figsize=(2, 2), dpi=50)\nplt.plot([1, 2])\nplt.show()\nplt.close('all')")
    assert r.ok and r.images[0].source == "figure 1"


def test_images_in_save_order_and_pil(pool):
    code = ("plt.figure(figsize=(2, 1), dpi=50)\nplt.savefig(os.path.join(output_dir, 'b.png'))\n"
            "plt.figure(figsize=(1, 1), dpi=50)\nplt.savefig(os.path.join(output_dir, 'a.jpg'))\n"
            "im = Image.new('RGB', (30, 20), 'red')\nim.save(os.path.join(output_dir, 'sub', 'c.png')) "
            "if os.makedirs(os.path.join(output_dir, 'sub'), exist_ok=True) is None else None\n")
    r = pool.render(code)
    assert r.ok, r.error
    assert [i.source for i in r.images] == ["output_dir/b.png", "output_dir/a.jpg", "output_dir/sub/c.png"]
    assert [(i.width, i.height) for i in r.images] == [(100, 50), (50, 50), (30, 20)]
    assert tuple(px(r.images[2])[0, 0]) == (255, 0, 0, 255)


def test_relative_save_lands_in_output_dir(pool):
    r = pool.render("plt.figure(figsize=(1, 1), dpi=40)\nplt.savefig('rel.png')")
    assert r.ok and r.images[0].source == "output_dir/rel.png"


def test_preloaded_names(pool):
    names = ["os", "sys", "json", "re", "math", "random", "datetime", "collections", "itertools", "functools", "PIL",
             "Image", "np", "numpy", "matplotlib", "plt", "patches", "mpatches", "mcolors", "mticker", "mlines",
             "mpath", "patheffects", "gridspec", "transforms", "output_dir"]
    code = "missing = [n for n in %r if n not in globals()]\nassert not missing, missing\n" % names
    code += "assert matplotlib.get_backend().lower() == 'agg'\nassert os.path.isdir(output_dir)\nplt.figure()"
    r = pool.render(code)
    assert r.ok, (r.error, r.log)


def test_fixups(pool):
    code = ("    import numpy as np\n"            # first line indented (copy/paste artefact)
            "fig, ax = plt.subplots(figsize=(3, 2), dpi=50)\n"
            "with plt.xkcd():\n"
            "    ax.bar([1, 2], [3, 4], color='brick')\n"
            "ax.plot([1, 2], [1, 2], color='darkolive')\n"
            "ax.stem([1, 2], [1, 2], baseline='-')\n"
            "ax.legend(['x'], loc='top right')\n"
            "ax.scatter([1], [1], c='lightolive')\n"
            "plt.savefig(os.path.join(output_dir, 'f.png'))\n")
    r = pool.render(code)
    assert r.ok, (r.error, r.traceback)
    assert "legend loc 'top right'" in r.log


def test_markdown_fence_and_dedent(pool):
    code = "Here is the code:\n```python\n    plt.figure(figsize=(1, 1), dpi=30)\n    plt.plot([1, 2])\n```\nDone."
    r = pool.render(code)
    assert r.ok, (r.error, r.traceback)


def test_unknown_colour_is_replaced_with_a_log_line(pool):
    r = pool.render("plt.figure(figsize=(1, 1), dpi=30)\nplt.plot([1, 2], color='superdarkblue3')")
    assert r.ok, r.error
    assert "invalid colour 'superdarkblue3'" in r.log


def test_canvas_cap_names_the_setting(pool):
    r = pool.render("fig = plt.figure(figsize=(30, 30), dpi=100)\nplt.plot([1, 2])\n"
                    "plt.savefig(os.path.join(output_dir, 'x.png'))", limits=Limits(max_side=4096, max_megapixels=4))
    assert not r.ok and r.error_type == "CanvasTooLarge"
    assert "max_megapixels=4" in r.error and "3000x3000" in r.error
    r = pool.render("fig = plt.figure(figsize=(50, 1), dpi=100)", limits=Limits(max_side=4096, max_megapixels=40))
    assert r.error_type == "CanvasTooLarge" and "max_side=4096" in r.error
    # raising the limit lets the same code run
    r = pool.render("fig = plt.figure(figsize=(30, 30), dpi=100)\nplt.plot([1, 2])",
                    limits=Limits(max_megapixels=9.5, memory_mb=2048))
    assert r.ok and (r.images[0].width, r.images[0].height) == (3000, 3000)


def test_traceback_is_the_users_code_only(pool):
    code = ("import math\n"              # 1
            "\n"                         # 2
            "def scale(v):\n"            # 3
            "    return v * factor\n"    # 4
            "\n"                         # 5
            "vals = [1, 2]\n"            # 6
            "out = [scale(v) for v in vals]\n")  # 7
    r = pool.render(code)
    assert not r.ok and r.error_type == "RuntimeError"
    assert r.error == "NameError: name 'factor' is not defined (line 4)"
    assert r.error_line == 4
    assert "line 7" in r.traceback and "line 4" in r.traceback and "return v * factor" in r.traceback
    for bad in ("_runner", "sandbox", "site-packages", ".py\""):
        assert bad not in r.traceback


def test_line_numbers_survive_fixups(pool):
    code = "```python\n    x = 1\ny = 2\nz = undefined_name\n```"
    r = pool.render(code)
    assert r.error_line == 4 and "(line 4)" in r.error


def test_syntax_error(pool):
    r = pool.render("x = 1\ny = (\nplt.figure(")
    assert not r.ok and r.error_type == "SyntaxError" and r.error_line is not None
    assert r.error.startswith("SyntaxError")


def test_error_inside_library_points_at_user_line(pool):
    r = pool.render("fig, ax = plt.subplots()\n\nax.plot([1, 2], [1, 2, 3])\n")
    assert r.error_type == "RuntimeError" and r.error_line == 3
    assert r.error.startswith("ValueError")


def test_no_output(pool):
    r = pool.render("x = 1 + 1\nprint(x)")
    assert not r.ok and r.error_type == "NoOutput" and "2" in r.log


def test_system_exit_zero_still_collects(pool):
    r = pool.render("plt.figure(figsize=(1, 1), dpi=20)\nimport sys\nsys.exit(0)")
    assert r.ok


def test_log_capture_and_escape_stripping(pool):
    r = pool.render("print('hello \\x1b[31mred\\x1b[0m')\nimport warnings\nwarnings.warn('careful')\n"
                    "sys.stderr.write('err line\\n')\nplt.figure(figsize=(1, 1), dpi=20)")
    assert r.ok
    assert "hello red" in r.log and "careful" in r.log and "err line" in r.log and "\x1b" not in r.log


def test_log_cap(pool):
    r = pool.render("print('x' * 100000)\nplt.figure(figsize=(1, 1), dpi=20)", limits=Limits(max_log_bytes=1000))
    assert r.ok and len(r.log.encode()) < 1200 and "truncated" in r.log


def test_missing_glyphs_reported(pool):
    # Egyptian hieroglyphs: in no font we ship or install
    r = pool.render("plt.figure(figsize=(3, 1), dpi=50)\nplt.title('Pharaoh \\U00013000\\U00013001')")
    assert r.ok
    mg = r.layout["missing_glyphs"]
    assert mg and mg[0]["chars"] == "\U00013000\U00013001" and "Pharaoh" in mg[0]["text"] and mg[0]["font"]
    assert "missing glyphs" in r.log


def _has_cjk_font():
    import matplotlib.font_manager as fm
    return any("CJK" in f.name or "WenQuanYi" in f.name or "Droid Sans Fallback" in f.name
               for f in fm.fontManager.ttflist) or any(
        os.path.exists(p) for p in ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                                    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"))


@pytest.mark.skipif(not _has_cjk_font(), reason="no CJK font installed (apt-get install fonts-noto-cjk)")
def test_cjk_text_renders_without_missing_glyphs(pool):
    r = pool.render("plt.figure(figsize=(3, 1), dpi=50)\nplt.rcParams['font.sans-serif'] = ['SimHei']\n"
                    "plt.title('销售额 Sales 2024')")
    assert r.ok and r.layout["missing_glyphs"] == [], r.layout["missing_glyphs"]
    titles = [e for e in r.layout["elements"] if e["type"] == "text" and e["text"] == "销售额 Sales 2024"]
    assert titles


def test_pil_cjk_fallback_font(pool):
    r = pool.render("im = Image.new('RGB', (200, 60), 'white')\nd = ImageDraw.Draw(im)\n"
                    "f = ImageFont.truetype('arial.ttf', 20)\nd.text((5, 5), 'Hello', font=f, fill='black')\n"
                    "im.save(os.path.join(output_dir, 'p.png'))")
    assert r.ok, r.error
    assert "font 'arial.ttf' not found" in r.log


def test_no_state_leaks_between_jobs(pool):
    r1 = pool.render("plt.rcParams['axes.facecolor'] = 'red'\nLEAK = 42\nimport json\njson.LEAKED = 1\n"
                     "open(os.path.join(output_dir, 'keep.txt'), 'w').write('x')\nplt.figure(figsize=(1, 1))")
    assert r1.ok
    r2 = pool.render("assert plt.rcParams['axes.facecolor'] == 'white', plt.rcParams['axes.facecolor']\n"
                     "assert 'LEAK' not in globals()\nimport json\nassert not hasattr(json, 'LEAKED')\n"
                     "assert os.listdir(output_dir) == [], os.listdir(output_dir)\nassert plt.get_fignums() == []\n"
                     "plt.figure(figsize=(1, 1))")
    assert r2.ok, (r2.error, r2.log)


def test_inprocess_does_not_leak_rcparams():
    import matplotlib
    before = matplotlib.rcParams["axes.facecolor"]
    r = render_inprocess("plt.rcParams['axes.facecolor'] = 'red'\nplt.figure(figsize=(1, 1), dpi=20)")
    assert r.ok and "UNSANDBOXED" in r.tier
    assert matplotlib.rcParams["axes.facecolor"] == before


def test_inprocess_and_sandbox_agree(pool):
    code = ("fig, ax = plt.subplots(figsize=(4, 3), dpi=60)\nax.bar(['Q1', 'Q2', 'Q3'], [3, 5, 2], color='#4c72b0')\n"
            "ax.set_title('Revenue')\nfig.savefig(os.path.join(output_dir, 'r.png'))")
    a, b = render_inprocess(code), pool.render(code)
    assert a.ok and b.ok
    assert a.images[0].rgba == b.images[0].rgba
    assert a.text_mask == b.text_mask
    assert [e["text"] for e in a.layout["elements"] if e["type"] == "text"] == \
           [e["text"] for e in b.layout["elements"] if e["type"] == "text"]


def test_timeout_and_cpu_limit(pool):
    t = time.monotonic()
    r = pool.render("import time\ntime.sleep(60)", limits=Limits(timeout_s=1.5))
    assert r.error_type == "Timeout" and "timeout_s=1.5" in r.error
    assert time.monotonic() - t < 10
    r = pool.render("while True: pass", limits=Limits(timeout_s=30, cpu_s=1))
    assert r.error_type == "Timeout" and "cpu_s=1" in r.error
    assert pool.render("plt.figure(figsize=(1, 1))").ok


def test_memory_limit(pool):
    r = pool.render("x = np.zeros((1024, 1024, 600), np.uint8) + 1", limits=Limits(memory_mb=256))
    assert r.error_type == "MemoryLimit" and "memory_mb=256" in r.error
    assert pool.render("plt.figure(figsize=(1, 1))").ok


def test_killed_job_and_killed_worker_are_replaced():
    p = SandboxPool(limits=LIM)
    try:
        r = p.render("import signal\nos.kill(os.getpid(), signal.SIGSEGV)")
        assert not r.ok and r.error_type == "WorkerCrashed"
        assert p.render("plt.figure(figsize=(1, 1))").ok
        os.killpg(p._worker.proc.pid, signal.SIGKILL)
        p._worker.proc.wait(5)
        r = p.render("plt.figure(figsize=(1, 1))")
        assert r.ok and p.restarts == 1, (r.error_type, r.error)
    finally:
        p.close()


def test_worker_outlives_the_thread_that_started_it():
    import threading

    made = []

    def start_and_use():
        pool = SandboxPool(limits=LIM)  # the worker process is started by this thread
        assert pool.render("plt.figure(figsize=(1, 1))").ok
        made.append(pool)

    t = threading.Thread(target=start_and_use)
    t.start()
    t.join()
    p = made[0]
    try:
        pid = p._worker.proc.pid
        time.sleep(0.5)  # a parent-death signal tied to that thread would have fired by now
        assert p.render("plt.figure(figsize=(1, 1))").ok
        assert p._worker.proc.pid == pid and p.restarts == 0
    finally:
        p.close()


def test_worker_exits_when_its_owner_dies(tmp_path):
    """The worker must not outlive a ComfyUI that was killed (it ends on EOF of its pipe)."""
    import subprocess

    script = tmp_path / "owner.py"
    script.write_text(
        "import sys\n"
        "from comfyui_coco.sandbox import SandboxPool\n"
        "p = SandboxPool()\n"
        "assert p.render('plt.figure(figsize=(1, 1))').ok\n"
        "print(p._worker.proc.pid, flush=True)\n"
        "sys.stdin.read()\n")
    boot = ("import sys, runpy; sys.path.insert(0, %r); import conftest; runpy.run_path(%r, run_name='__main__')"
            % (os.path.dirname(os.path.dirname(__file__)), str(script)))
    owner = subprocess.Popen([sys.executable, "-c", boot], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    worker_pid = int(owner.stdout.readline())
    owner.kill()
    owner.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(worker_pid, signal.SIGKILL)
    pytest.fail("the sandbox worker outlived its owner")


def test_cancel_ends_a_running_job_and_the_pool_serves_on():
    p = SandboxPool(limits=Limits(timeout_s=60, cpu_s=60, memory_mb=1024))
    try:
        t0 = time.monotonic()
        r = p.render("while True:\n    pass\n", should_cancel=lambda: time.monotonic() - t0 > 0.5)
        assert not r.ok and r.error_type == "Cancelled", (r.error_type, r.error)
        assert p.restarts == 1  # the busy worker was killed, not left spinning
        assert p.render("plt.figure(figsize=(1, 1))").ok
    finally:
        p.close()


def test_thread_safety(pool):
    import concurrent.futures as cf
    code = "plt.figure(figsize=(1, 1), dpi=%d)\nplt.plot([1, 2])"
    with cf.ThreadPoolExecutor(4) as ex:
        rs = list(ex.map(lambda d: pool.render(code % d), [20, 30, 40, 50, 60, 70]))
    assert [r.images[0].width for r in rs] == [20, 30, 40, 50, 60, 70]


def test_isolation_info(pool):
    info = pool.isolation()
    assert isinstance(info, IsolationInfo)
    if sys.platform.startswith("linux"):
        assert info.tier == "strong" and info.enforces_files_network
        assert any(x.startswith("landlock") for x in info.layers) and any(x.startswith("seccomp") for x in info.layers)
        assert "strong" in info.description


def test_spawn_mode_reports_none_honestly():
    p = SandboxPool(limits=LIM, isolation="spawn")
    try:
        info = p.isolation()
        assert info.tier == "none" and not info.enforces_files_network
        r = p.render("plt.figure(figsize=(2, 1), dpi=30)")
        assert r.ok and r.tier.startswith("none") and r.images[0].width == 60
        r = p.render("import time\ntime.sleep(30)", limits=Limits(timeout_s=1))
        assert r.error_type == "Timeout"
        assert p.render("plt.figure(figsize=(1, 1), dpi=30)").ok
    finally:
        p.close()


def test_requested_strong_tier_is_refused_when_unavailable():
    # isolation="none" disables the kernel layers; "strong" on a machine that has them must work
    p = SandboxPool(limits=LIM, isolation="none")
    try:
        assert p.isolation().tier == "none"
        assert not p.isolation().enforces_files_network
        assert p.render("plt.figure(figsize=(1, 1))").ok
    finally:
        p.close()


def test_svg_language_and_detection(pool):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60"><rect width="120" height="60" fill="#f00"/></svg>'
    assert detect_language(svg) == "svg" and detect_language("```svg\n" + svg + "\n```") == "svg"
    assert detect_language("import matplotlib") == "python"
    r = pool.render(svg)
    assert r.ok and r.images[0].source == "svg" and (r.images[0].width, r.images[0].height) == (120, 60)
    assert tuple(px(r.images[0])[30, 60]) == (255, 0, 0, 255)
    r = pool.render("plt.figure()", language="svg")
    assert not r.ok


def test_bad_arguments_do_not_raise(pool):
    assert pool.render(123).error_type == "RuntimeError"
    assert pool.render("x", language="cobol").error_type == "RuntimeError"
    assert pool.render("x" * (2 * 1024 * 1024)).error_type == "RuntimeError"


def test_get_pool_is_a_singleton():
    assert get_pool() is get_pool()


def test_cli_render(tmp_path):
    import subprocess
    src = tmp_path / "c.py"
    src.write_text("plt.figure(figsize=(2, 1), dpi=50)\nplt.title('CLI')\n")
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    out = subprocess.run([sys.executable, "-m", "sandbox", "render", str(src), "-o", str(tmp_path / "o.png"),
                          "--layout", str(tmp_path / "l.json")], cwd=repo, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (tmp_path / "o.png").exists() and "CLI" in (tmp_path / "l.json").read_text()


class _BrokenPool(SandboxPool):
    """A pool whose job children fail to install Landlock (test hook in the worker config)."""
    break_from = 1

    def _config(self):
        cfg = super()._config()
        cfg["_test_break_landlock_from_child"] = self.break_from
        return cfg


MARKER_CODE = "open('/tmp/coco_failclosed_%s', 'w').write('ran')\nplt.figure(figsize=(1, 1))"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernel layers are Linux-only")
def test_fail_closed_when_a_required_layer_is_missing_from_the_start():
    p = _BrokenPool(limits=LIM, isolation="strong")
    flag = f"/tmp/coco_failclosed_{os.getpid()}a"
    try:
        r = p.render(MARKER_CODE % f"{os.getpid()}a")
        assert not r.ok and r.error_type == "WorkerCrashed" and "strong" in r.error
        assert not os.path.exists(flag)                     # nothing ran
        info = p.isolation()
        assert info.tier == "partial" and not info.enforces_files_network
    finally:
        p.close()
        if os.path.exists(flag):
            os.remove(flag)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="kernel layers are Linux-only")
def test_fail_closed_when_a_later_child_loses_a_layer():
    class P(_BrokenPool):
        break_from = 2
    p = P(limits=LIM)                                       # auto: the first child defines the tier
    flag = f"/tmp/coco_failclosed_{os.getpid()}b"
    try:
        assert p.isolation().tier == "strong"
        r = p.render(MARKER_CODE % f"{os.getpid()}b")       # child 1 (strong) runs it inside Landlock
        assert r.ok is False and r.error_type == "Forbidden"
        r = p.render(MARKER_CODE % f"{os.getpid()}b")       # child 2 has no Landlock: refused
        assert not r.ok and r.error_type == "WorkerCrashed" and "landlock" in r.error
        assert not os.path.exists(flag)
    finally:
        p.close()
        if os.path.exists(flag):
            os.remove(flag)
