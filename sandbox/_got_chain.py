"""The GoT chain: a readable, editable text form of a (validated) semantic layout. Stdlib only.

One object per line, in reading order::

    canvas width=600 height=400 source=matplotlib
    chart kind=bar xscale=linear [83,60,900,880]
    title "Quarterly sales" [380,20,620,55]
    bar "Q1" value=12.5 series="2024" [110,300,180,880]
    rect "Start" fill=#ffcc00 [100,100,300,180]
    arrow "yes" from="Start" to="Done" directed=true [300,140,500,140]

A line is ``kind ["text"] key=value ... [x0,y0,x1,y1]``: the text and string values are JSON
strings, numbers and lists JSON, simple words bare; the box is in [0,1000) (GoT convention,
top-left/bottom-right, per axis). ``(x0,y0),(x1,y1)`` is accepted too; a line without a box is an
object without a region. Lines starting with ``#`` are comments.
"""

from __future__ import annotations

import colorsys
import json
import re

_BARE = re.compile(r"^[A-Za-z_#][A-Za-z0-9_.#\-]*$")
_KIND = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*")
_BOX = re.compile(r"^\[\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\]")
_GOTBOX = re.compile(r"^\(\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\)\s*,\s*\(\s*(-?\d+(?:\.\d+)?)\s*,"
                     r"\s*(-?\d+(?:\.\d+)?)\s*\)")
_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=")
_JSON = json.JSONDecoder()


def _obj(_kind, text=None, box=None, ref=None, **attrs):
    return {"kind": _kind, "text": text, "attrs": {k: v for k, v in attrs.items() if v is not None},
            "box_1000": list(box) if box else None, "ref": ref}


def _reading_order(items):
    """items: (box, payload). Rows top to bottom (vertical overlap >= half the smaller height), then x."""
    items = sorted(items, key=lambda it: ((it[0] or [0, 0, 0, 0])[1], (it[0] or [0, 0, 0, 0])[0]))
    rows = []
    for it in items:
        b = it[0] or [0, 0, 0, 0]
        if rows:
            r = rows[-1]
            top, bot = r["top"], r["bot"]
            ov = min(bot, b[3]) - max(top, b[1])
            if ov >= 0.5 * max(1, min(bot - top, b[3] - b[1])):
                r["items"].append(it)
                r["bot"] = max(bot, b[3])
                continue
        rows.append({"top": b[1], "bot": b[3], "items": [it]})
    out = []
    for r in rows:
        out.extend(p for _, p in sorted(r["items"], key=lambda it: (it[0] or [0, 0, 0, 0])[0]))
    return out


def _union(boxes):
    boxes = [b for b in boxes if b]
    if not boxes:
        return None
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def _axes_objects(ax, texts):
    own = [t for t in texts if t.get("axes") == ax["id"]]
    out = [_obj("chart", None, ax.get("box_1000"), ax["id"], kind=ax.get("kind"),
                xscale=ax.get("xscale") if ax.get("xscale") != "linear" else None,
                yscale=ax.get("yscale") if ax.get("yscale") != "linear" else None,
                x_inverted=True if ax.get("x_inverted") else None, y_inverted=True if ax.get("y_inverted") else None)]
    for role in ("title", "xlabel", "ylabel", "zlabel"):
        for t in own:
            if t["role"] == role:
                out.append(_obj(role, t["text"], t.get("box_1000"), t["id"]))
    for role, key in (("xtick", "xticks"), ("ytick", "yticks")):
        ticks = [t for t in own if t["role"] == role]
        if ticks:
            out.append(_obj(key, None, _union([t.get("box_1000") for t in ticks]), None,
                            labels=[t["text"] for t in ticks]))
    for t in own:
        if t["role"] == "legend":
            out.append(_obj("legend", t["text"], t.get("box_1000"), t["id"]))
    for i, b in enumerate(ax.get("bars") or []):
        kind = "histogram_bin" if ax.get("kind") == "histogram" else "bar"
        out.append(_obj(kind, b.get("category"), b.get("box_1000"), f"{ax['id']}.bars.{i}", value=b.get("value"),
                        series=b.get("series"), x0=b.get("x0"), x1=b.get("x1")))
    for i, ln in enumerate(ax.get("lines") or []):
        out.append(_obj("area" if ln.get("fill") else "line", ln.get("label"), ln.get("box_1000"),
                        f"{ax['id']}.lines.{i}", points=len(ln.get("points") or []), color=ln.get("color")))
    for i, s in enumerate(ax.get("scatters") or []):
        out.append(_obj("scatter", s.get("label"), s.get("box_1000"), f"{ax['id']}.scatters.{i}",
                        count=s.get("count"), color=s.get("color")))
    for i, w in enumerate(ax.get("wedges") or []):
        out.append(_obj("wedge", w.get("label"), w.get("box_1000"), f"{ax['id']}.wedges.{i}",
                        value=w.get("value"), fraction=w.get("fraction"), color=w.get("color")))
    for i, c in enumerate(ax.get("cells") or []):
        out.append(_obj("cell", c.get("text"), c.get("box_1000"), f"{ax['id']}.cells.{i}", row=c.get("row"),
                        col=c.get("col"), value=c.get("value") if c.get("text") is None else None))
    for t in own:
        if t["role"] in ("annotation", "label", "text"):
            out.append(_obj(t["role"], t["text"], t.get("box_1000"), t["id"]))
    return out


