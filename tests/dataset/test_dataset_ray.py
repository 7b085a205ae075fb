"""``python -m dataset_builder build`` on a real two-node Ray cluster (tests/dataset/conftest.py):
a few hundred drawing-only items complete although a worker node is killed mid-run (nothing lost,
nothing twice), a malformed line and a hostile program are recorded as failures while the rest
completes, and a run killed half-way and run again gives the same manifest as the run above.

The node-loss check was seen failing with ``--attempts 1`` (the items in flight on the dead node
become failures instead of being resubmitted)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from comfyui_coco.dataset_builder.store import DatasetStore, verify

REPO = Path(__file__).resolve().parents[2]
N = 200
CODE = ("from PIL import Image, ImageDraw\nimport os\nim = Image.new('RGB', (160, 80), 'white')\n"
        "d = ImageDraw.Draw(im)\nd.text((10, 30), 'item {i}', fill='black')\nim.save(os.path.join(output_dir, 'd.png'))\n")
HOSTILE = ("import socket\ndata = open('/etc/passwd', 'rb').read()\n"
           "socket.create_connection(('127.0.0.1', 9)).sendall(data)\n")


def _prompts(path: Path) -> Path:
    lines = [json.dumps({"prompt": f'a card that reads "item {i}"', "text": [f"item {i}"], "code": CODE.format(i=i)})
             for i in range(N)]
    lines.insert(57, '{"prompt": "an unterminated line')
    lines.insert(120, json.dumps({"prompt": "a hostile program", "code": HOSTILE}))
    path.write_text("\n".join(lines) + "\n")
    return path


def _build(cluster, prompts: Path, out: Path, *extra) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "dataset_builder", "build", str(prompts), str(out), "--address", cluster.address,
           "--timeout", "10", "--flush-every", "0.5", "--summary", f"{out}.summary.json", *extra]
    proc = subprocess.Popen(cmd, cwd=REPO, env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.summary_path = Path(f"{out}.summary.json")
    return proc


def _records_now(out: Path) -> int:
    try:
        return json.loads((out / "manifest.json").read_text())["counts"]["records"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return 0


def _wait_records(proc, out: Path, n: int, timeout: float = 240.0) -> None:
    deadline = time.monotonic() + timeout
    while _records_now(out) < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"only {_records_now(out)} records after {timeout} s"
        time.sleep(0.2)


def _finish(proc, timeout: float = 400.0) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(proc.summary_path.read_text())   # stdout also carries Ray's own messages


@pytest.fixture(scope="module")
def node_loss_run(ray_cluster, tmp_path_factory):
    d = tmp_path_factory.mktemp("ds")
    prompts, out = _prompts(d / "prompts.jsonl"), d / "full"
    proc = _build(ray_cluster, prompts, out)
    _wait_records(proc, out, N // 4)
    ray_cluster.kill_node2()
    return prompts, out, _finish(proc)


def test_losing_a_worker_node_loses_nothing_and_duplicates_nothing(node_loss_run):
    _, out, summary = node_loss_run
    assert summary["nodes"] == 2 and summary["slots"] == 2
    assert summary["actors_lost"] >= 1 and summary["resubmitted"] >= 1, summary
    assert verify(out) == []
    recs = DatasetStore(out, create=False).records()
    assert sorted(r["prompt"] for r in recs) == sorted(f'a card that reads "item {i}"' for i in range(N))
    assert len({r["id"] for r in recs}) == N
    r = recs[0]
    assert r["kinds"] == ["text_code"] and set(r["images"]) == {"draft", "mask"}
    assert r["inspection"]["inspector"] == "verify" and r["inspection"]["passed"] is True   # its "item i" is drawn
    assert os.path.getsize(out / r["images"]["draft"]["path"]) > 100


def test_malformed_line_and_hostile_code_are_failures_the_rest_completes(node_loss_run):
    _, out, summary = node_loss_run
    fails = sorted(DatasetStore(out, create=False).failures(), key=lambda f: f["stage"])
    assert [f["stage"] for f in fails] == ["parse", "render"], fails
    assert fails[0]["reason"].startswith("malformed line: not JSON") and fails[0]["line"] == 58
    assert fails[1]["prompt"] == "a hostile program" and fails[1]["reason"]
    assert "root:" not in json.dumps(fails)           # nothing of /etc/passwd came back
    assert summary["counts"]["records"] == N and summary["counts"]["failures"] == 2


def test_a_killed_run_resumed_gives_the_same_manifest(node_loss_run, ray_cluster):
    prompts, full, _ = node_loss_run
    ray_cluster.start_node2()
    out = full.parent / "resumed"
    proc = _build(ray_cluster, prompts, out, "--no-progress")
    _wait_records(proc, out, N // 3)
    proc.send_signal(signal.SIGKILL)                   # the driver dies without any clean-up
    proc.communicate()
    assert N // 3 <= _records_now(out) < N
    summary = _finish(_build(ray_cluster, prompts, out))
    assert summary["skipped_done"] >= N // 3
    assert (out / "manifest.json").read_bytes() == (full / "manifest.json").read_bytes()
    assert verify(out) == []
