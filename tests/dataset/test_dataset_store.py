"""The dataset folder (dataset_builder/store.py): atomic commits, at most once per id, a manifest
that depends only on which ids are done, prompt-file parsing. Real files, real killed processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from comfyui_coco.dataset_builder.records import Item, build_record, item_id, parse_prompt_line
from comfyui_coco.dataset_builder.store import DatasetStore, verify

REPO = Path(__file__).resolve().parents[2]


def _record(n: int) -> tuple[dict, dict]:
    st = {"n": n}
    it = Item(item_id(f"prompt {n}", st), n, f"prompt {n}", st, f"print({n})", "python")
    rec = build_record(it, code=it.code, language="python", codegen={}, render={"layout": {}}, images={},
                       inspection=None, refine=None)
    return rec, {"draft": (b"\x89PNG fake %d" % n, 4, 4)}


def test_manifest_depends_only_on_the_ids_not_on_order_or_batching(tmp_path):
    recs = [_record(n) for n in range(40)]
    a, b = DatasetStore(tmp_path / "a", n_buckets=4), DatasetStore(tmp_path / "b", n_buckets=4)
    for rec, png in recs:
        a.add(dict(rec, images=a.put_images(rec["id"], png)))
    a.flush()
    for k, (rec, png) in enumerate(reversed(recs)):
        b.add(dict(rec, images=b.put_images(rec["id"], png)))
        if k % 7 == 0:
            b.flush()
    b.add(dict(recs[0][0], images=b.put_images(recs[0][0]["id"], recs[0][1]), code="changed"))  # a retried task
    b.flush()
    ma = json.loads((tmp_path / "a/manifest.json").read_text())
    mb = json.loads((tmp_path / "b/manifest.json").read_text())
    assert ma == mb and ma["counts"]["records"] == 40
    assert verify(tmp_path / "a") == [] and verify(tmp_path / "b") == []
    assert {r["id"]: r["code"] for r in b.records()}[recs[0][0]["id"]] == "print(0)"    # first commit wins


def test_a_failure_is_replaced_by_a_later_success(tmp_path):
    s = DatasetStore(tmp_path / "d")
    rec, png = _record(1)
    s.add_failure({"id": rec["id"], "stage": "render", "reason": "Timeout: slow"})
    s.flush()
    assert s.failed_ids() == {rec["id"]}
    assert s.append(rec, png) is True and s.append(rec, png) is False
    assert s.failed_ids() == set() and s.done_ids() == {rec["id"]} and not list((tmp_path / "d/failures").iterdir())


def test_prompt_lines_malformed_and_ok():
    ok = parse_prompt_line('{"prompt": "a sign", "text": ["OPEN"], "category": "sign"}', 3, {"x": 1}, "text_card")
    assert ok.expected_texts == ["OPEN"] and ok.meta == {"category": "sign"} and "OPEN" in ok.code
    assert ok.id == parse_prompt_line('{"category": "sign", "text": ["OPEN"], "prompt": "a sign"}', 9, {"x": 1},
                                      "text_card").id                          # the id ignores key order, line no.
    assert ok.id != parse_prompt_line('{"prompt": "a sign", "text": ["OPEN"]}', 3, {"x": 2}, "text_card").id
    for raw, why in (('{"prompt": ', "not JSON"), ("[1, 2]", "not a JSON object"), ('{"text": ["a"]}', "prompt"),
                     ('{"prompt": "p", "code": 5}', "'code'")):
        bad = parse_prompt_line(raw, 1, {}, None)
        assert bad.reason.startswith("malformed line") and why in bad.reason, (raw, bad.reason)
    assert parse_prompt_line("   ", 1, {}, None) is None and parse_prompt_line("# note", 1, {}, None) is None


WRITER = """
import sys, itertools
sys.path.insert(0, sys.argv[2])
from dataset_builder.records import Item, build_record, item_id
from dataset_builder.store import DatasetStore
s = DatasetStore(sys.argv[1], n_buckets=2)
big = "x" * 200000          # large records: a bucket rewrite takes long enough to be interrupted
for n in itertools.count(int(sys.argv[3])):
    it = Item(item_id(str(n), {}), n, str(n), {}, big, "python")
    rec = build_record(it, code=big, language="python", codegen={}, render={"layout": {}}, images={},
                       inspection=None, refine=None)
    s.append(rec, {"draft": (b"png%d" % n, 1, 1), "final": (b"fin%d" % n, 1, 1)})
    print(n, flush=True)
"""


def test_a_killed_writer_never_leaves_half_a_record(tmp_path):
    """SIGKILL a writer at arbitrary moments: every line in every bucket is a whole record with its
    images, no id twice; the next writer's recover() brings the manifest up to date. (Seen failing
    with a plain open(..., "w") rewrite of the bucket: truncated JSON line after the kill.)"""
    root = tmp_path / "crash"
    start = 0
    for k in range(6):
        p = subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(REPO), str(start)],
                             stdout=subprocess.PIPE, text=True)
        p.stdout.readline()
        time.sleep(0.15 + 0.11 * k)
        p.send_signal(signal.SIGKILL)
        out = p.communicate()[0].split()
        start += len(out) + 2
        for f in (root / "records").glob("*.jsonl"):
            ids = [json.loads(line)["id"] for line in f.read_text().splitlines()]   # raises on half a line
            assert len(ids) == len(set(ids))
        s = DatasetStore(root)
        s.recover()
        assert verify(root) == [], k
        assert not [n for n in os.listdir(root / "records") if n.startswith(".tmp-")]
    assert len(DatasetStore(root).records()) >= 6
