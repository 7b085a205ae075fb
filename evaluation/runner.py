"""Run a prompt set through a source (a ComfyUI workflow or code files), score, record.

Sources return one :class:`Outputs` per item. The loop saves the item's files, scores them,
appends the record (``store.Store``), and moves on: any failure of an item is recorded with its
message and counted, never raised. Ctrl-C stops after the records written so far.
"""

from __future__ import annotations

import copy
import io
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass, field

from . import scoring
from .comfy_client import ComfyClient, NodeTimer, ServerError, history_error, history_seconds
from .sets import Item
from .store import Store

CODE_EXTS = (".py", ".svg")


@dataclass
class Outputs:
    status: str = "ok"                 # ok | failed (code/workflow failed) | timeout | error (harness)
    error: str | None = None
    error_type: str | None = None
    images: dict = field(default_factory=dict)     # "draft"/"final" -> PIL image (None: expected, missing)
    code: str | None = None
    layout: dict | None = None
    rounds: int | None = None
    gen_status: str | None = None      # CodeGen's status output, when collected
    extra: dict = field(default_factory=dict)      # --collect NAME=NODE: other PreviewAny texts (numbers parsed)
    times: dict = field(default_factory=dict)


def _pil_on_white(im):
    from PIL import Image

    im = im.convert("RGBA")
    bg = Image.new("RGB", im.size, (255, 255, 255))
    bg.paste(im, mask=im.split()[3])
    return bg


class DrawingSource:
    """The drawing-only path: ``<code_dir>/<id>.py`` (or ``.svg``) per item, rendered by the sandbox
    pool (isolated worker processes, never this process)."""

    name = "drawing"

    def __init__(self, code_dir: str, timeout_s: float = 30.0, pool=None):
        self.code_dir = code_dir
        self.timeout_s = timeout_s
        self._pool = pool

    def code_path(self, item: Item) -> str | None:
        for base in (os.path.join(self.code_dir, item.set, item.id), os.path.join(self.code_dir, item.id)):
            for ext in CODE_EXTS:
                if os.path.isfile(base + ext):
                    return base + ext
        return None

    def produce(self, item: Item) -> Outputs:
        from ..sandbox import Limits, get_pool

        path = self.code_path(item)
        if path is None:
            return Outputs(status="error", error=f"no code file {item.id}.py/.svg in {self.code_dir}")
        with open(path, encoding="utf-8") as f:
            code = f.read()
        pool = self._pool or get_pool()
        t0 = time.perf_counter()
        res = pool.render(code, limits=Limits(timeout_s=float(self.timeout_s)))
        times = {"render_s": time.perf_counter() - t0}
        if not res.ok or not res.images:
            status = "timeout" if res.error_type == "Timeout" else "failed"
            return Outputs(status=status, error=res.error or "the code drew nothing", error_type=res.error_type or "NoOutput",
                           code=code, rounds=1, times=times, images={"draft": None})
        return Outputs(images={"draft": _pil_on_white(res.images[0].to_pil())}, code=code, layout=res.layout,
                       rounds=1, times=times)


class ServerSource:
    """Any API-format workflow on a running ComfyUI: the prompt goes into ``prompt_input``
    ("node_id.input"); ``outputs`` maps roles (final, draft, code, layout, rounds, status) to the
    node ids whose UI output holds them (image nodes: PreviewImage/SaveImage/SandboxRender; text:
    PreviewAny)."""

    name = "server"
    ROLES = ("final", "draft", "code", "layout", "rounds", "status")

    def __init__(self, url: str, workflow: dict, prompt_input: str, outputs: dict, timeout_s: float = 300.0,
                 client: ComfyClient | None = None, collect: dict | None = None):
        node, _, inp = prompt_input.partition(".")
        if not node or not inp:
            raise ValueError(f"prompt input must be NODE_ID.INPUT_NAME, not {prompt_input!r}")
        if node not in workflow:
            raise ValueError(f"the workflow has no node {node!r} (API format: keys are node ids)")
        for role, nid in outputs.items():
            if role not in self.ROLES:
                raise ValueError(f"unknown output role {role!r} (one of {self.ROLES})")
            if nid not in workflow:
                raise ValueError(f"output {role}: the workflow has no node {nid!r}")
        if not any(r in outputs for r in ("final", "draft")):
            raise ValueError("name at least one image output (final or draft)")
        self.collect = dict(collect or {})
        for name, nid in self.collect.items():
            if nid not in workflow:
                raise ValueError(f"--collect {name}: the workflow has no node {nid!r}")
        self.workflow, self.node, self.input, self.outputs = workflow, node, inp, dict(outputs)
        self.timeout_s = timeout_s
        self.client = client or ComfyClient(url)
        self._timer: NodeTimer | None = None

    def _node_times(self, pid: str) -> dict | None:
        return self._timer.follow(pid, self.timeout_s) if self._timer and self._timer.usable else None

    def produce(self, item: Item) -> Outputs:
        from PIL import Image

        wf = copy.deepcopy(self.workflow)
        wf[self.node].setdefault("inputs", {})[self.input] = item.prompt
        if self._timer is None:          # listen before queueing: no event is missed
            self._timer = NodeTimer(self.client)
        t0 = time.perf_counter()
        try:
            pid = self.client.queue(wf)
        except ServerError as e:
            return Outputs(status="error", error=str(e), error_type="Server")
        per_node = self._node_times(pid)
        entry = self.client.wait(pid, max(5.0, self.timeout_s - (time.perf_counter() - t0)))
        times = {"workflow_s": time.perf_counter() - t0}
        for nid, sec in (per_node or {}).items():   # time per stage: summed per node class
            k = f"stage_{wf.get(nid, {}).get('class_type', nid)}_s"
            times[k] = times.get(k, 0.0) + sec
        if entry is None:
            self.client.cancel(pid)
            return Outputs(status="timeout", error=f"the workflow ran longer than {self.timeout_s:g} s and was cancelled",
                           error_type="Timeout", times=times, images={r: None for r in ("final", "draft") if r in self.outputs})
        ex = history_seconds(entry)
        if ex is not None:
            times["execute_s"] = ex
        out = Outputs(times=times)
        node_out = entry.get("outputs", {})
        t1 = time.perf_counter()
        for role in ("final", "draft"):
            if role not in self.outputs:
                continue
            imgs = node_out.get(self.outputs[role], {}).get("images") or []
            out.images[role] = Image.open(io.BytesIO(self.client.view(imgs[0]))).convert("RGB") if imgs else None
        for role in ("code", "layout", "rounds", "status"):
            nid = self.outputs.get(role)
            texts = node_out.get(nid, {}).get("text") if nid else None
            if not texts:
                continue
            val = texts[0]
            if role == "code":
                out.code = val
            elif role == "layout":
                try:
                    out.layout = json.loads(val)
                except json.JSONDecodeError:
                    out.layout = None
            elif role == "rounds":
                try:
                    out.rounds = int(str(val).strip())
                except ValueError:
                    pass
            else:
                out.gen_status = str(val)
        for name, nid in self.collect.items():   # e.g. inspection rounds from an inspector node
            texts = node_out.get(nid, {}).get("text")
            if texts:
                val = str(texts[0]).strip()
                try:
                    out.extra[name] = float(val) if "." in val else int(val)
                except ValueError:
                    out.extra[name] = val[:2000]
        times["fetch_s"] = time.perf_counter() - t1
        err = history_error(entry)
        if err is not None:
            out.status = "failed"
            out.error_type = str(err.get("exception_type") or "ExecutionError").rsplit(".", 1)[-1]
            out.error = f"{err.get('node_type', '?')} (node {err.get('node_id', '?')}): {err.get('exception_message', '')}".strip()
        elif not any(im is not None for im in out.images.values()):
            out.status, out.error_type, out.error = "failed", "NoOutput", "the output nodes returned no image"
        return out


