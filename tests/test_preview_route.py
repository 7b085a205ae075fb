"""Live-server tests of the preview routes (nodes/routes.py): a good render, caps, ordering of
superseded requests, rate limit, approval of foreign code. Real ComfyUI, real sandbox."""

from __future__ import annotations

import base64
import io
import threading
import time
import uuid

import pytest

pytestmark = pytest.mark.timeout(180)

CHART = """\
fig, ax = plt.subplots(figsize=(4, 3), dpi=50)
ax.bar(["a", "b", "c"], [1, 3, 2])
ax.set_title("preview route")
fig.savefig(os.path.join(output_dir, "chart.png"))
"""

SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80">
<rect width="120" height="80" fill="#fff"/><text x="10" y="45" font-size="20">Hello</text></svg>"""


def _cid() -> str:
    return "test-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def srv(comfy_server):
    status, _ = comfy_server.get("/coco/isolation")
    assert status == 200, "the /coco/* routes are not registered (nodes/__init__.py ROUTE_MODULES needs 'routes')"
    return comfy_server


@pytest.fixture(scope="module")
def iso(srv):
    status, data = srv.get("/coco/isolation")
    assert status == 200, data
    return data


def _ready(srv, iso, code: str) -> str:
    """Where the sandbox does not enforce files/network, approve the test's own code first."""
    if not iso["enforces_files_network"]:
        status, data = srv.post("/coco/approve", {"code": code})
        assert status == 200 and data["approved"], data
    return code


def _png_size(data_url: str) -> tuple[int, int]:
    from PIL import Image

    assert data_url.startswith("data:image/png;base64,")
    im = Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1])))
    assert im.format == "PNG"
    return im.size


def test_isolation_route(iso):
    assert set(iso) >= {"tier", "enforces_files_network", "description"}
    assert isinstance(iso["enforces_files_network"], bool) and iso["tier"]


def test_good_render_returns_png_and_layout(srv, iso):
    code = _ready(srv, iso, CHART)
    status, r = srv.post("/coco/preview", {"code": code, "language": "python", "client_id": _cid(), "seq": 1},
                         timeout=60)
    assert status == 200, r
    assert r["ok"], r
    assert r["seq"] == 1 and r["stale"] is False
    assert _png_size(r["image"]) == (r["width"], r["height"]) == (200, 150)
    assert r["layout"]["canvas"] == {"width": 200, "height": 150} or r["layout"]["canvas"]["width"] == 200
    texts = [e.get("text") for e in r["layout"].get("elements", [])]
    assert "preview route" in texts, texts
    assert r["tier"]


def test_svg_render(srv, iso):
    code = _ready(srv, iso, SVG)
    status, r = srv.post("/coco/preview", {"code": code, "client_id": _cid(), "seq": 1}, timeout=60)
    assert status == 200 and r["ok"], r
    assert _png_size(r["image"]) == (120, 80)


def test_code_error_names_the_line(srv, iso):
    code = _ready(srv, iso, "fig, ax = plt.subplots()\nax.plot([1, 2])\nundefined_name + 1\n")
    status, r = srv.post("/coco/preview", {"code": code, "client_id": _cid(), "seq": 1}, timeout=60)
    assert status == 200, r
    assert r["ok"] is False and r["image"] is None
    assert r["error_line"] == 3, r
    assert "undefined_name" in (r["error"] or "") + (r["traceback"] or "")


def test_code_size_cap_413(srv):
    big = "# " + "x" * (64 * 1024) + "\n"
    status, r = srv.post("/coco/preview", {"code": big, "client_id": _cid(), "seq": 1})
    assert status == 413 and r["error"] == "code_too_large", r
    assert r["limit_bytes"] == 64 * 1024
    status, r = srv.post("/coco/preview", {"code": "x" * (300 * 1024), "client_id": _cid(), "seq": 1})
    assert status == 413 and r["error"] in ("body_too_large", "code_too_large"), r


