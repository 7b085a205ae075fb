"""Test harness: a real ComfyUI (the one dev/bootstrap.sh installs) with this pack mounted.

Used by tests/conftest.py as fixtures, and by dev/demo.py, so the demo and the tests start the
server the same way.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACK_NAME = "ComfyUI-CoCo"


def comfy_dir() -> Path:
    return Path(os.environ.get("COCO_COMFYUI_DIR", REPO / ".cache" / "comfyui")).resolve()


def free_port() -> int:
    """A free port below the kernel's ephemeral range. A port from bind(0) is an ephemeral one, and
    a client connecting to it before the server listens can be given that same port as its own
    source port and connect to itself (TCP simultaneous open)."""
    import random

    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError):
        low = 32768
    candidates = list(range(max(1024, low - 8000), low))
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ComfyServer:
    """A ComfyUI server process on 127.0.0.1 with the pack mounted through extra_model_paths.

    Everything it writes (models, input, output, temp, user, logs) lives under ``root``.
    """

    def __init__(self, root: Path | None = None, extra_args: list[str] | None = None, env: dict | None = None):
        self.root = Path(root or tempfile.mkdtemp(prefix="coco-comfy-"))
        self.port = free_port()
        self.extra_args = extra_args or []
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.log_path = self.root / "server.log"
        for sub in ("custom_nodes", "models", "input", "output", "temp", "user"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        link = self.root / "custom_nodes" / PACK_NAME
        if not link.exists():
            link.symlink_to(REPO, target_is_directory=True)
        self.models = self.root / "models"
        self.output = self.root / "output"
        self.input = self.root / "input"
        self.user = self.root / "user"
        cfg = self.root / "extra_model_paths.yaml"
        # One entry mounts the pack and points every model folder at the test's own models dir.
        cfg.write_text(
            "coco_test:\n"
            f"  base_path: {self.root}\n"
            "  custom_nodes: custom_nodes\n"
            "  coco: models/coco\n"
            "  LLM: models/LLM\n"
            "  vae: models/vae\n"
            "  checkpoints: models/checkpoints\n"
            "  diffusion_models: models/diffusion_models\n"
            "  text_encoders: models/text_encoders\n"
            "  loras: models/loras\n"
        )
        self.config = cfg

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 180.0) -> "ComfyServer":
        cmd = [
            sys.executable, str(comfy_dir() / "main.py"),
            "--cpu", "--listen", "127.0.0.1", "--port", str(self.port),
            "--extra-model-paths-config", str(self.config),
            "--output-directory", str(self.output),
            "--input-directory", str(self.input),
            "--temp-directory", str(self.root / "temp"),
            "--user-directory", str(self.user),
            "--database-url", "sqlite:///:memory:",
            "--disable-auto-launch",
            *self.extra_args,
        ]
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=str(comfy_dir()), stdout=log, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ComfyUI exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/system_stats", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"ComfyUI did not serve within {timeout}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the server by its own process id (and its process group: sandbox workers)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # ---- HTTP client -------------------------------------------------------------------------

    def request(self, method: str, path: str, body=None, timeout: float = 30.0):
        """Returns (status, parsed JSON or raw bytes)."""
        data = None
        headers = {}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, raw, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, raw, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        if "json" in ctype:
            return status, json.loads(raw)
        return status, raw

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, body, **kw):
        return self.request("POST", path, body, **kw)

    def object_info(self, node: str | None = None) -> dict:
        status, data = self.get("/object_info" + (f"/{node}" if node else ""))
        assert status == 200, data
        return data

    def queue(self, prompt: dict, client_id: str | None = None) -> tuple[int, dict]:
        body = {"prompt": prompt, "client_id": client_id or uuid.uuid4().hex}
        return self.post("/prompt", body)

    def wait(self, prompt_id: str, timeout: float = 300.0) -> dict:
        """Poll /history until the prompt finished; returns its history entry."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, hist = self.get(f"/history/{prompt_id}")
            if status == 200 and prompt_id in hist:
                entry = hist[prompt_id]
                st = entry.get("status", {})
                if st.get("completed") or st.get("status_str") in ("success", "error"):
                    return entry
            if not self.alive():
                raise RuntimeError(f"ComfyUI died:\n{self.log_tail()}")
            time.sleep(0.2)
        raise TimeoutError(f"prompt {prompt_id} not done after {timeout}s:\n{self.log_tail()}")

    def run(self, prompt: dict, timeout: float = 300.0) -> dict:
        status, data = self.queue(prompt)
        assert status == 200, data
        return self.wait(data["prompt_id"], timeout)

    def view(self, image: dict) -> bytes:
        q = urllib.parse.urlencode({k: image[k] for k in ("filename", "subfolder", "type")})
        status, raw = self.get("/view?" + q)
        assert status == 200, raw
        return raw

    def interrupt(self) -> None:
        self.post("/interrupt", {})

    def free(self, unload_models: bool = True, free_memory: bool = True) -> None:
        self.post("/free", {"unload_models": unload_models, "free_memory": free_memory})


def history_messages(entry: dict) -> list:
    return entry.get("status", {}).get("messages", [])


def execution_error(entry: dict) -> dict | None:
    for kind, payload in history_messages(entry):
        if kind == "execution_error":
            return payload
    return None


def cached_nodes(entry: dict) -> list[str]:
    for kind, payload in history_messages(entry):
        if kind == "execution_cached":
            return list(payload.get("nodes", []))
    return []


def images_of(entry: dict) -> list[dict]:
    out = []
    for node_out in entry.get("outputs", {}).values():
        out.extend(node_out.get("images", []))
    return out


class EventStream:
    """Websocket listener for one client id (progress, executing, progress_text...)."""

    def __init__(self, server: ComfyServer):
        import websocket  # websocket-client

        self.client_id = uuid.uuid4().hex
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/ws?clientId={self.client_id}", timeout=5)
        self.events: list = []  # (type, data) for JSON, ("binary", bytes) for binary frames

    def drain_until(self, predicate, timeout: float = 120.0) -> list:
        import websocket

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                op, data = self.ws.recv_data()
            except websocket.WebSocketTimeoutException:
                continue
            if op == 0x1:
                msg = json.loads(data)
                ev = (msg.get("type"), msg.get("data"))
            else:
                ev = ("binary", data)
            self.events.append(ev)
            if predicate(ev):
                return self.events
        raise TimeoutError(f"no matching websocket event in {timeout}s; got {[e[0] for e in self.events][-20:]}")

    def close(self):
        self.ws.close()


TEXT_FRAME = 3  # server.BinaryEventTypes.TEXT: a node's progress_text frame


def progress_texts(events: list, node_id: str) -> list[str]:
    """The progress_text frames (streamed text) one node sent, in order."""
    import struct

    out = []
    for kind, data in events:
        if kind != "binary" or len(data) < 8:
            continue
        (etype,) = struct.unpack(">I", data[:4])
        if etype != TEXT_FRAME:
            continue
        (n,) = struct.unpack(">I", data[4:8])
        if data[8:8 + n].decode() == node_id:
            out.append(data[8 + n:].decode("utf-8", "replace"))
    return out


def prompt_finished(prompt_id: str):
    """An EventStream predicate: the server finished executing this prompt."""
    return lambda ev: (ev[0] == "executing" and ev[1] and ev[1].get("node") is None
                       and ev[1].get("prompt_id") == prompt_id)
