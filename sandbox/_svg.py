"""SVG: defusedxml parse, allowlist sanitiser, resvg-py render with bundled fonts only, text boxes.

Refused (UnsafeSVG) rather than stripped: DTD/entities, scripts, external references (any href
that is not "#id" or a small data:image/png|jpeg;base64 URI, any url() that is not url(#id),
CSS @import), <use> expansion bombs and reference cycles, canvases over the limits.
Dropped with a log line: foreignObject, on* event attributes, unknown elements and attributes
of other namespaces.

Runs in the sandbox child (Landlock is what stops native file reads that slip past a sanitiser).
"""

from __future__ import annotations

import base64
import io
import math
import os
import re

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
MAX_SVG_BYTES = 4 * 1024 * 1024
MAX_DATA_URI = 2 * 1024 * 1024
MAX_USE_EXPANSION = 20000
MAX_NODES = 50000

ALLOWED = {
    "svg", "g", "defs", "symbol", "use", "title", "desc", "metadata", "rect", "circle", "ellipse", "line",
    "polyline", "polygon", "path", "text", "tspan", "textPath", "image", "linearGradient", "radialGradient",
    "stop", "pattern", "clipPath", "mask", "marker", "filter", "style", "a", "switch", "view",
    "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix", "feDiffuseLighting",
    "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR",
    "feGaussianBlur", "feImage", "feMerge", "feMergeNode", "feMorphology", "feOffset", "fePointLight",
    "feSpecularLighting", "feSpotLight", "feTile", "feTurbulence",
}
DROP = {"foreignObject"}
REFUSE = {"script", "iframe", "object", "embed", "audio", "video", "handler", "listener"}
TEXT_TAGS = {"text", "tspan", "textPath"}
GRAPHIC = {"rect", "circle", "ellipse", "line", "polyline", "polygon", "path", "image", "use"}


class UnsafeSVG(Exception):
    pass


class SVGTooLarge(Exception):
    pass


def _local(tag):
    if not isinstance(tag, str):
        return None, None
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return SVG_NS, tag


_STD_DOCTYPE = re.compile(r'<!DOCTYPE\s+svg\s+PUBLIC\s+"-//W3C//DTD SVG 1\.[01]//EN"\s+'
                          r'"http://www\.w3\.org/(?:Graphics/SVG/1\.1/DTD/svg11\.dtd|TR/2001/REC-SVG-20010904/DTD/'
                          r'svg10\.dtd)"\s*>')
_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)


def _check_css(text, where):
    low = text.lower()
    if "@import" in low:
        raise UnsafeSVG(f"CSS @import in {where} (external stylesheets are not allowed)")
    for m in _URL.finditer(text):
        target = m.group(2).strip()
        if not target.startswith("#"):
            raise UnsafeSVG(f"external url({target[:80]}) in {where} (only url(#id) is allowed)")
    if re.search(r"expression\s*\(|javascript:", low):
        raise UnsafeSVG(f"script in CSS of {where}")


def _check_href(value, tag, limits):
    v = value.strip()
    if v.startswith("#"):
        return
    m = re.match(r"data:image/(png|jpeg|jpg);base64,(.*)$", v, re.S | re.I)
    if m:
        payload = re.sub(r"\s+", "", m.group(2))
        if len(payload) > MAX_DATA_URI * 4 // 3 + 4:
            raise UnsafeSVG(f"data: image in <{tag}> is larger than {MAX_DATA_URI // 1024} KiB")
        try:
            raw = base64.b64decode(payload, validate=True)
            from PIL import Image
            with Image.open(io.BytesIO(raw)) as im:
                w, h = im.size
        except Exception as e:
            raise UnsafeSVG(f"data: image in <{tag}> is not a valid PNG/JPEG ({type(e).__name__})")
        if w > limits.max_side or h > limits.max_side or w * h > limits.max_megapixels * 1e6:
            raise UnsafeSVG(f"data: image in <{tag}> is {w}x{h} px, over max_side={limits.max_side}/"
                            f"max_megapixels={limits.max_megapixels:g}")
        return
    raise UnsafeSVG(f"external reference href={v[:100]!r} in <{tag}> (only '#id' and small data:image/png|jpeg "
                    f"URIs are allowed; no files or URLs)")