def test_megapixel_request_above_cap_413(srv):
    status, r = srv.post("/coco/preview", {"code": CHART, "client_id": _cid(), "seq": 1, "max_megapixels": 64})
    assert status == 413 and r["error"] == "canvas_too_large", r


def test_oversized_canvas_refused_by_sandbox(srv, iso):
    # 40 x 40 inches at 100 dpi = 16 megapixels: over the preview cap (2 MP); refused before drawing.
    code = _ready(srv, iso, "fig = plt.figure(figsize=(40, 40), dpi=100)\nfig.text(0.5, 0.5, 'big')\n"
                            "fig.savefig(os.path.join(output_dir, 'big.png'))\n")
    status, r = srv.post("/coco/preview", {"code": code, "client_id": _cid(), "seq": 1}, timeout=60)
    assert status == 200, r
    assert r["ok"] is False and r["image"] is None
    assert r["error_type"] == "CanvasTooLarge", r


def test_bad_requests_400(srv):
    assert srv.post("/coco/preview", {"code": 5, "seq": 1})[0] == 400
    assert srv.post("/coco/preview", {"code": CHART, "seq": -1})[0] == 400
    assert srv.post("/coco/preview", {"code": CHART, "seq": 1, "language": "javascript"})[0] == 400
    status, r = srv.post("/coco/preview", {"code": "   ", "seq": 1, "client_id": _cid()})
    assert status == 400 and r["error"] == "empty_code"


def test_superseded_requests(srv, iso):
    """One render runs per client; a newer request replaces the waiting one, and old seqs are refused."""
    slow = _ready(srv, iso, "import time\ntime.sleep(2.5)\n" + CHART)
    fast_a = _ready(srv, iso, CHART.replace("preview route", "second"))
    fast_b = _ready(srv, iso, CHART.replace("preview route", "third"))
    cid = _cid()
    out: dict[int, tuple[int, dict]] = {}

    def send(seq, code):
        out[seq] = srv.post("/coco/preview", {"code": code, "client_id": cid, "seq": seq}, timeout=90)

    def wait_state(key, value):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, st = srv.get(f"/coco/preview_state?client_id={cid}")
            assert status == 200, st
            if st[key] == value:
                return st
            time.sleep(0.02)
        raise AssertionError(f"{key} never became {value}: {st}")

    t1 = threading.Thread(target=send, args=(10, slow))
    t1.start()
    wait_state("running_seq", 10)  # seq 10 renders now (it sleeps 2.5 s in the sandbox)
    t2 = threading.Thread(target=send, args=(11, fast_a))
    t2.start()
    st = wait_state("pending_seq", 11)  # seq 11 waits behind 10 ...
    assert st["running_seq"] == 10, st
    t3 = threading.Thread(target=send, args=(12, fast_b))
    t3.start()  # ... and 12 replaces it
    for t in (t1, t2, t3):
        t.join(120)

    s11, r11 = out[11]
    assert s11 == 409 and r11["error"] == "superseded" and r11["latest_seq"] == 12, r11
    s12, r12 = out[12]
    assert s12 == 200 and r12["ok"] and r12["seq"] == 12 and r12["stale"] is False, r12
    assert "third" in [e.get("text") for e in r12["layout"]["elements"]]
    s10, r10 = out[10]
    assert s10 == 200 and r10["seq"] == 10
    assert r10["stale"] is True  # rendered, but newer requests exist: the client must drop it
    # A request older than one already seen is refused at once.
    status, r = srv.post("/coco/preview", {"code": fast_a, "client_id": cid, "seq": 11})
    assert status == 409 and r["error"] == "superseded" and r["latest_seq"] == 12