def chain_objects(semantic) -> list:
    """The chain's objects (dicts: kind, text, attrs, box_1000, ref) of a validated semantic layout,
    in reading order. ``ref`` names the element it came from ("t3", "s0", "ax0.bars.2", ...)."""
    if not semantic:
        return []
    canvas = semantic.get("canvas") or {}
    out = [_obj("canvas", None, None, None, width=canvas.get("width"), height=canvas.get("height"),
                source=semantic.get("source"))]
    texts = semantic.get("texts") or []
    shapes = semantic.get("shapes") or []
    by_id = {t["id"]: t for t in texts}
    contained = {c for s in shapes for c in s.get("contains") or []}
    groups = []
    for ax in semantic.get("axes") or []:
        groups.append((ax.get("box_1000"), _axes_objects(ax, texts)))
    for s in shapes:
        if s.get("part_of"):
            continue
        label = " ".join(by_id[c]["text"] for c in s.get("contains") or [] if c in by_id) or None
        groups.append((s.get("box_1000"), [_obj(s["kind"], label, s.get("box_1000"), s["id"], fill=s.get("fill"),
                                                stroke=s.get("stroke"))]))
    for t in texts:
        if t.get("axes") is None and t["id"] not in contained:
            groups.append((t.get("box_1000"), [_obj(t["role"] if t["role"] in ("title", "suptitle", "annotation",
                                                                                  "label") else "text",
                                                    t["text"], t.get("box_1000"), t["id"])]))
    for g in _reading_order(groups):
        out.extend(g)
    names = {t["id"]: t["text"] for t in texts}
    for s in shapes:
        names[s["id"]] = " ".join(by_id[c]["text"] for c in s.get("contains") or [] if c in by_id) or s["id"]
    for e in semantic.get("edges") or []:
        out.append(_obj("arrow" if e.get("directed") else "link", e.get("text"), e.get("box_1000"), e["id"],
                        **{"from": names.get(e.get("from")), "to": names.get(e.get("to"))}))
    return out


def _val(v):
    if isinstance(v, str) and _BARE.match(v) and v not in ("true", "false", "null"):
        return v
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def _line(o, with_box=True):
    parts = [o["kind"]]
    if o.get("text") is not None:
        parts.append(json.dumps(o["text"], ensure_ascii=False))
    parts.extend(f"{k}={_val(v)}" for k, v in (o.get("attrs") or {}).items())
    if with_box and o.get("box_1000"):
        parts.append("[" + ",".join(str(int(v)) for v in o["box_1000"]) + "]")
    return " ".join(parts)


def chain_line(obj) -> str:
    """One object's chain line (with its box)."""
    return _line(obj)


def got_chain(semantic) -> str:
    """The GoT chain text of a validated semantic layout ("" for none)."""
    return "\n".join(_line(o) for o in chain_objects(semantic))


def object_prompt(obj) -> str:
    """The text an object contributes as a regional prompt: its chain line without the box."""
    return _line(obj, with_box=False)


def _parse_line(line):
    m = _KIND.match(line)
    if not m:
        return None
    o = {"kind": m.group(0), "text": None, "attrs": {}, "box_1000": None}
    rest = line[m.end():].lstrip()
    if rest.startswith('"'):
        try:
            o["text"], n = _JSON.raw_decode(rest)
        except ValueError:
            return None
        if not isinstance(o["text"], str):
            return None
        rest = rest[n:].lstrip()
    while rest:
        mb = _BOX.match(rest) or _GOTBOX.match(rest)
        if mb:
            v = [min(999, max(0, int(float(x)))) for x in mb.groups()]
            o["box_1000"] = [min(v[0], v[2]), min(v[1], v[3]), max(v[0], v[2]), max(v[1], v[3])]
            rest = rest[mb.end():].lstrip()
            continue
        mk = _KEY.match(rest)
        if not mk:
            return None
        rest = rest[mk.end():]
        if rest[:1] in '"[{-0123456789' or rest.startswith(("true", "false", "null")):
            try:
                val, n = _JSON.raw_decode(rest)
            except ValueError:
                return None
        else:
            n = len(rest.split(None, 1)[0]) if rest.strip() else 0
            val = rest[:n]
        o["attrs"][mk.group(1)] = val
        rest = rest[n:].lstrip()
    return o


def parse_got_chain(text) -> list:
    """Parse a GoT chain (ours, or a user's edit of it) into dicts {kind, text, attrs, box_1000}.
    A line that does not follow the grammar becomes {"kind": "text", "text": <the line>} without a
    box, so free-form edits are kept (as prompt text) rather than lost."""
    out = []
    for raw in str(text or "").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        o = _parse_line(line)
        out.append(o if o is not None else {"kind": "text", "text": line, "attrs": {}, "box_1000": None})
    return out


def got_palette(n) -> list:
    """GoT's colour mask palette: one distinct (r, g, b) per object, in chain order (golden-ratio hues)."""
    out = []
    for i in range(max(0, int(n))):
        h = (i * 0.618033988749895) % 1.0
        s, v = (0.85, 0.95) if i % 2 == 0 else (0.6, 0.8)
        out.append(tuple(int(round(c * 255)) for c in colorsys.hsv_to_rgb(h, s, v)))
    return out