_UNITS = {"": 1.0, "px": 1.0, "pt": 96 / 72, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4}


def _length(v, default=None):
    if v is None:
        return default
    m = re.match(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-z%]*)\s*$", str(v))
    if not m:
        return default
    unit = m.group(2).lower()
    if unit == "%" or unit in ("em", "ex"):
        return default
    if unit not in _UNITS:
        return default
    return float(m.group(1)) * _UNITS[unit]


def _viewbox(root):
    vb = root.get("viewBox")
    if not vb:
        return None
    try:
        parts = [float(x) for x in re.split(r"[\s,]+", vb.strip())]
        if len(parts) == 4 and parts[2] > 0 and parts[3] > 0:
            return parts
    except ValueError:
        pass
    return None


def canvas_size(root):
    vb = _viewbox(root)
    w = _length(root.get("width"))
    h = _length(root.get("height"))
    if w is None and h is None:
        if vb:
            w, h = vb[2], vb[3]
        else:
            w, h = 100.0, 100.0
    elif w is None:
        w = h * (vb[2] / vb[3]) if vb else h
    elif h is None:
        h = w * (vb[3] / vb[2]) if vb else w
    return w, h


def sanitize(svg_text: str, limits, log):
    """Return (sanitized root element, (w, h) in px). Raises UnsafeSVG."""
    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException
    if len(svg_text.encode("utf-8", "ignore")) > MAX_SVG_BYTES:
        raise UnsafeSVG(f"SVG is larger than {MAX_SVG_BYTES // (1024 * 1024)} MiB")
    # the standard SVG 1.0/1.1 doctype (no internal subset) is harmless boilerplate: drop it
    svg_text = _STD_DOCTYPE.sub("", svg_text, count=1)
    low = svg_text[:4096].lower()
    if "<!doctype" in low or "<!entity" in svg_text.lower():
        raise UnsafeSVG("DTD/entity declarations (<!DOCTYPE>/<!ENTITY>) are not allowed in SVG")
    try:
        root = DET.fromstring(svg_text.lstrip("\ufeff \t\r\n"), forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    except DefusedXmlException as e:
        raise UnsafeSVG(f"DTD/entity declarations are not allowed in SVG ({type(e).__name__})")
    except Exception as e:
        raise ValueError(f"SVG does not parse: {e}")
    ns, name = _local(root.tag)
    if name != "svg":
        raise ValueError(f"the document's root element is <{name}>, not <svg>")
    ids = {}
    count = 0

    def walk(el, parent):
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise UnsafeSVG(f"SVG has more than {MAX_NODES} elements")
        for child in list(el):
            cns, cname = _local(child.tag)
            if cname is None:          # comments / processing instructions
                el.remove(child)
                continue
            if cname in REFUSE or (cns == SVG_NS and cname.lower() == "script"):
                raise UnsafeSVG(f"<{cname}> elements are not allowed in SVG (scripts and embedded content)")
            if cns != SVG_NS or cname not in ALLOWED:
                if cname in DROP:
                    log.write(f"[sandbox] SVG: dropped <{cname}>\n")
                elif cns == SVG_NS:
                    log.write(f"[sandbox] SVG: dropped unknown element <{cname}>\n")
                el.remove(child)
                continue
            walk(child, el)
        for key in list(el.attrib):
            ans, aname = _local(key) if key.startswith("{") else (None, key)
            val = el.attrib[key]
            if aname.lower().startswith("on"):
                log.write(f"[sandbox] SVG: dropped event attribute {aname}\n")
                del el.attrib[key]
                continue
            if aname == "href" and ans in (None, XLINK_NS):
                _check_href(val, _local(el.tag)[1], limits)
                continue
            if ans not in (None, XLINK_NS, "http://www.w3.org/XML/1998/namespace"):
                del el.attrib[key]
                continue
            if ans == "http://www.w3.org/XML/1998/namespace" and aname == "base":
                raise UnsafeSVG("xml:base is not allowed (external references)")
            if "url(" in val.lower() or "@import" in val.lower():
                _check_css(val, f"attribute {aname} of <{_local(el.tag)[1]}>")
        if _local(el.tag)[1] == "style":
            css = "".join(el.itertext())          # ALL the text: after child elements/comments too
            if "\\" in css:
                raise UnsafeSVG("CSS escapes in <style> are not allowed")   # \75rl( would hide a url(
            _check_css(css, "<style>")
        if el.get("id"):
            ids[el.get("id")] = el

    walk(root, None)
    for key in list(root.attrib):
        if key.lower().startswith("on"):
            del root.attrib[key]
    # <use> expansion (billion-laughs with <use>) and reference cycles
    memo = {}

    def size(el, stack):
        if id(el) in memo:
            return memo[id(el)]
        n = 1
        for child in el:
            n += size(child, stack)
        if _local(el.tag)[1] == "use":
            ref = el.get("href") or el.get("{%s}href" % XLINK_NS) or ""
            target = ids.get(ref[1:]) if ref.startswith("#") else None
            if target is not None:
                if id(target) in stack:
                    raise UnsafeSVG("<use> reference cycle")
                n += size(target, stack | {id(target)})
        if n > MAX_USE_EXPANSION:
            raise UnsafeSVG(f"<use> elements expand to more than {MAX_USE_EXPANSION} nodes (a 'use bomb')")
        memo[id(el)] = n
        return n

    size(root, frozenset())
    w, h = canvas_size(root)
    if not (math.isfinite(w) and math.isfinite(h)) or w <= 0 or h <= 0:
        raise ValueError(f"SVG canvas size {w}x{h} is not valid")
    W, H = int(math.ceil(w)), int(math.ceil(h))
    if W > limits.max_side or H > limits.max_side or W * H > limits.max_megapixels * 1e6:
        raise SVGTooLarge(f"SVG canvas would be {W}x{H} px, over max_side={limits.max_side} / "
                          f"max_megapixels={limits.max_megapixels:g}; make width/height/viewBox smaller or raise the limit")
    return root, (W, H)


def _fonts():
    import matplotlib
    from . import _fonts
    dirs = [os.path.join(matplotlib.get_data_path(), "fonts", "ttf")]
    files = [_fonts.cjk_font_file()] if _fonts.cjk_font_file() else []
    return dirs, files


def rasterize(svg_text, W, H):
    import resvg_py
    from PIL import Image
    dirs, files = _fonts()
    png = resvg_py.svg_to_bytes(svg_string=svg_text, skip_system_fonts=True, font_dirs=dirs, font_files=files,
                                font_family="DejaVu Sans", sans_serif_family="DejaVu Sans",
                                serif_family="DejaVu Serif", monospace_family="DejaVu Sans Mono",
                                width=W, height=H, dpi=96.0)
    with Image.open(io.BytesIO(png)) as im:
        im = im.convert("RGBA")
        if im.size != (W, H):
            im = im.resize((W, H))
        return im.tobytes()


def tostring(root):
    import xml.etree.ElementTree as ET
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(root, encoding="unicode")


# ---------------------------------------------------------------------------------------------- layout

def _matmul(a, b):
    return (a[0] * b[0] + a[2] * b[1], a[1] * b[0] + a[3] * b[1], a[0] * b[2] + a[2] * b[3],
            a[1] * b[2] + a[3] * b[3], a[0] * b[4] + a[2] * b[5] + a[4], a[1] * b[4] + a[3] * b[5] + a[5])


def _parse_transform(s):
    m = (1, 0, 0, 1, 0, 0)
    for name, args in re.findall(r"(\w+)\s*\(([^)]*)\)", s or ""):
        try:
            v = [float(x) for x in re.split(r"[\s,]+", args.strip()) if x]
        except ValueError:
            continue
        t = None
        if name == "translate":
            t = (1, 0, 0, 1, v[0], v[1] if len(v) > 1 else 0)
        elif name == "scale":
            t = (v[0], 0, 0, v[1] if len(v) > 1 else v[0], 0, 0)
        elif name == "matrix" and len(v) == 6:
            t = tuple(v)
        elif name == "rotate" and v:
            a = math.radians(v[0])
            t = (math.cos(a), math.sin(a), -math.sin(a), math.cos(a), 0, 0)
            if len(v) == 3:
                t = _matmul(_matmul((1, 0, 0, 1, v[1], v[2]), t), (1, 0, 0, 1, -v[1], -v[2]))
        if t:
            m = _matmul(m, t)
    return m


def _apply(m, x, y):
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _style(el):
    d = {}
    for part in (el.get("style") or "").split(";"):
        if ":" in part:
            k, v = part.split(":", 1)
            d[k.strip()] = v.strip()
    return d


def _attr(el, name, inherited):
    st = _style(el)
    return st.get(name) or el.get(name) or inherited.get(name)


def _num_list(v):
    if v is None:
        return []
    try:
        return [float(x) for x in re.split(r"[\s,]+", v.strip()) if x]
    except ValueError:
        return []


def extract_layout(root, W, H):
    w, h = canvas_size(root)
    vb = _viewbox(root)
    base = (1, 0, 0, 1, 0, 0)
    if vb:
        sx, sy = W / vb[2], H / vb[3]
        s = min(sx, sy)
        base = (s, 0, 0, s, -vb[0] * s + (W - vb[2] * s) / 2, -vb[1] * s + (H - vb[3] * s) / 2)
    else:
        base = (W / w, 0, 0, H / h, 0, 0)
    elements = []

    def box_of(m, pts):
        xs, ys = zip(*[_apply(m, x, y) for x, y in pts])
        return [min(xs), min(ys), max(xs), max(ys)]

    def walk(el, m, inh):
        _, name = _local(el.tag)
        if name in ("defs", "symbol", "clipPath", "mask", "marker", "pattern", "linearGradient", "radialGradient",
                    "filter", "style", "title", "desc", "metadata"):
            return
        m = _matmul(m, _parse_transform(el.get("transform")))
        inh = dict(inh)
        for k in ("font-size", "fill", "text-anchor", "font-family"):
            v = _attr(el, k, {})
            if v:
                inh[k] = v
        try:
            if name == "text":
                text = "".join(el.itertext()).strip()
                if text:
                    fs = _length(inh.get("font-size", "16"), 16.0) or 16.0
                    xs, ys = _num_list(el.get("x")), _num_list(el.get("y"))
                    x, y = (xs[0] if xs else 0.0), (ys[0] if ys else 0.0)
                    if not xs or not ys:
                        for t in el:
                            txs, tys = _num_list(t.get("x")), _num_list(t.get("y"))
                            x = txs[0] if (not xs and txs) else x
                            y = tys[0] if (not ys and tys) else y
                            if txs or tys:
                                break
                    width = sum(fs * (1.0 if ord(c) > 0x2E80 else 0.56) for c in text)
                    anchor = inh.get("text-anchor", "start")
                    x0 = x - width / 2 if anchor == "middle" else (x - width if anchor == "end" else x)
                    fill = inh.get("fill", "#000000")
                    elements.append({"type": "text", "text": text, "bbox": box_of(m, [(x0, y - 0.8 * fs),
                                                                                     (x0 + width, y + 0.25 * fs)]),
                                     "fontsize": fs * abs(m[0]), "color": fill if fill.startswith("#") else None,
                                     "approximate": True})
                return
            if name == "rect":
                x, y = _length(el.get("x"), 0.0), _length(el.get("y"), 0.0)
                rw, rh = _length(el.get("width"), 0.0), _length(el.get("height"), 0.0)
                elements.append({"type": "patch", "shape": "rect", "bbox": box_of(m, [(x, y), (x + rw, y + rh)]),
                                 "color": inh.get("fill") if str(inh.get("fill", "")).startswith("#") else None})
            elif name in ("circle", "ellipse"):
                cx, cy = _length(el.get("cx"), 0.0), _length(el.get("cy"), 0.0)
                rx = _length(el.get("r") or el.get("rx"), 0.0)
                ry = _length(el.get("r") or el.get("ry"), 0.0)
                elements.append({"type": "patch", "shape": name,
                                 "bbox": box_of(m, [(cx - rx, cy - ry), (cx + rx, cy + ry)])})
            elif name == "line":
                pts = [(_length(el.get("x1"), 0.0), _length(el.get("y1"), 0.0)),
                       (_length(el.get("x2"), 0.0), _length(el.get("y2"), 0.0))]
                elements.append({"type": "line", "bbox": box_of(m, pts)})
            elif name in ("polyline", "polygon"):
                v = _num_list(el.get("points"))
                pts = list(zip(v[0::2], v[1::2]))
                if pts:
                    elements.append({"type": "line" if name == "polyline" else "patch", "shape": name,
                                     "bbox": box_of(m, pts)})
            elif name == "path":
                v = [float(x) for x in re.findall(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", el.get("d") or "")]
                pts = list(zip(v[0::2], v[1::2]))
                if pts and re.fullmatch(r"[MLHVZmlhvzCcSsQqTtAa0-9.,\s+-eE]*", el.get("d") or "") \
                        and not re.search(r"[mlhvcsqtaHVA]", el.get("d") or ""):
                    elements.append({"type": "patch", "shape": "path", "bbox": box_of(m, pts)})
            elif name == "image":
                x, y = _length(el.get("x"), 0.0), _length(el.get("y"), 0.0)
                iw, ih = _length(el.get("width"), 0.0), _length(el.get("height"), 0.0)
                elements.append({"type": "image", "bbox": box_of(m, [(x, y), (x + iw, y + ih)])})
        except Exception:
            pass
        for child in el:
            walk(child, m, inh)

    walk(root, base, {})
    return elements


def text_only(root):
    import copy
    r = copy.deepcopy(root)

    def prune(el):
        for child in list(el):
            _, name = _local(child.tag)
            if name in GRAPHIC and name not in TEXT_TAGS:
                el.remove(child)
            elif name not in ("defs",):
                prune(child)
    prune(r)
    return r


def missing_glyphs(elements):
    from . import _fonts
    paths = list(_fonts.FONT_FILES) + ([_fonts.cjk_font_file()] if _fonts.cjk_font_file() else [])
    out = []
    for el in elements:
        if el.get("type") == "text":
            chars = _fonts.missing_chars(el["text"], paths)
            if chars:
                out.append({"text": el["text"][:200], "chars": chars,
                            "font": ", ".join(os.path.basename(p) for p in paths[:2])})
    return out


def render_svg(svg_text, limits, log):
    """-> (w, h, rgba, layout_elements). Raises UnsafeSVG / SVGTooLarge / ValueError."""
    root, (W, H) = sanitize(svg_text, limits, log)
    clean = tostring(root)
    rgba = rasterize(clean, W, H)
    try:
        elements = extract_layout(root, W, H)
    except Exception as e:  # best-effort
        log.write(f"[sandbox] SVG layout extraction failed: {e}\n")
        elements = []
    return W, H, rgba, (root, elements)

