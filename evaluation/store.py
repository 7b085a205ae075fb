"""The results folder of a run: one JSON line per item in ``results.jsonl`` (appended and flushed
as each item ends, so a crash loses at most the item in flight), the item's files under
``items/<set>/<id>/``. A rerun reads the file and skips items already recorded; the last record
of an item wins (``--retry-failed`` appends a new one)."""

from __future__ import annotations

import json
import os
import re

RESULTS = "results.jsonl"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def key(set_name: str, item_id: str) -> str:
    return f"{set_name}/{item_id}"


class Store:
    def __init__(self, out_dir: str):
        self.out_dir = os.path.abspath(out_dir)
        os.makedirs(self.out_dir, exist_ok=True)
        self.path = os.path.join(self.out_dir, RESULTS)
        self.records: dict[str, dict] = {}
        self.bad_lines = 0
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        continue
                    try:
                        rec = json.loads(line)
                        self.records[key(rec["set"], rec["id"])] = rec
                    except (json.JSONDecodeError, KeyError, TypeError):
                        self.bad_lines += 1   # a line cut by a crash: that item runs again

    def done(self, set_name: str, item_id: str, retry_failed: bool = False) -> bool:
        rec = self.records.get(key(set_name, item_id))
        if rec is None or rec.get("status") == "error":   # a harness error (server down...) runs again
            return False
        return not (retry_failed and rec.get("status") != "ok")

    def item_dir(self, set_name: str, item_id: str) -> str:
        d = os.path.join(self.out_dir, "items", _SAFE.sub("_", set_name), _SAFE.sub("_", item_id))
        os.makedirs(d, exist_ok=True)
        return d

    def rel(self, path: str) -> str:
        return os.path.relpath(path, self.out_dir).replace(os.sep, "/")

    def append(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False, default=str)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.records[key(record["set"], record["id"])] = record

    def all(self) -> list[dict]:
        return list(self.records.values())
