"""Write a run's report: ``report.html`` (one self-contained page: images as data URIs, no script,
a Content-Security-Policy that forbids loading anything), ``report.json`` (records + aggregates)
and ``summary.txt`` (one screen). Everything shown comes from prompts, model output and OCR, so it
is escaped. Plots are drawn with matplotlib's Agg canvas (no pyplot state, no display)."""

from __future__ import annotations

import base64
import html
import io
import json
import os
import time

from .aggregate import aggregate

THUMB = 360
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _fmt(v, pct=False):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v * 100:.1f}%" if pct else f"{v:.3f}"
    return str(v)


def _thumb(path: str) -> str | None:
    from PIL import Image

    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            im.thumbnail((THUMB, THUMB))
            buf = io.BytesIO()
            im.save(buf, "PNG", optimize=True)
    except OSError:
        return None
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _plots(records: list[dict]) -> list[tuple[str, str]]:
    """(title, data URI) of the score and time distributions."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return []
    series = [
        ("text score (final, else draft)", [r.get("primary", {}).get("text_score") for r in records], (0, 1)),
        ("structure vs spec (draft layout)", [r.get("primary", {}).get("structure") for r in records], (0, 1)),
        ("seconds per item", [(r.get("times") or {}).get("total_s") for r in records], None),
    ]
    out = []
    for title, vals, rng in series:
        vals = [v for v in vals if isinstance(v, (int, float))]
        if not vals:
            continue
        fig = Figure(figsize=(3.8, 2.3), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(111)
        ax.hist(vals, bins=20, range=rng, color="#4c72b0", edgecolor="white")
        ax.set_title(f"{title} (n={len(vals)})", fontsize=9)
        ax.set_ylabel("items", fontsize=8)
        ax.tick_params(labelsize=7)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        out.append((title, "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()))
    return out


COLS = [("n", "n", False), ("ok", "ok", False), ("failed", "failed", False), ("timeout", "timeout", False),
        ("error", "errors", False), ("exec_rate", "executable", True), ("rounds_mean", "rounds", False),
        ("longtext_final", "LongText final", False), ("longtext_draft", "LongText draft", False),
        ("oneig_final", "OneIG final", False), ("oneig_draft", "OneIG draft", False),
        ("structure_layout", "structure (layout)", False), ("structure_ocr_final", "structure (OCR final)", False),
        ("structure_ocr_draft", "structure (OCR draft)", False)]


def _cell(summary: dict, k: str, pct: bool) -> str:
    v = summary.get(k)
    if isinstance(v, dict):   # OneIG: score with ED/CR/WAC
        return (f"{v['score']:.3f} <small>(ED {v['ED']:.1f}, CR {v['CR']:.2f}, WAC {v['WAC']:.3f})</small>")
    return html.escape(_fmt(v, pct))


def _table(rows: list[tuple[str, dict]], first: str) -> str:
    used = [c for c in COLS if any(s.get(c[0]) is not None for _, s in rows)]
    head = "".join(f"<th>{html.escape(t)}</th>" for _, t, _ in used)
    body = "".join(f"<tr><td>{html.escape(name)}</td>" + "".join(f"<td>{_cell(s, k, p)}</td>" for k, _, p in used)
                   + "</tr>" for name, s in rows)
    return f"<table><tr><th>{html.escape(first)}</th>{head}</tr>{body}</table>"


def _item_html(r: dict, out_dir: str) -> str:
    files = r.get("files") or {}
    imgs = []
    for role in ("draft", "final"):
        if role in files:
            uri = _thumb(os.path.join(out_dir, files[role]))
            if uri:
                imgs.append(f"<figure><img src=\"{uri}\" alt=\"{role}\"><figcaption>{role}</figcaption></figure>")
    pr = r.get("primary") or {}
    scores = []
    for im, t in (r.get("text") or {}).items():
        if "longtext" in t:
            lt = t["longtext"]
            miss = ", ".join(lt["missing"][:30])
            scores.append(f"LongText {im}: {_fmt(lt['recall'])} ({lt['matched']}/{lt['total']})"
                          + (f" — missing: {miss}" if miss else ""))
        if "oneig" in t:
            o = t["oneig"]
            scores.append(f"OneIG {im}: {o['score']:.3f} (ED {o['ed']}, CR {o['cr']}, WAC {o['wac']:.3f})")
    for name, st in (r.get("structure") or {}).items():
        scores.append(f"structure {name}: {_fmt(st.get('score'))}" + (f" — {st['error']}" if st.get("error") else ""))
    for im, o in (r.get("ocr") or {}).items():
        if "error" in o:
            scores.append(f"OCR {im}: {o['error']}")
    ex = r.get("exec") or {}
    for k, v in (r.get("extra") or {}).items():
        scores.append(f"{k}: {v}")
    times = ", ".join(f"{k} {v:.2f}" for k, v in (r.get("times") or {}).items() if isinstance(v, (int, float)))
    code = ""
    if files.get("code"):
        try:
            with open(os.path.join(out_dir, files["code"]), encoding="utf-8") as f:
                code = f.read()
        except OSError:
            code = ""
    err = f"<p class=err>{html.escape(r.get('error_type') or '')}: {html.escape(r.get('error') or '')}</p>" \
        if r.get("status") != "ok" else ""
    ocr_txt = "".join(f"<details><summary>OCR text ({html.escape(im)})</summary><pre>{html.escape(o.get('text', ''))}</pre>"
                      "</details>" for im, o in (r.get("ocr") or {}).items() if "text" in o)
    return (f"<section class=item id=\"{html.escape(r['set'] + '-' + r['id'])}\">"
            f"<h3>{html.escape(r['set'])} / {html.escape(r['id'])} <span class=\"st {html.escape(r.get('status', ''))}\">"
            f"{html.escape(r.get('status', ''))}</span> <small>{html.escape(r.get('category', ''))} · "
            f"{html.escape(r.get('lang', ''))} · text {_fmt(pr.get('text_score'))} · rounds {_fmt(ex.get('rounds'))}"
            f"</small></h3>{err}<div class=imgs>{''.join(imgs)}</div>"
            f"<p class=prompt>{html.escape(r.get('prompt', '')[:600])}</p>"
            f"<ul>{''.join(f'<li>{html.escape(s)}</li>' for s in scores)}</ul><p class=t>seconds: {html.escape(times)}</p>"
            + (f"<details><summary>code</summary><pre>{html.escape(code)}</pre></details>" if code else "")
            + ocr_txt + "</section>")


STYLE = """body{font:14px system-ui,sans-serif;margin:20px;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:8px 0 18px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}th{background:#f0f0f0}
.item{border-top:1px solid #ddd;padding:8px 0}.imgs{display:flex;gap:12px}figure{margin:0}
figure img{border:1px solid #ccc;max-width:360px}figcaption{font-size:12px;color:#555}
.st{font-size:12px;padding:1px 6px;border-radius:3px;background:#ddd}.st.ok{background:#cfe8cf}
.st.failed,.st.timeout,.st.error{background:#f3c9c9}.err{color:#a00}pre{background:#f7f7f7;padding:6px;
overflow:auto;max-height:320px;font-size:12px}.prompt{color:#444;font-size:13px}.t{color:#666;font-size:12px}
.plots img{margin-right:10px}"""


def write_html(records: list[dict], agg: dict, out_dir: str, meta: dict) -> str:
    parts = [f"<!doctype html><html><head><meta charset=utf-8><meta http-equiv=\"Content-Security-Policy\" "
             f"content=\"{CSP}\"><title>CoCo evaluation</title><style>{STYLE}</style></head><body>",
             "<h1>CoCo evaluation</h1>",
             f"<p>{html.escape(meta.get('source_desc', ''))} · {len(records)} items · written "
             f"{html.escape(meta.get('written', ''))}</p>", "<h2>Per set</h2>",
             _table(list(agg["sets"].items()), "set"), "<h2>Per language</h2>", _table(list(agg["langs"].items()), "lang")]
    for s, cats in agg["categories"].items():
        parts += [f"<h2>{html.escape(s)}: per category</h2>", _table(list(cats.items()), "category")]
    errs = agg["overall"].get("ocr_errors")
    if errs:
        parts.append("<p class=err>" + "<br>".join(html.escape(e) for e in errs) + "</p>")
    plots = _plots(records)
    if plots:
        parts.append("<h2>Distributions</h2><div class=plots>" +
                     "".join(f"<img src=\"{u}\" alt=\"{html.escape(t)}\">" for t, u in plots) + "</div>")
    parts.append("<h2>Items</h2>")
    parts += [_item_html(r, out_dir) for r in sorted(records, key=lambda r: (r["set"], r["id"]))]
    parts.append("</body></html>")
    path = os.path.join(out_dir, "report.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(parts))
    return path


def summary_text(agg: dict) -> str:
    lines = []
    o = agg["overall"]
    lines.append(f"items {o['n']}: ok {o['ok']}, failed {o['failed']}, timeout {o['timeout']}, harness errors "
                 f"{o['error']}; executable {_fmt(o['exec_rate'], True)}; rounds {_fmt(o['rounds_mean'])}")
    for name, s in list(agg["sets"].items()) + [(f"lang {k}", v) for k, v in agg["langs"].items()]:
        bits = []
        for im in ("final", "draft"):
            if s.get(f"longtext_{im}") is not None:
                bits.append(f"LongText {im} {s[f'longtext_{im}']:.4f}")
            if s.get(f"oneig_{im}"):
                x = s[f"oneig_{im}"]
                bits.append(f"OneIG {im} {x['score']:.4f} (ED {x['ED']:.2f} CR {x['CR']:.3f} WAC {x['WAC']:.4f})")
        for k, label in (("structure_layout", "structure layout"), ("structure_ocr_final", "structure OCR final"),
                         ("structure_ocr_draft", "structure OCR draft")):
            if s.get(k) is not None:
                bits.append(f"{label} {s[k]:.3f}")
        for k, v in (s.get("extra_mean") or {}).items():
            bits.append(f"{k} {v:.3g}")
        t = s.get("times_mean", {})
        tt = " ".join(f"{k}={v:.2f}" for k, v in t.items() if v is not None)
        lines.append(f"{name} (n={s['n']}, exec {_fmt(s['exec_rate'], True)}): " + "; ".join(bits))
        if tt:
            lines.append(f"    mean s: {tt}")
    for e in o.get("ocr_errors", []):
        lines.append(f"note: {e}")
    return "\n".join(lines)


def write_all(records: list[dict], out_dir: str, meta: dict | None = None) -> dict:
    meta = dict(meta or {})
    meta.setdefault("written", time.strftime("%Y-%m-%d %H:%M:%S"))
    agg = aggregate(records)
    paths = {"html": write_html(records, agg, out_dir, meta)}
    paths["json"] = os.path.join(out_dir, "report.json")
    with open(paths["json"], "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "aggregate": agg, "items": records}, f, ensure_ascii=False, indent=1, default=str)
    text = summary_text(agg)
    paths["summary"] = os.path.join(out_dir, "summary.txt")
    with open(paths["summary"], "w", encoding="utf-8") as f:
        f.write(text + "\n")
    return {"paths": paths, "aggregate": agg, "summary": text}