def test_rate_limit_429(srv):
    cid = _cid()
    codes = []
    # Stale requests are answered without rendering, but they still count against the rate.
    srv.post("/coco/preview", {"code": "# x\n", "client_id": cid, "seq": 100})
    for _ in range(40):
        status, r = srv.post("/coco/preview", {"code": "# x\n", "client_id": cid, "seq": 1})
        codes.append(status)
        if status == 429:
            assert r["error"] == "rate_limited" and r["retry_after_s"] > 0, r
            break
    assert 429 in codes, codes
    assert set(codes) <= {409, 429, 403}, codes
    # Other clients are not affected.
    status, r = srv.post("/coco/preview", {"code": "# y\n", "client_id": _cid(), "seq": 0})
    assert status != 429, r


def test_approval_is_local_and_by_hash(srv, iso):
    code = f"# foreign code {uuid.uuid4().hex}\nfig, ax = plt.subplots(figsize=(2, 2), dpi=40)\n"
    status, st = srv.post("/coco/code_status", {"code": code})
    assert status == 200
    assert st["approved"] is False and st["generated_here"] is False
    assert st["needs_approval"] is (not iso["enforces_files_network"])
    if not iso["enforces_files_network"]:
        status, r = srv.post("/coco/preview", {"code": code, "client_id": _cid(), "seq": 1})
        assert status == 403 and r["error"] == "approval_required", r
    status, r = srv.post("/coco/approve", {"code": code})
    assert status == 200 and r["approved"] and r["code_sha256"] == st["code_sha256"]
    status, st2 = srv.post("/coco/code_status", {"code": code})
    assert st2["approved"] is True and st2["needs_approval"] is False
    # One changed character is different code: not approved.
    status, st3 = srv.post("/coco/code_status", {"code": code + " "})
    assert st3["approved"] is False
    status, r = srv.post("/coco/preview", {"code": code, "client_id": _cid(), "seq": 1}, timeout=60)
    assert status == 200, r


def test_foreign_code_refused_where_isolation_is_not_enforced(monkeypatch, tmp_path):
    """The policy branch a machine with a weak sandbox takes (this machine's may be strong): the
    route handlers on their own aiohttp app, with the isolation reported as not enforced."""
    import asyncio

    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from comfyui_coco.nodes import approval, routes
    from comfyui_coco.sandbox import IsolationInfo

    weak = IsolationInfo(tier="none", enforces_files_network=False, description="test: not enforced")
    monkeypatch.setattr(approval, "isolation", lambda: weak)
    monkeypatch.setattr(routes, "_service", routes.PreviewService())
    monkeypatch.setattr(approval, "_store_path", lambda: str(tmp_path / "approved.json"))

    async def scenario():
        app = web.Application()
        app.router.add_post("/coco/preview", routes.preview)
        app.router.add_post("/coco/approve", routes.approve)
        app.router.add_post("/coco/code_status", routes.code_status)
        async with TestClient(TestServer(app)) as client:
            r = await client.post("/coco/code_status", json={"code": CHART})
            st = await r.json()
            assert st["needs_approval"] is True and st["enforces_files_network"] is False
            r = await client.post("/coco/preview", json={"code": CHART, "client_id": "c", "seq": 1})
            body = await r.json()
            assert r.status == 403 and body["error"] == "approval_required"
            assert body["code_sha256"] == approval.code_hash(CHART)
            r = await client.post("/coco/approve", json={"code": CHART})
            assert r.status == 200
            r = await client.post("/coco/preview", json={"code": CHART, "client_id": "c", "seq": 2})
            body = await r.json()
            assert r.status == 200 and body["ok"] and body["seq"] == 2, body
            # Approved means this exact code only.
            r = await client.post("/coco/preview", json={"code": CHART + "\n", "client_id": "c", "seq": 3})
            assert r.status == 403

    asyncio.run(scenario())


