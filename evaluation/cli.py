"""``python -m evaluation`` (from the pack folder): run prompt sets, score, write the report."""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import report, runner, sets
from .store import Store

EPILOG = """examples:
  # the drawing-only path: one code file per item (<id>.py or .svg, or <set>/<id>.py)
  python -m evaluation ../shared/evals/longtext_bench/text_prompts.jsonl --code-dir my_codes --out runs/a
  # any workflow (API format) on a running ComfyUI: prompt into node 2's 'prompt' input,
  # final image from node 9, draft from node 6, code/layout/rounds from PreviewAny nodes 3/8/4
  python -m evaluation set.jsonl --server http://127.0.0.1:8188 --workflow wf_api.json \\
      --prompt-input 2.prompt --final 9 --draft 6 --code 3 --layout 8 --rounds 4 --out runs/b --limit 20
A rerun with the same --out skips the items already recorded (--retry-failed reruns failures)."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__, epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sets", nargs="+", help="prompt sets: LongText .jsonl, OneIG .csv, GenEval .jsonl, or our spec .jsonl")
    p.add_argument("--out", required=True, help="results folder (results.jsonl, items/, report.html/json, summary.txt)")
    src = p.add_argument_group("source (one of)")
    src.add_argument("--code-dir", help="drawing-only path: render <id>.py/.svg per item in the sandbox")
    src.add_argument("--server", help="ComfyUI URL, e.g. http://127.0.0.1:8188")
    wf = p.add_argument_group("workflow (with --server)")
    wf.add_argument("--workflow", help="workflow in API format (ComfyUI: Workflow > Export (API))")
    wf.add_argument("--prompt-input", help="NODE_ID.INPUT that receives the prompt, e.g. 2.prompt")
    for role in runner.ServerSource.ROLES:
        wf.add_argument(f"--{role}", metavar="NODE_ID", help=f"node whose output is the {role}"
                        + (" (an image node)" if role in ("final", "draft") else " (a PreviewAny node)"))
    wf.add_argument("--collect", action="append", default=[], metavar="NAME=NODE_ID",
                    help="also record a PreviewAny node's text as NAME (numbers are averaged), e.g. inspect_rounds=15")
    sel = p.add_argument_group("selection")
    sel.add_argument("--limit", type=int, help="first N items of each set (after the filters)")
    sel.add_argument("--every", type=int, default=1, help="every N-th item")
    sel.add_argument("--ids", help="comma-separated item ids")
    sel.add_argument("--categories", help="comma-separated categories")
    p.add_argument("--timeout", type=float, default=None, help="seconds per item (default 30 drawing, 600 server)")
    p.add_argument("--no-ocr", action="store_true", help="skip OCR (text scores are then not computed)")
    p.add_argument("--retry-failed", action="store_true", help="run again the items recorded as failed/timeout")
    p.add_argument("--report-only", action="store_true", help="only rewrite the report from results.jsonl")
    p.add_argument("--no-progress", action="store_true")
    return p


def make_source(args):
    if args.code_dir and args.server:
        raise SystemExit("choose one source: --code-dir or --server")
    if args.code_dir:
        return runner.DrawingSource(args.code_dir, timeout_s=args.timeout or 30.0), f"drawing-only path, code from {args.code_dir}"
    if args.server:
        if not (args.workflow and args.prompt_input):
            raise SystemExit("--server needs --workflow (API format JSON) and --prompt-input NODE_ID.INPUT")
        with open(args.workflow, encoding="utf-8") as f:
            wf = json.load(f)
        if "nodes" in wf and "links" in wf:
            raise SystemExit(f"{args.workflow} is a UI workflow; export it in API format (Workflow > Export (API))")
        outputs = {r: getattr(args, r) for r in runner.ServerSource.ROLES if getattr(args, r)}
        collect = {}
        for c in args.collect:
            name, sep, nid = c.partition("=")
            if not sep or not name or not nid:
                raise SystemExit(f"--collect wants NAME=NODE_ID, not {c!r}")
            collect[name] = nid
        try:
            src = runner.ServerSource(args.server, wf, args.prompt_input, outputs, timeout_s=args.timeout or 600.0,
                                      collect=collect)
            src.client.check()
        except (ValueError, runner.ServerError) as e:
            raise SystemExit(str(e))
        return src, f"workflow {os.path.basename(args.workflow)} on {args.server}"
    raise SystemExit("choose a source: --code-dir DIR (drawing-only path) or --server URL --workflow FILE")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    store = Store(args.out)
    items = []
    for path in args.sets:
        try:
            loaded = sets.load_set(path)
        except (OSError, sets.SetError, ValueError, SyntaxError) as e:
            raise SystemExit(f"cannot read {path}: {e}")
        items += sets.select(loaded, args.limit, set(args.ids.split(",")) if args.ids else None,
                             set(args.categories.split(",")) if args.categories else None, args.every)
    meta = {"sets": args.sets}
    if not args.report_only:
        source, desc = make_source(args)
        meta["source_desc"] = desc
        counts = runner.run(items, source, store, use_ocr=not args.no_ocr, retry_failed=args.retry_failed,
                            progress=not args.no_progress)
        print(f"this run: {json.dumps(counts)}", file=sys.stderr)
    wanted = {(it.set, it.id) for it in items}
    records = [r for r in store.all() if (r["set"], r["id"]) in wanted]
    res = report.write_all(records, store.out_dir, meta)
    print(res["summary"])
    print(f"report: {res['paths']['html']}")
    return 0