def _progress(total: int, desc: str):
    try:
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit="item", file=sys.stderr)
    except ImportError:
        return _Plain(total, desc)


class _Plain:
    def __init__(self, total, desc):
        self.total, self.desc, self.n = total, desc, 0

    def update(self, k=1):
        self.n += k
        print(f"{self.desc}: {self.n}/{self.total}", file=sys.stderr, flush=True)

    def set_postfix_str(self, s):
        pass

    def close(self):
        pass


def _save(store: Store, item: Item, out: Outputs) -> dict:
    d = store.item_dir(item.set, item.id)
    files = {}
    for role, im in out.images.items():
        if im is not None:
            p = os.path.join(d, f"{role}.png")
            im.save(p)
            files[role] = store.rel(p)
    if out.code is not None:
        p = os.path.join(d, "code.svg" if out.code.lstrip().startswith("<") else "code.py")
        with open(p, "w", encoding="utf-8") as f:
            f.write(out.code)
        files["code"] = store.rel(p)
    if out.layout is not None:
        p = os.path.join(d, "layout.json")
        with open(p, "w", encoding="utf-8") as f:
            json.dump(out.layout, f, ensure_ascii=False)
        files["layout"] = store.rel(p)
    return files


def evaluate_item(item: Item, source, store: Store, use_ocr: bool = True) -> dict:
    """Produce, save and score one item; always returns a record (status error on any exception)."""
    t0 = time.perf_counter()
    rec = {"id": item.id, "set": item.set, "category": item.category, "lang": item.lang, "scorer": item.scorer,
           "prompt": item.prompt, "required_text": item.required_text, "spec": item.spec, "source": source.name}
    try:
        out = source.produce(item)
        rec.update(status=out.status, error=out.error, error_type=out.error_type,
                   exec={"ok": out.status == "ok", "rounds": out.rounds, "gen_status": out.gen_status},
                   extra=dict(out.extra),
                   files=_save(store, item, out), times=dict(out.times))
        if out.status != "error":
            sc = scoring.score_images(item, out.images, out.layout, use_ocr=use_ocr)
            rec.update(ocr=sc["ocr"], text=sc["text"], structure=sc["structure"])
            rec["times"].update(sc["times"])
    except Exception as e:  # noqa: BLE001 - recorded, counted, the run goes on
        rec.update(status="error", error=f"{type(e).__name__}: {e}", error_type="HarnessError",
                   traceback=traceback.format_exc()[-4000:])
    rec.setdefault("times", {})["total_s"] = time.perf_counter() - t0
    rec["primary"] = scoring.primary(rec)
    store.append(rec)
    return rec


def run(items: list[Item], source, store: Store, use_ocr: bool = True, retry_failed: bool = False,
        progress: bool = True) -> dict:
    todo = [it for it in items if not store.done(it.set, it.id, retry_failed)]
    counts = {"skipped": len(items) - len(todo), "ok": 0, "failed": 0, "timeout": 0, "error": 0}
    bar = _progress(len(todo), f"evaluating ({source.name})") if progress and todo else None
    try:
        for it in todo:
            rec = evaluate_item(it, source, store, use_ocr=use_ocr)
            counts[rec["status"]] = counts.get(rec["status"], 0) + 1
            if bar:
                bar.set_postfix_str(f"{it.set}/{it.id} {rec['status']}")
                bar.update(1)
    finally:
        if bar:
            bar.close()
    return counts
