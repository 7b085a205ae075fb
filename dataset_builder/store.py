"""The dataset folder: the single place that commits records (standard library only).

Layout (docs/dataset_format.md)::

    dataset.json                  format name/version and the bucket count (written once)
    records/bucket-XX.jsonl       one JSON record per line, sorted by id
    failures/bucket-XX.jsonl      one failure per line (id, stage, reason), sorted by id
    images/<id[:2]>/<id>.<role>.png   draft, text mask, final
    manifest.json                 counts and sha256 of every bucket file

Crash safety: every file is written to a temporary name in the same folder, fsynced and moved
into place with ``os.replace``; a record line is committed only after its images are in place.
A crash leaves either the old or the new version of a file, never half a record. Records go to a
bucket chosen by a hash of their id and are kept sorted, so the folder's content (and the
manifest) depends only on which ids are done, never on the order they finished in.

At most once: a bucket holds each id once; an id that is already committed is never replaced
(the first commit wins), so retried tasks and reruns cannot duplicate a record. Writers in
several processes (the ComfyUI node and a running build) serialise on an ``fcntl`` lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections import Counter

from . import FORMAT_NAME, FORMAT_VERSION
from .records import canonical_json, kinds_for, sha256_hex

DEFAULT_BUCKETS = 16
IMAGE_ROLES = ("draft", "mask", "final")


class DatasetError(RuntimeError):
    """The folder is not a dataset of this format, or cannot be written."""


def _fsync_dir(path: str) -> None:
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file + fsync + os.replace (all or nothing)."""
    d = os.path.dirname(path)
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(d)


