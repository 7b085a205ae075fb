"""The per-item pipeline: code generation → sandbox render → inspection (+ correction) → refinement.

``ItemProcessor`` holds one warm sandbox pool (a worker host process with a pre-forked, hardened
child) and, when configured, a code-generation backend and ComfyUI refinement servers. The local
executor keeps one per thread; the Ray executor keeps one per actor (one actor per CPU slot), so
pools live as long as the run, never one per task. ``process`` never raises for item problems: it
returns ``{"ok": False, "stage", "reason"}``; exceptions mean the infrastructure failed (retried).
A draft that rendered is recorded with its inspection report, passed or not; with
``cfg["require_pass"]`` a draft that did not pass is a failure of stage ``inspect`` instead.

The processor runs in the caller's process (a Ray worker or the CLI), like ComfyUI: generated code
only ever runs inside the sandbox.
"""

from __future__ import annotations

import importlib
import io
import threading
import time

from ._siblings import sibling

INSPECTORS = ("verify", "none")


def load_inspector(spec: str):
    """``verify`` (the pack's inspector: required text, structure, glyphs, overlap, clipping, small
    text, optional OCR), ``none``, or ``module:function`` (pluggable): ``function(prompt,
    expected_texts, layout, draft_pil) -> dict`` with at least ``score`` (0..1), ``passed`` and
    ``critique`` (sent back to the model by the correction loop)."""
    if spec in ("verify", "none", "", None):
        return None
    mod, _, fn = spec.partition(":")
    if not fn:
        raise ValueError(f"inspector {spec!r}: use verify, none or module:function")
    return getattr(importlib.import_module(mod), fn)


def to_png(rgba: bytes, w: int, h: int, mode: str = "RGBA") -> bytes:
    from PIL import Image
    if mode == "L":
        im = Image.frombytes("L", (w, h), rgba)
    else:
        im = Image.frombytes("RGBA", (w, h), rgba)
        bg = Image.new("RGBA", (w, h), (255, 255, 255, 255))
        im = Image.alpha_composite(bg, im).convert("RGB")   # what a refiner sees (as CoCo_SandboxRender)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