def test_preview_follows_the_render_node_limits(srv, iso):
    """One set of limits (issue 10): a 3 MP canvas renders under the node's default 4 MP (the old
    hidden preview cap was 2 MP), and the request may carry the node's max_megapixels/timeout_s."""
    code = _ready(srv, iso, "fig = plt.figure(figsize=(20, 15), dpi=100)\nfig.text(0.5, 0.5, 'big')\n")
    status, r = srv.post("/coco/preview", {"code": code, "client_id": _cid(), "seq": 1}, timeout=60)
    assert status == 200 and r["ok"], r
    assert (r["width"], r["height"]) == (2000, 1500)
    status, r = srv.post("/coco/preview", {"code": code, "client_id": _cid(), "seq": 1, "max_megapixels": 2.5,
                                           "timeout_s": 20.0}, timeout=60)
    assert status == 200 and not r["ok"] and r["error_type"] == "CanvasTooLarge", r
    assert "max_megapixels" in r["fix"] and "CoCo Sandbox Render" in r["fix"]
    status, r = srv.post("/coco/preview", {"code": code, "client_id": _cid(), "seq": 1, "timeout_s": 301})
    assert status == 400 and "timeout_s" in r["message"], r


def test_side_limit_error_names_what_the_user_can_change(srv, iso):
    """A 5000 px wide canvas of 0.5 MP is refused by the fixed side limit: the fix must not say
    'raise max_megapixels', and no limit without a widget (max_side=, memory_mb=) is quoted."""
    code = _ready(srv, iso, "fig = plt.figure(figsize=(50, 1), dpi=100)\nfig.text(0.5, 0.5, 'wide')\n")
    status, r = srv.post("/coco/preview", {"code": code, "client_id": _cid(), "seq": 1}, timeout=60)
    assert status == 200 and not r["ok"] and r["error_type"] == "CanvasTooLarge", r
    assert "raise max_megapixels" not in r["fix"] and "4096 px" in r["fix"], r["fix"]
    assert "max_side=" not in r["error"] and "memory_mb=" not in r["error"], r["error"]


def test_trust_routes_on_a_weak_tier(monkeypatch, tmp_path):
    """/coco/trust_status, /coco/mark_typed and /coco/approve {texts}: typed and approved texts are
    trusted by exact hash, kept in the user-folder file only; bad bodies are refused."""
    import asyncio
    import json

    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from comfyui_coco.codegen.prompts import DEFAULT_SYSTEM_PROMPT
    from comfyui_coco.nodes import approval, routes
    from comfyui_coco.sandbox import IsolationInfo

    weak = IsolationInfo(tier="partial", enforces_files_network=False, description="test: not enforced")
    monkeypatch.setattr(approval, "isolation", lambda: weak)
    store = tmp_path / "approved.json"
    monkeypatch.setattr(approval, "_store_path", lambda: str(store))

    async def scenario():
        app = web.Application()
        for path, handler in (("/coco/trust_status", routes.trust_status), ("/coco/mark_typed", routes.mark_typed),
                              ("/coco/approve", routes.approve)):
            app.router.add_post(path, handler)
        async with TestClient(TestServer(app)) as client:
            async def status(texts):
                r = await client.post("/coco/trust_status", json={"texts": texts})
                assert r.status == 200
                return await r.json()

            st = await status(["typed prompt", "approved prompt", DEFAULT_SYSTEM_PROMPT, ""])
            assert [i["trust"] for i in st["items"]] == [None, None, "default", "default"]
            assert st["needs_approval"] is True and st["tier"] == "partial"
            assert (await client.post("/coco/mark_typed", json={"text": "typed prompt"})).status == 200
            assert (await client.post("/coco/approve", json={"texts": ["approved prompt"]})).status == 200
            st = await status(["typed prompt", "approved prompt", "typed prompt "])
            assert [i["trust"] for i in st["items"]] == ["typed", "approved", None]
            for bad in ({"texts": []}, {"texts": "x"}, {"texts": [1]}, {"texts": ["x"] * 17}):
                assert (await client.post("/coco/trust_status", json=bad)).status == 400
            assert (await client.post("/coco/mark_typed", json={"text": 5})).status == 400

    asyncio.run(scenario())
    data = json.loads(store.read_text())
    assert data["typed_sha256"] == [approval.code_hash("typed prompt")]
    assert data["approved_sha256"] == [approval.code_hash("approved prompt")]