@contextlib.contextmanager
def _locked(path: str):
    try:
        import fcntl
    except ImportError:  # Windows: one writer per folder (documented)
        yield
        return
    with open(path, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def read_jsonl(path: str) -> list:
    """Records of one bucket file (missing file: none)."""
    try:
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


class DatasetStore:
    def __init__(self, root: str, n_buckets: int = DEFAULT_BUCKETS, create: bool = True):
        self.root = os.path.abspath(root)
        meta_path = os.path.join(self.root, "dataset.json")
        if os.path.exists(meta_path):
            with open(meta_path, encoding="utf-8") as f:
                meta = json.load(f)
            if meta.get("format") != FORMAT_NAME:
                raise DatasetError(f"{self.root} is not a {FORMAT_NAME} folder "
                                   f"(dataset.json says {meta.get('format')!r})")
            if int(meta.get("version", 0)) > FORMAT_VERSION:
                raise DatasetError(f"{self.root} has format version {meta.get('version')}; this code reads "
                                   f"up to {FORMAT_VERSION}")
            self.n_buckets = int(meta["buckets"])
        elif create:
            if os.path.isdir(self.root) and any(not n.startswith(".") for n in os.listdir(self.root)):
                raise DatasetError(f"{self.root} exists, is not empty and holds no dataset.json; "
                                   "choose an empty or new folder")
            if not 1 <= int(n_buckets) <= 4096:
                raise DatasetError("the bucket count must be between 1 and 4096")
            self.n_buckets = int(n_buckets)
            os.makedirs(self.root, exist_ok=True)
            with _locked(os.path.join(self.root, ".lock")):
                if not os.path.exists(meta_path):
                    atomic_write(meta_path, (json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION,
                                                         "buckets": self.n_buckets}, indent=1) + "\n").encode())
            if os.path.exists(meta_path):  # another writer may have created it with another count
                with open(meta_path, encoding="utf-8") as f:
                    self.n_buckets = int(json.load(f)["buckets"])
        else:
            raise DatasetError(f"{self.root} holds no dataset.json")
        self._pending: dict = {}     # id -> record
        self._pending_fail: dict = {}
        self._done: set | None = None

    # ---- paths
    def bucket(self, id_: str) -> int:
        return int(sha256_hex(id_)[:8], 16) % self.n_buckets

    def _bucket_path(self, kind: str, b: int) -> str:
        width = max(2, len(f"{self.n_buckets - 1:x}"))
        return os.path.join(self.root, kind, f"bucket-{b:0{width}x}.jsonl")

    def image_relpath(self, id_: str, role: str) -> str:
        return f"images/{id_[:2]}/{id_}.{role}.png"

    # ---- reading
    def _all(self, kind: str) -> list:
        out = []
        for b in range(self.n_buckets):
            out.extend(read_jsonl(self._bucket_path(kind, b)))
        return out

    def records(self) -> list:
        return self._all("records")

    def failures(self) -> list:
        return self._all("failures")

    def done_ids(self) -> set:
        return {r["id"] for r in self.records()}

    def failed_ids(self) -> set:
        return {r["id"] for r in self.failures()}

    # ---- writing
    def put_images(self, id_: str, pngs: dict) -> dict:
        """Write the images of one record (before the record itself). ``pngs``: role -> (png bytes,
        width, height). Returns the record's ``images`` entry. Names depend only on the id, so a
        retried task rewrites the same files."""
        out = {}
        for role, (data, w, h) in sorted(pngs.items()):
            if role not in IMAGE_ROLES:
                raise DatasetError(f"unknown image role {role!r}")
            rel = self.image_relpath(id_, role)
            atomic_write(os.path.join(self.root, rel), data)
            out[role] = {"path": rel, "sha256": sha256_hex(data), "width": int(w), "height": int(h)}
        return out

    def add(self, record: dict) -> None:
        self._pending.setdefault(record["id"], record)
        self._pending_fail.pop(record["id"], None)

    def add_failure(self, failure: dict) -> None:
        if failure["id"] not in self._pending:
            self._pending_fail[failure["id"]] = failure

    @property
    def pending(self) -> int:
        return len(self._pending) + len(self._pending_fail)

    def flush(self) -> int:
        """Commit what was added since the last flush; returns the number of new records."""
        if not self._pending and not self._pending_fail:
            return 0
        new = 0
        with _locked(os.path.join(self.root, ".lock")):
            touched = {self.bucket(i) for i in self._pending} | {self.bucket(i) for i in self._pending_fail}
            for b in sorted(touched):
                rec_path, fail_path = self._bucket_path("records", b), self._bucket_path("failures", b)
                recs = {r["id"]: r for r in read_jsonl(rec_path)}
                fails = {r["id"]: r for r in read_jsonl(fail_path)}
                n_recs, old_fails = len(recs), dict(fails)
                for i, r in self._pending.items():
                    if self.bucket(i) == b and i not in recs:
                        recs[i] = r
                for i, f in self._pending_fail.items():
                    if self.bucket(i) == b and i not in recs:
                        fails[i] = f
                fails = {i: f for i, f in fails.items() if i not in recs}
                if len(recs) != n_recs:
                    new += len(recs) - n_recs
                    atomic_write(rec_path, _lines(recs))
                if fails != old_fails:
                    if fails:
                        atomic_write(fail_path, _lines(fails))
                    else:
                        os.unlink(fail_path)
            self._pending.clear()
            self._pending_fail.clear()
            self.write_manifest()
        return new

    def append(self, record: dict, pngs: dict) -> bool:
        """Images + record + manifest in one call (the ComfyUI node). False when the id was
        already in the dataset (nothing is changed then)."""
        with _locked(os.path.join(self.root, ".lock")):
            done = any(r["id"] == record["id"] for r in
                       read_jsonl(self._bucket_path("records", self.bucket(record["id"]))))
        if done:
            return False
        images = self.put_images(record["id"], pngs)
        record = dict(record, images=images, kinds=kinds_for(images))
        self.add(record)
        return self.flush() == 1

    # ---- manifest
    def manifest(self) -> dict:
        files, counts, reasons = {}, Counter(), Counter()
        for kind in ("records", "failures"):
            for b in range(self.n_buckets):
                p = self._bucket_path(kind, b)
                if not os.path.exists(p):
                    continue
                with open(p, "rb") as f:
                    data = f.read()
                rows = [json.loads(x) for x in data.decode("utf-8").splitlines() if x.strip()]
                files[os.path.relpath(p, self.root).replace(os.sep, "/")] = {"count": len(rows),
                                                                             "sha256": sha256_hex(data)}
                for r in rows:
                    if kind == "records":
                        counts["records"] += 1
                        counts["text_code_pairs"] += "text_code" in r.get("kinds", ())
                        counts["text_draft_final_triplets"] += "text_draft_final" in r.get("kinds", ())
                        counts["images"] += len(r.get("images") or {})
                    else:
                        counts["failures"] += 1
                        reasons[f"{r.get('stage')}: {str(r.get('reason', '')).split(':')[0]}"] += 1
        for k in ("records", "text_code_pairs", "text_draft_final_triplets", "images", "failures"):
            counts.setdefault(k, 0)
        return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "buckets": self.n_buckets,
                "counts": dict(sorted(counts.items())), "failure_reasons": dict(sorted(reasons.items())),
                "files": dict(sorted(files.items()))}

    def recover(self) -> bool:
        """After a crash: drop temporary files a killed writer left next to the bucket files and
        the manifest, and rewrite a manifest that lags behind the buckets. True if anything changed."""
        changed = False
        with _locked(os.path.join(self.root, ".lock")):
            for d in (self.root, os.path.join(self.root, "records"), os.path.join(self.root, "failures")):
                for n in os.listdir(d) if os.path.isdir(d) else ():
                    if n.startswith(".tmp-"):
                        os.unlink(os.path.join(d, n))
                        changed = True
            try:
                with open(os.path.join(self.root, "manifest.json"), encoding="utf-8") as f:
                    saved = json.load(f)
            except (FileNotFoundError, json.JSONDecodeError):
                saved = None
            if saved != self.manifest():
                self.write_manifest()
                changed = True
        return changed

    def write_manifest(self) -> dict:
        m = self.manifest()
        text = json.dumps(m, indent=1, sort_keys=True) + "\n"
        atomic_write(os.path.join(self.root, "manifest.json"), text.encode())
        return m


def _lines(rows: dict) -> bytes:
    return "".join(canonical_json(rows[i]) + "\n" for i in sorted(rows)).encode("utf-8")


def verify(root: str) -> list:
    """Problems found in a dataset folder (empty list: manifest, bucket files and images agree)."""
    store = DatasetStore(root, create=False)
    problems = []
    with open(os.path.join(store.root, "manifest.json"), encoding="utf-8") as f:
        saved = json.load(f)
    if saved != store.manifest():
        problems.append("manifest.json does not match the bucket files")
    seen = set()
    for r in store.records():
        if r["id"] in seen:
            problems.append(f"duplicate id {r['id']}")
        seen.add(r["id"])
        for role, im in (r.get("images") or {}).items():
            try:
                with open(os.path.join(store.root, im["path"]), "rb") as f:
                    if sha256_hex(f.read()) != im["sha256"]:
                        problems.append(f"{r['id']}: {role} image checksum differs")
            except FileNotFoundError:
                problems.append(f"{r['id']}: {role} image missing")
    return problems