class ItemProcessor:
    def __init__(self, cfg: dict):
        sb = sibling("sandbox")
        self.cfg = cfg
        self.limits = sb.Limits.from_dict(cfg.get("limits") or {})
        self.pool = sb.SandboxPool(limits=self.limits, isolation=cfg.get("isolation", "auto"))
        self.backend = None
        cg = cfg.get("codegen")
        if cg:
            oa = sibling("codegen.backends.openai_compat")
            self.backend = oa.OpenAICompatBackend(cg["base_url"], model=cg.get("model", ""),
                                                  api_key_env=cg.get("api_key_env") or oa.DEFAULT_KEY_ENV,
                                                  timeout=float(cg.get("timeout", 300)))
        self.inspector = cfg.get("inspect", "verify")
        self._custom_inspector = load_inspector(self.inspector)
        self.refiner = None
        if cfg.get("refine"):
            from .refine import ComfyRefiner
            self.refiner = ComfyRefiner(**cfg["refine"])
        self._lock = threading.Lock()

    def close(self):
        self.pool.close()

    def warm(self) -> str:
        """Start the worker host now (not at the first item); returns the isolation tier. Raises
        when the sandbox cannot start here (a broken install is not the items' failure)."""
        info = self.pool.isolation()
        if "failed to start" in info.description:
            raise RuntimeError(f"the sandbox cannot start on this worker: {info.description}")
        return info.description

    # ---- stages
    def _render(self, code: str, language: str):
        return self.pool.render(code, language=language, limits=self.limits)

    def _codegen(self, item: dict) -> tuple:
        cg = self.cfg["codegen"]
        be, prompts, repair = sibling("codegen.backend"), sibling("codegen.prompts"), sibling("codegen.repair")
        language = cg.get("language", "python")
        params = be.GenerationParams(seed=int(cg.get("seed", 0)), temperature=float(cg.get("temperature", 0.0)),
                                     top_p=float(cg.get("top_p", 1.0)),
                                     max_new_tokens=int(cg.get("max_new_tokens", 2048)))
        system = cg.get("system_prompt", prompts.DEFAULT_SYSTEM_PROMPT)
        messages = prompts.build_messages(item["prompt"], language, system, "chat")

        def inspect(code, lang, result):
            rep = self._inspect(item, result)
            return repair.Inspection(passed(rep), float(rep.get("score", 0)),
                                     str(rep.get("critique", "")), rep)
        use_inspect = self.inspector != "none" and int(cg.get("inspect_repairs", 0)) > 0
        res = repair.generate_code(self.backend, messages, params, language, render=self._render,
                                   max_repairs=int(cg.get("max_repairs", 2)),
                                   inspect=inspect if use_inspect else None,
                                   max_corrections=int(cg.get("inspect_repairs", 0)))
        kinds = [r.kind for r in res.history]
        info = {"backend": "openai_compat", "model": cg.get("model", ""), "status": res.status, "rounds": res.rounds,
                "repairs": kinds.count("repair"), "corrections": kinds.count("correct"),
                "best_round": res.best_round,
                "history": [{"kind": r.kind, "status": r.status, "error": r.error, "score": r.score}
                            for r in res.history]}
        inspected = sum(r.score is not None for r in res.history)
        best = next((r for r in res.history if r.index == res.best_round and r.report is not None), None)
        return res, info, (dict(best.report, rounds=inspected) if best is not None else None)

    def _inspect(self, item: dict, result) -> dict | None:
        if self.inspector == "none":
            return None
        img = result.images[0].to_pil()
        if self._custom_inspector is not None:
            rep = dict(self._custom_inspector(item["prompt"], item["expected_texts"], result.layout, img))
            rep.setdefault("inspector", self.inspector)
            return rep
        ins = sibling("verify.inspector")
        settings = ins.InspectSettings(required_text=list(item["expected_texts"]), ocr=self.cfg.get("ocr", "off"))
        return dict(ins.inspect_draft(img, result.layout, item["prompt"], settings).to_dict(), inspector="verify")

    def process(self, item: dict) -> dict:
        t = {}
        t0 = time.monotonic()
        code, language = item.get("code"), item.get("language") or "auto"
        inspection = None
        codegen = {"backend": "given" if not item["settings"].get("template") else "template",
                   "template": item["settings"].get("template"), "rounds": 0}
        result = None
        if code is None:
            if self.backend is None:
                return _fail(item, "codegen", "no code: the line has no 'code', and neither --template nor "
                             "--openai-url was given", t)
            try:
                res, codegen, inspection = self._codegen(item)
            except Exception as e:  # noqa: BLE001 - a backend error is the item's failure (recorded)
                t["codegen"] = time.monotonic() - t0
                return _fail(item, "codegen", f"backend error: {type(e).__name__}: {e}", t)
            t["codegen"] = time.monotonic() - t0
            # A draft that rendered is a record even when it never passed inspection (its report,
            # score and passed=false go with it; --require-pass makes it a failure below); only
            # code that never rendered is a code-generation failure.
            if not res.code or not (res.ok or _rendered(res.render_result)):
                return _fail(item, "codegen", res.status, t, res.log[-2000:])
            code, language, result = res.code, res.language, res.render_result
        t1 = time.monotonic()
        if result is None:
            result = self._render(code, language)
        t["render"] = time.monotonic() - t1
        if result.error_type == "WorkerCrashed" and "did not start" in (result.error or ""):
            raise RuntimeError(f"sandbox worker did not start: {result.error}")   # infrastructure: retried
        if not result.ok or not result.images:
            reason = f"{result.error_type or 'NoOutput'}: {result.error or 'the code drew nothing'}"
            return _fail(item, "render", reason, t, result.traceback or result.log)
        img = result.images[0]
        pngs = {"draft": (to_png(img.rgba, img.width, img.height), img.width, img.height)}
        if self.cfg.get("mask", True) and result.text_mask is not None:
            pngs["mask"] = (to_png(result.text_mask, img.width, img.height, "L"), img.width, img.height)
        t2 = time.monotonic()
        if inspection is None:
            inspection = self._inspect(item, result)
            if inspection is not None:
                inspection["rounds"] = 1
        t["inspect"] = time.monotonic() - t2
        if self.cfg.get("require_pass") and inspection is not None and not passed(inspection):
            score = float(inspection.get("score", 0) or 0)
            critique = str(inspection.get("critique", "") or "")
            first = critique.strip().split("\n", 1)[0][:300]
            return _fail(item, "inspect", f"failed inspection: score {score:.3f}" + (f": {first}" if first else ""),
                         t, critique[-2000:])
        refine = None
        if self.refiner is not None:
            t3 = time.monotonic()
            try:
                final, refine = self.refiner.refine(item, pngs["draft"][0])
            except Exception as e:  # noqa: BLE001 - server errors are recorded as the item's failure
                t["refine"] = time.monotonic() - t3
                return _fail(item, "refine", f"{type(e).__name__}: {e}", t)
            pngs["final"] = final
            t["refine"] = time.monotonic() - t3
        render_info = {"tier": result.tier, "source": img.source, "width": img.width, "height": img.height,
                       "images": len(result.images), "log": (result.log or "")[-4000:], "layout": result.layout}
        return {"ok": True, "id": item["id"], "code": code, "language": language, "codegen": codegen,
                "render": render_info, "pngs": pngs, "inspection": inspection, "refine": refine, "timings": t}


def passed(report: dict) -> bool:
    """An inspection report's verdict (a pluggable inspector without ``passed``: score 1)."""
    return bool(report.get("passed", report.get("score", 0) >= 1))


def _rendered(result) -> bool:
    return result is not None and bool(getattr(result, "ok", False)) and bool(getattr(result, "images", None))


def _fail(item: dict, stage: str, reason: str, timings: dict, detail: str | None = None) -> dict:
    return {"ok": False, "id": item["id"], "stage": stage, "reason": reason, "detail": detail or "", "timings": timings}
