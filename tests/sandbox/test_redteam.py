"""Red team: malicious and pathological code against the real sandbox (Linux kernel layers).

Every snippet asserts its SPECIFIC safe outcome, then the same pool must still serve a normal
render. Fake secrets are planted in a world-readable temp dir and in the PARENT's environment (so
only the sandbox, not file permissions, can stop them); they must never appear in any part of any
result (log, error, traceback, layout, pixels, mask). Network targets are 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import socket
import stat
import tempfile
import threading
import time

import pytest

from comfyui_coco.sandbox import Limits, SandboxPool

pytestmark = pytest.mark.skipif(not os.sys.platform.startswith("linux"), reason="kernel layers are Linux-only")

MARK = "COCO-FAKE-SECRET-7f3a9c1e"
ENV_KEY = "COCO_FAKE_OPENAI_API_KEY"
LEAK_RGB = (13, 37, 201)   # a colour that only the private image has
FAST = Limits(timeout_s=4, cpu_s=3, memory_mb=768)
# slow, memory-touching cases get a small budget and more time (the CI machine may be loaded)
CASE_LIMITS = {"memory_gradual": Limits(timeout_s=15, cpu_s=10, memory_mb=192),
               "thread_bomb": Limits(timeout_s=10, cpu_s=8, memory_mb=256),
               "disk_fill_many_files": Limits(timeout_s=20, cpu_s=15, memory_mb=768),
               "disk_fill_one_file": Limits(timeout_s=15, cpu_s=10, memory_mb=768),
               "huge_stdout": Limits(timeout_s=15, cpu_s=10, memory_mb=768),
               "pil_resize_huge": Limits(timeout_s=15, cpu_s=10, memory_mb=768)}   # resizes, then refused at save


# ---------------------------------------------------------------------------------------------- fixtures

class Listener:
    """TCP + UDP listeners on 127.0.0.1 that count what reaches them."""

    def __init__(self):
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(16)
        self.tcp.settimeout(0.2)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.2)
        self.udp_port = self.udp.getsockname()[1]
        self.connections = 0
        self.datagrams = 0
        self._stop = False
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while not self._stop:
            try:
                c, _ = self.tcp.accept()
                self.connections += 1
                c.close()
            except OSError:
                pass
            try:
                self.udp.recvfrom(100)
                self.datagrams += 1
            except OSError:
                pass

    def close(self):
        self._stop = True
        self.tcp.close()
        self.udp.close()


@pytest.fixture(scope="module")
def world():
    root = tempfile.mkdtemp(prefix="coco-redteam-")
    os.chmod(root, 0o755)
    w = {"root": root}

    def put(rel, data, mode=0o644):
        p = os.path.join(root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        for d in _parents(os.path.dirname(p), root):
            os.chmod(d, 0o755)
        with open(p, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        os.chmod(p, mode)
        return p

    w["secret"] = put("home/.config/keys.txt", f"api_key={MARK}\n")
    w["ssh"] = put("home/.ssh/id_ed25519", f"-----BEGIN OPENSSH PRIVATE KEY-----\n{MARK}\n")
    w["comfy"] = os.path.join(root, "ComfyUI")
    w["settings"] = put("ComfyUI/user/default/comfy.settings.json", json.dumps({"api_key": MARK}))
    w["node"] = put("ComfyUI/custom_nodes/good/__init__.py", "NODE_CLASS_MAPPINGS = {}\n")
    w["target"] = put("ComfyUI/models/checkpoints/model.safetensors", b"\x00" * 64 + MARK.encode())
    w["secret_py"] = put("home/evil_import.py", f"X = '{MARK}'\n")
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), LEAK_RGB).save(buf, "PNG")
    w["png"] = put("ComfyUI/input/private.png", buf.getvalue())
    buf2 = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 100, 0)).save(buf2, "PNG")
    w["png_b64"] = base64.b64encode(buf2.getvalue()).decode()   # the caller's own inline image (not secret)
    w["unix"] = os.path.join(root, "s.sock")
    us = socket.socket(socket.AF_UNIX)
    us.bind(w["unix"])
    us.listen(1)
    w["unix_sock"] = us
    w["snapshot"] = _snapshot(root)
    yield w
    us.close()
    import shutil
    shutil.rmtree(root, ignore_errors=True)


def _parents(d, root):
    out = []
    while d.startswith(root) and d != root:
        out.append(d)
        d = os.path.dirname(d)
    return out


def _snapshot(root):
    snap = {}
    for r, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(r, n)
            st = os.lstat(p)
            data = open(p, "rb").read() if stat.S_ISREG(st.st_mode) else b""
            snap[p] = (st.st_mode, st.st_mtime_ns, st.st_uid, data)
    return snap


@pytest.fixture(scope="module")
def net():
    lis = Listener()
    yield lis
    lis.close()


@pytest.fixture(scope="module")
def pool(world):
    os.environ[ENV_KEY] = MARK          # the caller's environment holds an API key
    try:
        p = SandboxPool(limits=FAST)
        info = p.isolation()
        assert info.tier == "strong", info.description
        yield p
        p.close()
    finally:
        os.environ.pop(ENV_KEY, None)


def _blob(res):
    parts = [res.log or "", res.error or "", res.traceback or "", json.dumps(res.layout, ensure_ascii=False)]
    text = "\n".join(parts)
    pix = b"".join(im.rgba for im in res.images) + (res.text_mask or b"")
    return text, pix


def assert_no_leak(res):
    text, pix = _blob(res)
    assert MARK not in text
    assert MARK.encode() not in pix
    assert base64.b64encode(MARK.encode()).decode()[:20] not in text
    for im in res.images:
        px = memoryview(im.rgba)
        # the private image's colour never appears as a run of pixels
        needle = bytes(LEAK_RGB) + b"\xff"
        assert needle * 8 not in bytes(px), "private image pixels leaked"


HEALTHY = "fig, ax = plt.subplots(figsize=(2, 1), dpi=50)\nax.plot([0, 1], [1, 0])\n"


def assert_healthy(pool):
    r = pool.render(HEALTHY, limits=FAST)
    assert r.ok, (r.error_type, r.error, r.log)
    assert (r.images[0].width, r.images[0].height) == (100, 50)
    assert "landlock" in r.tier and "seccomp" in r.tier, r.tier


# ---------------------------------------------------------------------------------------------- cases
# (id, code template, expectation). The template is .format()ed with the world/net values.
# expectation: an error_type string, "ok" (must render, checks in `extra`), "notok" (any failure), or
# "contained" (image saves outside scratch are captured into it since issue 11: any outcome, and the
# checks below prove nothing was written outside).

DRAW = "\nfig = plt.figure(figsize=(2, 1), dpi=50); fig.text(0.1, 0.5, str(data)[:80])\n"
LEAKPIX = ("\nimport numpy as _np\nb = data if isinstance(data, bytes) else str(data).encode()\n"
           "arr = _np.frombuffer((b * 200)[:4000], _np.uint8).reshape(-1, 4)\n"
           "Image.fromarray(_np.ascontiguousarray(_np.broadcast_to(arr[:1000].reshape(25, 40, 4), (25, 40, 4))), 'RGBA')"
           ".save(os.path.join(output_dir, 'leak.png'))\n")

CASES = [
    # --- file reads
    ("read_secret_file", "data = open({secret!r}).read()" + LEAKPIX, "Forbidden"),
    ("read_ssh_key", "data = open({ssh!r}, 'rb').read()" + LEAKPIX, "Forbidden"),
    ("read_real_ssh_dir", "data = os.listdir('/root')" + DRAW, "Forbidden"),
    ("read_proc_self_environ", "data = open('/proc/self/environ','rb').read()" + LEAKPIX, "Forbidden"),
    ("read_parent_environ", "data = open(f'/proc/{{os.getppid()}}/environ','rb').read()" + LEAKPIX, "Forbidden"),
    ("read_pid1_environ", "data = open('/proc/1/environ','rb').read()" + LEAKPIX, "Forbidden"),
    ("read_etc_shadow", "data = open('/etc/shadow').read()" + DRAW, "Forbidden"),
    ("read_etc_passwd", "data = open('/etc/passwd').read()" + DRAW, "Forbidden"),
    ("list_comfy_tree", "data = os.listdir({comfy!r})" + DRAW, "Forbidden"),
    ("read_comfy_settings", "data = json.load(open({settings!r}))" + DRAW, "Forbidden"),
    ("read_repo_source", "data = open({repo_file!r}).read()" + DRAW, "Forbidden"),
    ("read_real_comfyui", "data = open({real_comfy!r}).read()" + DRAW, "Forbidden"),
    ("pathlib_read", "import pathlib\ndata = pathlib.Path({secret!r}).read_bytes()" + LEAKPIX, "Forbidden"),
    ("numpy_fromfile", "data = np.fromfile({secret!r}, dtype=np.uint8).tobytes()" + LEAKPIX, "Forbidden"),
    ("pil_open_private", "data = Image.open({png!r}).tobytes()" + LEAKPIX, "Forbidden"),
    ("plt_imread_private", "data = plt.imread({png!r})\nplt.imshow(data)", "Forbidden"),
    ("font_from_secret", "from matplotlib.font_manager import FontProperties\n"
                         "plt.figure(); plt.title('x', fontproperties=FontProperties(fname={secret!r}))", "notok"),
    ("read_proc_self_maps", "data = open('/proc/self/maps').read()" + DRAW, "Forbidden"),
    ("symlink_to_secret", "os.symlink({secret!r}, os.path.join(output_dir, 'l'))\n"
                          "data = open(os.path.join(output_dir, 'l')).read()" + LEAKPIX, "Forbidden"),
    ("hardlink_secret", "os.link({secret!r}, os.path.join(output_dir, 'h'))\n"
                        "data = open(os.path.join(output_dir, 'h')).read()" + LEAKPIX, "notok"),
    ("import_secret_module", "import importlib.util as u\ns = u.spec_from_file_location('e', {secret_py!r})\n"
                             "m = u.module_from_spec(s); s.loader.exec_module(m); data = m.X" + DRAW, "Forbidden"),
    ("linecache_swallows", "import linecache\ndata = linecache.getline({secret!r}, 1) or 'nothing'" + DRAW, "ok"),
    ("resvg_file_image", "import resvg_py\nsvg = '<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\">"
                         "<image href=\"file://{png}\" width=\"64\" height=\"64\"/></svg>'\n"
                         "png = resvg_py.svg_to_bytes(svg_string=svg)\n"
                         "open(os.path.join(output_dir, 'r.png'), 'wb').write(bytes(png))", "ok"),
    ("glob_home", "import glob\ndata = glob.glob('/root/*') + glob.glob('/home/*')\nassert data == [], data" + DRAW,
     "ok"),
    # --- writes / deletes outside the scratch dir
    ("overwrite_model", "open({target!r}, 'wb').write(b'pwned')", "Forbidden"),
    ("delete_model", "os.remove({target!r})", "Forbidden"),
    ("rename_model", "os.rename({target!r}, os.path.join(output_dir, 'm'))", "notok"),
    ("rmtree_comfy", "import shutil\nshutil.rmtree({comfy!r})", "Forbidden"),
    ("drop_custom_node", "open(os.path.join({comfy!r}, 'custom_nodes', 'evil.py'), 'w').write('import os')",
     "Forbidden"),
    ("drop_pth_site", "import sysconfig\nopen(os.path.join(sysconfig.get_paths()['purelib'], 'zz_evil.pth'),'w')"
                      ".write('import os')", "Forbidden"),
    ("chmod_model", "os.chmod({target!r}, 0o777)", "Forbidden"),
    ("chmod_scratch_file", "p = os.path.join(output_dir, 'x'); open(p, 'w').write('x'); os.chmod(p, 0o4777)",
     "Forbidden"),
    ("utime_model", "os.utime({target!r}, (0, 0))", "Forbidden"),
    ("truncate_model", "os.truncate({target!r}, 0)", "Forbidden"),
    ("chown_model", "os.chown({target!r}, 65534, 65534)", "Forbidden"),
    ("setxattr_model", "os.setxattr({target!r}, 'user.x', b'1')", "Forbidden"),
    ("mkdir_tmp", "os.mkdir('/tmp/coco_redteam_dir_{nonce}')", "contained"),
    ("write_tmp", "open('/tmp/coco_redteam_{nonce}.txt', 'w').write('x')", "Forbidden"),
    ("savefig_outside", "plt.plot([1, 2]); plt.savefig('/tmp/coco_redteam_{nonce}.png')", "contained"),
    ("pil_save_outside", "Image.new('RGB', (4, 4)).save(os.path.join({comfy!r}, 'input', 'x.png'))", "contained"),
    ("write_scratch_parent", "open(os.path.join(output_dir, '..', 'escape.txt'), 'w').write('x')", "Forbidden"),
    ("mknod_fifo", "os.mkfifo(os.path.join(output_dir, 'fifo'))", "Forbidden"),
    # --- network
    ("tcp_loopback", "import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)", "Forbidden"),
    ("urllib_loopback", "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:{port}/', timeout=2)",
     "Forbidden"),
    ("http_client", "import http.client\nc = http.client.HTTPConnection('127.0.0.1', {port}, timeout=2)\n"
                    "c.request('GET', '/')", "Forbidden"),
    ("comfy_api_8188", "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:8188/prompt', timeout=2)",
     "Forbidden"),
    ("dns_lookup", "import socket\nsocket.getaddrinfo('example.com', 80)", "notok"),
    ("udp_sendto", "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                   "s.sendto(b'x', ('127.0.0.1', {udp_port}))", "Forbidden"),
    ("socketpair", "import socket\nsocket.socketpair()", "Forbidden"),
    ("unix_socket", "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({unix!r})", "Forbidden"),
    ("asyncio_connect", "import asyncio\nasyncio.run(asyncio.open_connection('127.0.0.1', {port}))", "notok"),
    ("ctypes_socket", "import ctypes, ctypes.util\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                      "fd = libc.socket(2, 1, 0)\nassert fd == -1 and ctypes.get_errno() == 1, fd" + "\nplt.figure()",
     "ok"),
    ("raw_syscall_socket", "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                           "assert libc.syscall(41, 2, 1, 0) == -1\nplt.figure()", "ok"),
    ("io_uring_setup", "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nbuf = ctypes.create_string_buffer(256)\n"
                       "r = libc.syscall(425, 8, buf)\nassert r == -1 and ctypes.get_errno() == 1, r\nplt.figure()",
     "ok"),
    ("unknown_future_syscall", "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                               "r = libc.syscall(499, 0, 0)\nassert r == -1 and ctypes.get_errno() == 38\nplt.figure()",
     "ok"),
    # --- processes
    ("subprocess_run", "import subprocess\nsubprocess.run(['touch', {flag!r}])", "Forbidden"),
    ("os_system", "r = os.system('touch {flag}')\nassert r != 0, r\nplt.figure()", "ok"),
    ("os_popen", "data = os.popen('id').read()" + DRAW, "Forbidden"),
    ("os_fork", "pid = os.fork()\nif pid == 0: os._exit(0)", "Forbidden"),
    ("os_forkpty", "import pty\npty.fork()", "notok"),
    ("pty_spawn", "import pty\npty.spawn(['/bin/sh', '-c', 'touch {flag}'])", "notok"),
    ("posix_spawn", "os.posix_spawn('/usr/bin/touch', ['touch', {flag!r}], {{}})", "Forbidden"),
    ("posixsubprocess_fork_exec", "import _posixsubprocess, os\nr, w = os.pipe()\n"
     "_posixsubprocess.fork_exec([b'/bin/sh', b'-c', b'touch {flag}'], [b'/bin/sh'], True, (), None, None, "
     "-1, -1, -1, -1, -1, -1, r, w, False, False, -1, None, None, None, -1, None, False)", "Forbidden"),
    ("execv", "os.execv('/bin/sh', ['/bin/sh', '-c', 'touch {flag}'])", "notok"),
    ("multiprocessing", "import multiprocessing as mp\np = mp.Process(target=print)\np.start(); p.join()", "notok"),
    ("ctypes_fork", "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nr = libc.fork()\n"
                    "assert r == -1, r\nplt.figure()", "ok"),
    ("ctypes_clone_process", "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                             "assert libc.syscall(56, 17, 0, 0, 0, 0) == -1\nplt.figure()", "ok"),
    ("unshare_userns", "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                       "assert libc.unshare(0x10000000) == -1\nplt.figure()", "ok"),
    ("ptrace_parent", "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                      "assert libc.ptrace(16, os.getppid(), 0, 0) == -1\nplt.figure()", "ok"),
    ("process_vm_readv", "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                         "assert libc.syscall(310, os.getppid(), 0, 0, 0, 0, 0) == -1\nplt.figure()", "ok"),
    ("ctypes_load_secret", "import ctypes\nctypes.CDLL({secret!r})", "Forbidden"),
    ("setuid_root", "os.setuid(0)\nos.setgid(0)", "Forbidden"),
    # --- interpreter "escapes" (they gain nothing: the boundary is the kernel)
    ("subclasses_popen", "P = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'Popen'][0]\n"
                         "P(['touch', {flag!r}]).wait()", "Forbidden"),
    ("gc_scan_for_secrets", "import gc\ndata = [o for o in gc.get_objects() if isinstance(o, str) and "
                            "'FAKE_OPENAI' in o][:3]\nassert not data, data\nplt.figure()", "ok"),
    ("environ_dump", "data = dict(os.environ)\nassert os.environ.get('HOME') == '/nonexistent'\n"
                     "assert {env_key!r} not in data\nprint(data)\nplt.figure()", "ok"),
    ("frame_walk_forge_result", "import sys, struct, json\nf = sys._getframe()\nwhile f.f_back: f = f.f_back\n"
     "h = json.dumps({{'ok': True, 'images': [{{'width': 1, 'height': 1, 'source': 'x'}}]}}).encode()\n"
     "fake = b'CSB1' + struct.pack('<I', len(h)) + h + struct.pack('<Q', 4) + b'\\xff\\x00\\x00\\xff'\n"
     "for fd in range(0, 40):\n    try: os.write(fd, fake)\n    except OSError: pass\nos._exit(0)", "forged"),
    ("poison_modules", "import matplotlib.pyplot as p2\np2.savefig = None\nimport builtins\nbuiltins.print = None\n"
                       "plt.rcParams['lines.linewidth'] = 40\nplt.figure()", "ok"),
    # --- resources
    ("infinite_loop", "while True:\n    pass", "Timeout"),
    ("sleep_forever", "import time\ntime.sleep(1000)", "Timeout"),
    ("fork_bomb", "while True:\n    os.fork()", "Forbidden"),
    ("thread_bomb", "import threading, time\nts = []\nwhile True:\n"
                    "    t = threading.Thread(target=time.sleep, args=(100,)); t.start(); ts.append(t)", "resource"),
    ("memory_bytearray", "x = bytearray(10**11)", "MemoryLimit"),
    ("memory_numpy", "x = np.ones((60000, 60000))", "MemoryLimit"),
    ("memory_gradual", "l = []\nwhile True:\n    l.append(b'x' * 10**7)", "MemoryLimit"),
    ("figsize_huge", "fig = plt.figure(figsize=(1e5, 1e5))\nfig.savefig(os.path.join(output_dir, 'a.png'))",
     "CanvasTooLarge"),
    ("dpi_huge", "plt.plot([1, 2])\nplt.savefig(os.path.join(output_dir, 'a.png'), dpi=1e5)", "CanvasTooLarge"),
    ("figsize_huge_unsaved", "fig = plt.figure(figsize=(300, 300), dpi=100)\nplt.plot([1, 2])", "CanvasTooLarge"),
    ("pil_new_huge", "Image.new('RGB', (100000, 100000))", "CanvasTooLarge"),
    ("pil_resize_huge", "im = Image.new('RGB', (10, 10)).resize((6000, 6000))\n"
                        "im.save(os.path.join(output_dir, 'big.png'))", "CanvasTooLarge"),
    ("tight_layout_huge", "fig = plt.figure(figsize=(500, 2))\nplt.tight_layout()", "CanvasTooLarge"),
    ("disk_fill_one_file", "with open(os.path.join(output_dir, 'big.bin'), 'wb') as f:\n"
                           "    for _ in range(100): f.write(b'x' * 2**20)", "OutputTooLarge"),
    ("disk_fill_many_files", "for i in range(400):\n    with open(os.path.join(output_dir, f'f{{i}}.bin'), 'wb') as f:"
                             "\n        f.write(b'x' * 32 * 2**20)", "OutputTooLarge"),
    ("huge_stdout", "for i in range(200000):\n    print('spam' * 50)\nplt.figure()", "ok"),
    ("recursion", "def f(): return f()\nf()", "RuntimeError"),
    ("compile_bomb", "eval('(' * 200000 + ')' * 200000)", "notok"),
    ("too_many_images", "for i in range(20):\n    plt.figure(figsize=(1, 1), dpi=10)\n"
                        "    plt.savefig(os.path.join(output_dir, f'{{i}}.png'))", "OutputTooLarge"),
    # --- signals and the parent
    ("kill_parent", "import signal\nos.kill(os.getppid(), signal.SIGKILL)", "Forbidden"),
    ("kill_caller", "import signal\nos.kill({caller_pid}, signal.SIGTERM)", "Forbidden"),
    ("kill_all", "import signal\nos.kill(-1, signal.SIGKILL)", "Forbidden"),
    ("killpg_own", "import signal\nos.killpg(os.getpgid(0), signal.SIGKILL)", "Forbidden"),
    ("pidfd_parent", "os.pidfd_open(os.getppid())", "Forbidden"),
    ("os_exit", "os._exit(0)", "WorkerCrashed"),
    ("segfault", "import ctypes\nctypes.string_at(0)", "WorkerCrashed"),
    ("abort", "os.abort()", "WorkerCrashed"),
    ("tiocsti", "import fcntl, termios\nfcntl.ioctl(0, termios.TIOCSTI, b'x')", "notok"),
    # --- output smuggling
    ("ansi_osc_in_log", "print('\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31mred\\x9b31m')\nplt.figure()", "noescape"),
    ("write_stdout_fd", "os.write(1, b'CSB1' + b'\\xff' * 64)\nos.write(2, b'garbage')\nplt.figure()", "ok"),
]

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100">{}</svg>'
SVG_CASES = [
    ("svg_xxe", '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file://{secret}">]>' + SVG.format("<text y='20'>&x;</text>"),
     "UnsafeSVG"),
    ("svg_billion_laughs", '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
     '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>' + SVG.format("<text>&c;</text>"), "UnsafeSVG"),
    ("svg_image_file", SVG.format('<image href="file://{png}" width="64" height="64"/>'), "UnsafeSVG"),
    ("svg_image_path", SVG.format('<image xlink:href="{png}" width="64" height="64"/>'), "UnsafeSVG"),
    ("svg_image_http", SVG.format('<image href="http://127.0.0.1:{port}/x.png" width="9" height="9"/>'), "UnsafeSVG"),
    ("svg_script", SVG.format("<script>alert(1)</script><rect width='5' height='5'/>"), "UnsafeSVG"),
    ("svg_use_external", SVG.format('<use href="other.svg#x"/>'), "UnsafeSVG"),
    ("svg_css_import", SVG.format("<style>@import url(http://127.0.0.1:{port}/a.css);</style>"), "UnsafeSVG"),
    ("svg_css_font_file", SVG.format("<style>@font-face {{ font-family: x; src: url(file://{secret}); }}</style>"),
     "UnsafeSVG"),
    ("svg_fill_url_external", SVG.format('<rect width="9" height="9" fill="url(http://127.0.0.1:{port}/#g)"/>'),
     "UnsafeSVG"),
    ("svg_use_bomb", SVG.format('<defs><g id="a"><rect width="1" height="1"/><rect width="1" height="1"/>'
                                '<rect width="1" height="1"/></g>' + "".join(
                                    f'<g id="{chr(98 + i)}">' + f'<use href="#{chr(97 + i)}"/>' * 10 + "</g>"
                                    for i in range(6)) + '</defs><use href="#g"/>'), "UnsafeSVG"),
    ("svg_use_cycle", SVG.format('<g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g>'), "UnsafeSVG"),
    ("svg_huge_canvas", '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="5" height="5"/></svg>',
     "UnsafeSVG"),
    ("svg_huge_viewbox", '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 90000 90000"><rect width="5" height="5"/></svg>',
     "UnsafeSVG"),
    ("svg_xml_base", SVG.format('<g xml:base="file:///etc/"><rect width="5" height="5"/></g>'), "UnsafeSVG"),
    ("svg_onload_dropped", SVG.replace("<svg ", '<svg onload="alert(1)" ').format('<rect width="50" height="50" onclick="x()"/>'),
     "ok"),
    ("svg_foreign_object_dropped", SVG.format('<foreignObject width="50" height="50"><div>hi</div></foreignObject>'
                                              '<rect width="50" height="50" fill="#00f"/>'), "ok"),
    ("svg_data_uri_ok", SVG.format('<image href="data:image/png;base64,{png_b64}" width="64" height="64"/>'), "ok_svg"),
]


def _fmt(template, world, net, nonce, flag):
    return template.format(
        secret=world["secret"], ssh=world["ssh"], comfy=world["comfy"], settings=world["settings"],
        target=world["target"], secret_py=world["secret_py"], png=world["png"], png_b64=world["png_b64"],
        unix=world["unix"], port=net.port, udp_port=net.udp_port, nonce=nonce, flag=flag, env_key=ENV_KEY,
        caller_pid=os.getpid(),
        repo_file=os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "conftest.py")),
        real_comfy=_real_comfy_file())


def _real_comfy_file():
    from harness import comfy_dir
    return str(comfy_dir() / "main.py")


def test_case_count():
    assert len(CASES) + len(SVG_CASES) >= 60


@pytest.mark.parametrize("name,template,expect", CASES + SVG_CASES, ids=[c[0] for c in CASES + SVG_CASES])
def test_redteam(pool, world, net, tmp_path, name, template, expect):
    nonce = f"{os.getpid()}_{name}"
    flag = f"/tmp/coco_redteam_flag_{nonce}"
    code = _fmt(template, world, net, nonce, flag)
    lang = "svg" if name.startswith("svg_") else "python"
    zygote_pid = pool._worker.proc.pid if pool._worker else None
    before = (net.connections, net.datagrams)
    res = pool.render(code, language=lang, limits=CASE_LIMITS.get(name, FAST))
    desc = f"{name}: ok={res.ok} {res.error_type}: {res.error}\nlog={res.log[-800:]}"

    if expect in ("ok", "noescape", "ok_svg"):
        assert res.ok, desc
    elif expect == "notok":
        assert not res.ok, desc
    elif expect == "contained":
        assert res.ok or res.error_type in ("Forbidden", "NoOutput"), desc
    elif expect == "resource":
        assert not res.ok and res.error_type in ("RuntimeError", "MemoryLimit", "Timeout"), desc
    elif expect == "forged":
        # a forged frame written to any fd must not produce a result the child could not draw anyway,
        # and must not change the tier the caller is told about
        assert res.error_type in (None, "WorkerCrashed"), desc
        assert "landlock" in res.tier and "seccomp" in res.tier
    elif expect == "Forbidden" and "minimal-root" in res.tier and res.error_type == "RuntimeError":
        # the job's root holds only the allowed paths: the target does not even exist for it
        assert "No such file or directory" in (res.error or ""), desc
    else:
        assert not res.ok and res.error_type == expect, desc
        assert res.error and "\n" not in res.error

    # specific checks
    assert_no_leak(res)
    assert (net.connections, net.datagrams) == before, "a connection reached the loopback listener"
    assert not os.path.exists(flag), "a process was spawned"
    assert not os.path.exists(f"/tmp/coco_redteam_{nonce}.txt") and not os.path.exists(f"/tmp/coco_redteam_{nonce}.png")
    assert not os.path.exists(f"/tmp/coco_redteam_dir_{nonce}")
    assert _snapshot(world["root"]) == world["snapshot"], "planted files changed"
    if name == "huge_stdout":
        assert len(res.log.encode()) <= FAST.max_log_bytes + 200
        assert "truncated" in res.log
    if name == "noescape" or expect == "noescape":
        assert "\x1b" not in res.log and "\x07" not in res.log and "\x9b" not in res.log
        assert "red" in res.log
    if name in ("figsize_huge", "dpi_huge", "pil_new_huge"):
        assert "max_side" in res.error
    if name == "svg_huge_canvas":
        assert "max_side" in res.error
    if name in ("svg_onload_dropped", "svg_foreign_object_dropped"):
        assert "dropped" in res.log
    if name == "svg_data_uri_ok":
        # an inline image is fine (it is the caller's own data)
        assert res.images[0].width == 100
    if name == "environ_dump":
        assert "MPLBACKEND" in res.log
    if name == "poison_modules":
        assert res.images
    if zygote_pid is not None and name.startswith(("kill_", "ptrace", "pidfd")):
        assert pool._worker is not None and pool._worker.proc.pid == zygote_pid and pool._worker.alive()
    assert_healthy(pool)


def test_layers_cannot_be_skipped(pool):
    """Every result names the kernel layers its child installed (a silently missing layer cannot pass)."""
    r = pool.render(HEALTHY)
    for layer in ("no_new_privs", "landlock", "seccomp", "rlimits", "clean-env"):
        assert layer in r.tier
    if os.geteuid() == 0:
        assert "caps-dropped" in r.tier
    info = pool.isolation()
    assert info.enforces_files_network and info.tier == "strong"


def test_state_does_not_leak_after_poisoning(pool):
    r1 = pool.render("import matplotlib\nmatplotlib.rcParams['lines.linewidth'] = 77\nopen(os.path.join(output_dir, "
                     "'stay.txt'), 'w').write('x')\nGLOBAL_X = 1\nplt.figure()")
    assert r1.ok
    r2 = pool.render("import matplotlib\nassert matplotlib.rcParams['lines.linewidth'] != 77\n"
                     "assert os.listdir(output_dir) == []\nassert 'GLOBAL_X' not in globals()\nplt.figure()")
    assert r2.ok, (r2.error, r2.log)


def test_zygote_never_runs_user_code(pool):
    r = pool.render("print('pid', os.getpid(), 'ppid', os.getppid())\nplt.figure()")
    assert r.ok
    pid, ppid = [int(x) for x in r.log.split()[1::2][:2]]
    assert ppid == pool._worker.proc.pid and pid != ppid


def test_killed_zygote_is_replaced(world):
    p = SandboxPool(limits=FAST)
    try:
        assert p.render(HEALTHY).ok
        os.killpg(p._worker.proc.pid, signal.SIGKILL)
        time.sleep(0.2)
        r = p.render(HEALTHY)
        # the dead worker is noticed and replaced; the next job succeeds
        if not r.ok:
            assert r.error_type == "WorkerCrashed"
            r = p.render(HEALTHY)
        assert r.ok and p.restarts >= 1
    finally:
        p.close()
