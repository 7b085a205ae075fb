"""``python -m dataset_builder build PROMPTS.jsonl OUT/ ...`` and ``... verify OUT/``.

The driver reads the prompt file, skips ids already in OUT (resume), feeds at most
``--max-in-flight`` items to the executor at a time (back-pressure: a slow stage never piles up
items in memory), commits finished items through the one DatasetStore (images first, then the
record; flushed every ``--flush-every`` seconds), records failures with their reason, resubmits
items whose worker died, and shows a progress bar with the throughput of each stage.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections import Counter, deque

from .records import TEMPLATES, build_record, failure_record, parse_prompt_line, sha256_hex
from .stages import INSPECTORS
from .store import DEFAULT_BUCKETS, DatasetStore, verify

STAGES = ("codegen", "render", "inspect", "refine", "write")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dataset_builder",
                                description="Build CoCo-10K-style datasets (text-code pairs, text-draft-final "
                                            "triplets) from a prompt file, on Ray or local sandbox pools.")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="run the pipeline over a prompt file into a dataset folder (resumable)")
    b.add_argument("prompts", help="JSONL prompt file: {\"prompt\": ..., optional \"text\": [...], \"code\": ...}")
    b.add_argument("out", help="dataset folder (created; a rerun skips the ids it already holds)")
    g = b.add_argument_group("code generation (one of: code in the file, --template, --openai-url)")
    g.add_argument("--template", choices=TEMPLATES, help="drawing-only: deterministic code per prompt, no model")
    g.add_argument("--openai-url", help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1")
    g.add_argument("--model", default="", help="model name on that server (default: the only/first one)")
    g.add_argument("--api-key-env", default="", help="NAME of the environment variable holding the key")
    g.add_argument("--language", choices=("python", "svg"), default="python")
    g.add_argument("--temperature", type=float, default=0.0)
    g.add_argument("--top-p", type=float, default=1.0)
    g.add_argument("--seed", type=int, default=0, help="sampling seed (also the refinement seed)")
    g.add_argument("--max-new-tokens", type=int, default=2048)
    g.add_argument("--max-repairs", type=int, default=2, help="render-and-repair rounds for failing code")
    g.add_argument("--inspect-repairs", type=int, default=0,
                   help="correction rounds while the inspection fails (needs --openai-url)")
    g.add_argument("--system-prompt-file", help="replace the default code-generation system prompt")
    s = b.add_argument_group("sandbox and inspection")
    s.add_argument("--timeout", type=float, default=20.0, help="sandbox wall-clock limit per render (s)")
    s.add_argument("--max-megapixels", type=float, default=4.0)
    s.add_argument("--inspect", default="verify",
                   help=f"{' | '.join(INSPECTORS)} | module:function (a pluggable inspector)")
    s.add_argument("--ocr", choices=("off", "auto"), default="off",
                   help="verify also reads required text back with OCR when installed (slow)")
    s.add_argument("--require-pass", action="store_true",
                   help="record drafts that do not pass inspection as failures (stage inspect, with the "
                        "reason) instead of as records with passed=false")
    s.add_argument("--no-mask", action="store_true", help="do not store the text mask")
    r = b.add_argument_group("refinement through ComfyUI (optional)")
    r.add_argument("--refine-workflow", help="ComfyUI API-format workflow with \"{{draft}}\" (and {{prompt}}, "
                   "\"{{seed}}\") placeholders")
    r.add_argument("--comfy", action="append", default=[], help="ComfyUI server URL (repeat for several)")
    r.add_argument("--refine-timeout", type=float, default=600.0)
    e = b.add_argument_group("execution")
    e.add_argument("--executor", choices=("ray", "local"), default="ray",
                   help="ray (default: embedded local Ray, or --address) or local sandbox pools in threads")
    e.add_argument("--address", help="Ray cluster address (e.g. 10.0.0.5:6379 or auto)")
    e.add_argument("--workers", type=int, default=None, help="sandbox slots (default: every CPU of the cluster)")
    e.add_argument("--per-actor", type=int, default=None,
                   help="items in flight per slot (default 1; 4 with code generation or refinement)")
    e.add_argument("--max-in-flight", type=int, default=None, help="default: 2 x slots x per-actor")
    e.add_argument("--attempts", type=int, default=3, help="tries per item when its worker dies")
    e.add_argument("--retry-failed", action="store_true", help="run ids recorded as failures again")
    e.add_argument("--limit", type=int, default=None, help="only the first N items of the file")
    e.add_argument("--buckets", type=int, default=DEFAULT_BUCKETS, help="bucket files (new datasets only)")
    e.add_argument("--flush-every", type=float, default=2.0, help="seconds between commits")
    e.add_argument("--no-progress", action="store_true")
    e.add_argument("--summary", help="also write the run's summary (JSON) to this file")
    v = sub.add_parser("verify", help="check a dataset folder's manifest, checksums and ids")
    v.add_argument("out")
    return p


def settings_of(a) -> tuple[dict, dict]:
    """(settings hashed into every id, config of the item processors)."""
    settings = {"sandbox": {"timeout_s": a.timeout, "max_megapixels": a.max_megapixels},
                "inspect": a.inspect, "ocr": a.ocr, "mask": not a.no_mask}
    cfg = {"limits": {"timeout_s": a.timeout, "max_megapixels": a.max_megapixels}, "inspect": a.inspect,
           "ocr": a.ocr, "mask": not a.no_mask, "require_pass": a.require_pass}   # not hashed: same records
    if a.openai_url:
        from ._siblings import sibling
        prompts = sibling("codegen.prompts")
        system = prompts.DEFAULT_SYSTEM_PROMPT
        if a.system_prompt_file:
            with open(a.system_prompt_file, encoding="utf-8") as f:
                system = f.read()
        cg = {"model": a.model, "language": a.language, "seed": a.seed, "temperature": a.temperature,
              "top_p": a.top_p, "max_new_tokens": a.max_new_tokens, "max_repairs": a.max_repairs,
              "inspect_repairs": a.inspect_repairs}
        settings["codegen"] = {"backend": "openai_compat", **cg, "system_prompt_sha256": sha256_hex(system)}
        cfg["codegen"] = {"base_url": a.openai_url, "api_key_env": a.api_key_env, "system_prompt": system, **cg}
    if a.refine_workflow:
        from .refine import ComfyRefiner, check_workflow
        with open(a.refine_workflow, encoding="utf-8") as f:
            wf = json.load(f)
        check_workflow(wf)
        settings["refine"] = ComfyRefiner.settings(wf, a.seed)
        cfg["refine"] = {"servers": a.comfy, "workflow": wf, "timeout": a.refine_timeout, "seed": a.seed}
    return settings, cfg


def read_items(path: str, settings: dict, template: str | None, limit: int | None):
    items, bad = [], []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, raw in enumerate(f, 1):
            it = parse_prompt_line(raw, n, settings, template)
            if it is None:
                continue
            (bad if not hasattr(it, "prompt") else items).append(it)
            if limit is not None and len(items) + len(bad) >= limit:
                break
    return items, bad


class Progress:
    def __init__(self, total: int, enabled: bool):
        self.t0 = time.monotonic()
        self.counts, self.busy = Counter(), Counter()
        self.bar = None
        if enabled and total:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, file=sys.stderr, unit="item", mininterval=0.5, dynamic_ncols=True)
            except ImportError:
                pass
        self._last = 0.0

    def stage(self, timings: dict):
        for k, v in timings.items():
            self.counts[k] += 1
            self.busy[k] += v

    def rates(self) -> dict:
        dt = max(1e-6, time.monotonic() - self.t0)
        return {k: round(self.counts[k] / dt, 2) for k in STAGES if self.counts[k]}

    def tick(self, n: int, failed: int, inflight: int):
        if self.bar is None:
            return
        self.bar.update(n)
        now = time.monotonic()
        if now - self._last > 0.5:
            self._last = now
            post = " ".join(f"{k} {v}/s" for k, v in self.rates().items())
            self.bar.set_postfix_str(f"{post} | failed {failed} | in flight {inflight}", refresh=False)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def make_executor(a, cfg, codegen_or_refine: bool):
    per = a.per_actor or (4 if codegen_or_refine else 1)
    if a.executor == "local":
        from .executors import LocalExecutor
        ex = LocalExecutor(cfg, (a.workers or os.cpu_count() or 1) * per)
        ex.capacity = ex.slots
        return ex
    from .executors import RayExecutor
    return RayExecutor(cfg, a.workers, a.address, per_actor=per)


def build(a) -> dict:
    if sum(bool(x) for x in (a.template, a.openai_url)) > 1:
        raise SystemExit("give at most one of --template and --openai-url")
    if a.refine_workflow and not a.comfy:
        raise SystemExit("--refine-workflow needs at least one --comfy URL")
    if a.require_pass and a.inspect == "none":
        raise SystemExit("--require-pass needs an inspector: drop --inspect none")
    settings, cfg = settings_of(a)
    items, bad = read_items(a.prompts, settings, a.template, a.limit)
    store = DatasetStore(a.out, n_buckets=a.buckets)
    store.recover()
    done, failed = store.done_ids(), store.failed_ids()
    for m in bad:
        if m.id not in failed:
            store.add_failure(failure_record(m.id, m.line, "parse", m.reason, None, m.raw))
    seen, todo = set(), deque()
    for it in items:
        if it.id in done or (it.id in failed and not a.retry_failed) or it.id in seen:
            continue
        seen.add(it.id)
        todo.append(it)
    summary = {"items": len(items), "malformed_lines": len(bad), "skipped_done": sum(i.id in done for i in items),
               "to_run": len(todo)}
    t_start = time.monotonic()
    prog = None
    ex = None
    stats = Counter()
    try:
        if todo:
            ex = make_executor(a, cfg, bool(a.openai_url or a.refine_workflow))
            summary.update(executor=ex.name, slots=ex.slots, nodes=ex.nodes,
                           startup_s=round(time.monotonic() - t_start, 2))
            prog = Progress(len(todo), not a.no_progress)   # rates count from here, not from the start-up
            run_loop(a, ex, todo, store, prog, stats)
    except KeyboardInterrupt:
        summary["interrupted"] = True
    finally:
        store.flush()
        prog = prog or Progress(0, False)
        prog.close()
        if ex is not None:
            summary["actors_lost"] = ex.lost
            ex.close()
    m = store.write_manifest()
    summary.update(stats)
    summary.update(seconds=round(time.monotonic() - t_start, 2), counts=m["counts"],
                   stage_rates_per_s=prog.rates(),
                   stage_busy_s={k: round(v, 2) for k, v in prog.busy.items()})
    return summary


def run_loop(a, ex, todo: deque, store: DatasetStore, prog: Progress, stats: Counter):
    max_in_flight = a.max_in_flight or 2 * ex.capacity
    inflight: dict = {}
    attempts: Counter = Counter()
    last_flush = time.monotonic()
    while todo or inflight:
        while todo and len(inflight) < max_in_flight:
            it = todo.popleft()
            inflight[ex.submit(it.to_dict())] = it
        for handle, res in ex.wait(0.25):
            it = inflight.pop(handle)
            if isinstance(res, Exception):
                attempts[it.id] += 1
                stats["resubmitted"] += 1
                if attempts[it.id] >= a.attempts:
                    store.add_failure(failure_record(it.id, it.line, "infrastructure",
                                                     f"worker lost {attempts[it.id]} times: {type(res).__name__}",
                                                     it.prompt, str(res)[-2000:]))
                    stats["failed"] += 1
                    prog.tick(1, stats["failed"], len(inflight))
                else:
                    todo.appendleft(it)
                continue
            prog.stage(res.get("timings", {}))
            t0 = time.monotonic()
            if res["ok"]:
                images = store.put_images(it.id, res["pngs"])
                store.add(build_record(it, code=res["code"], language=res["language"], codegen=res["codegen"],
                                       render=res["render"], images=images, inspection=res["inspection"],
                                       refine=res["refine"]))
                stats["committed"] += 1
            else:
                store.add_failure(failure_record(it.id, it.line, res["stage"], res["reason"], it.prompt,
                                                 res.get("detail")))
                stats["failed"] += 1
            prog.stage({"write": time.monotonic() - t0})
            prog.tick(1, stats["failed"], len(inflight))
        if store.pending and (time.monotonic() - last_flush > a.flush_every or store.pending >= 512):
            store.flush()
            last_flush = time.monotonic()


def main(argv=None) -> int:
    a = _parser().parse_args(argv)
    if a.cmd == "verify":
        problems = verify(a.out)
        print(json.dumps({"ok": not problems, "problems": problems[:50]}, indent=1))
        return 0 if not problems else 1

    def _term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, _term)
    summary = build(a)
    text = json.dumps(summary, indent=1, sort_keys=True)
    print(text)
    if a.summary:
        with open(a.summary, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 130 if summary.get("interrupted") else 0
