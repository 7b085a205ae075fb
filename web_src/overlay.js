// The layout overlay of the editor's preview: element boxes, and — when the sandbox sends the
// semantic layout (layout.semantic, docs/semantic_layout.md) — what each box IS (kind and value:
// `bar "Q1" = 12.5`, `title: Sales`). Labels never overlap: a label that would cover one already
// placed is hidden (its box keeps the full text as tooltip).

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

const fmt = (v) => (typeof v === "number" ? String(Math.round(v * 1000) / 1000) : String(v));
const q = (s) => (s == null || s === "" ? "" : ` "${s}"`);

/** [{bbox, kind, label, title}] from the semantic layout (null when there is none). */
export function semanticItems(sem) {
  if (!sem || typeof sem !== "object" || !Array.isArray(sem.axes)) return null;
  const out = [];
  const add = (o, kind, label) => {
    if (Array.isArray(o?.bbox) && o.bbox.length === 4) out.push({ bbox: o.bbox, kind, label, title: label });
  };
  for (const ax of sem.axes) {
    add(ax, "axes", `axes ${ax.kind || ""}`.trim());
    for (const b of ax.bars || []) add(b, "bar", `bar${q(b.category)}${b.series ? ` [${b.series}]` : ""} = ${fmt(b.value)}`);
    for (const w of ax.wedges || []) add(w, "wedge", `wedge${q(w.label)} = ${fmt(w.value)}`);
    for (const l of ax.lines || []) add(l, "line", `line${q(l.label)} (${(l.points || []).length} points)`);
    for (const s of ax.scatters || []) add(s, "scatter", `scatter${q(s.label)} (${s.count} points)`);
    for (const c of ax.cells || []) add(c, "cell", `cell ${c.row},${c.col}: ${c.text}`);
  }
  for (const t of sem.texts || []) add(t, "text", `${t.role || "text"}: ${t.text}`);
  for (const s of sem.shapes || []) add(s, "shape", `${s.kind || "shape"}${s.fill ? ` ${s.fill}` : ""}`);
  return out;
}

/** [{bbox, kind, label, title}] from the plain layout (text boxes carry their text as label). */
export function elementItems(layout) {
  return (layout?.elements || []).filter((e) => Array.isArray(e.bbox) && e.bbox.length === 4).map((e) => ({
    bbox: e.bbox, kind: e.type === "text" ? "text" : String(e.type || ""),
    label: e.text || "", title: e.text ? `${e.type}: ${e.text}` : String(e.type || ""),
  }));
}

/** Draw the items into `overlay` (an element over the image of W x H pixels). */
export function drawItems(overlay, items, W, H) {
  overlay.replaceChildren();
  const labels = [];
  for (const it of items) {
    const b = it.bbox;
    const box = el("div", `coco-ed-box ${it.kind === "text" ? "text" : ""} kind-${it.kind}`);
    box.style.left = `${(100 * b[0]) / W}%`;
    box.style.top = `${(100 * b[1]) / H}%`;
    box.style.width = `${(100 * (b[2] - b[0])) / W}%`;
    box.style.height = `${(100 * (b[3] - b[1])) / H}%`;
    box.title = it.title;
    box.dataset.type = it.kind;
    if (it.label) {
      const span = el("span", null, it.label);
      box.append(span);
      labels.push(span);
    }
    overlay.append(box);
  }
  hideOverlappingLabels(labels);
}

/** Hide every label that overlaps one placed before it (first come, first kept). */
export function hideOverlappingLabels(labels) {
  const placed = [];
  for (const s of labels) {
    const r = s.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const hit = placed.some((p) => r.left < p.right && p.left < r.right && r.top < p.bottom && p.top < r.bottom);
    if (hit) s.classList.add("coco-hidden-label");
    else placed.push(r);
  }
}
