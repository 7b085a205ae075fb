// Trust on this machine (issue 17): which texts that shape drawing code were typed here.
//
// * Every real key press or paste (event.isTrusted) into a text box of the page, and every edit in
//   the code editor, is reported to POST /coco/mark_typed (debounced). The server keeps the SHA-256
//   of the exact text in ComfyUI's user folder. A loaded workflow sets widget values without key
//   presses, so its texts stay foreign; nothing here is ever written into the workflow.
// * CoCo_CodeGen gets a small panel: where the sandbox does not keep code from the user's files
//   and the network, it says which inputs are foreign, shows them in full and has
//   "Approve inputs" (POST /coco/approve {texts}).
import { api } from "../../../scripts/api.js";

export const CODEGEN_NODE = "CoCo_CodeGen";
const MARK_DEBOUNCE_MS = 350;
const TEXT_WIDGETS = ["prompt", "system_prompt"];

export async function postJson(path, body) {
  const r = await api.fetchApi(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  let data = null;
  try { data = await r.json(); } catch { data = { error: "bad_response", message: `HTTP ${r.status}` }; }
  return { status: r.status, data };
}

export let isolationInfo = null; // {tier, enforces_files_network, description}
let isolationPromise = null;
export function getIsolation() {
  if (!isolationPromise) {
    isolationPromise = api.fetchApi("/coco/isolation")
      .then((r) => (r.ok ? r.json() : null))
      .then((j) => (isolationInfo = j))
      .catch(() => null);
  }
  return isolationPromise;
}

// ---- typed texts ----------------------------------------------------------------------------

const pendingMarks = new Map(); // key -> {text, timer}
const inFlight = new Set();
const listeners = new Set();

/** The user typed `text` into the box `key`: report it (debounced per box). */
export function markTyped(key, text) {
  const old = pendingMarks.get(key);
  if (old) clearTimeout(old.timer);
  const entry = { text, timer: setTimeout(() => sendMark(key), MARK_DEBOUNCE_MS) };
  pendingMarks.set(key, entry);
}

function sendMark(key) {
  const entry = pendingMarks.get(key);
  if (!entry) return null;
  pendingMarks.delete(key);
  clearTimeout(entry.timer);
  if (!entry.text || !entry.text.trim()) return null;
  const p = postJson("/coco/mark_typed", { text: entry.text })
    .catch(() => null)
    .finally(() => { inFlight.delete(p); for (const f of listeners) f(); });
  inFlight.add(p);
  return p;
}

/** Send every pending mark now and wait for them (before a preview or a queued run). */
export async function flushTyped() {
  for (const key of [...pendingMarks.keys()]) sendMark(key);
  await Promise.all([...inFlight]);
}

export function onMarked(f) { listeners.add(f); }

let nextBoxId = 1;
function boxKey(el) {
  if (!el.dataset.cocoBox) el.dataset.cocoBox = String(nextBoxId++);
  return `box${el.dataset.cocoBox}`;
}

/** Real key presses and pastes in any text box of the page (widgets of every node, both canvas modes). */
export function watchTypedText() {
  document.addEventListener("input", (e) => {
    if (!e.isTrusted) return;
    const t = e.target;
    const isText = t instanceof HTMLTextAreaElement || (t instanceof HTMLInputElement && t.type === "text");
    if (isText) markTyped(boxKey(t), t.value);
  }, true);
  // A run queued right after typing: the marks reach the server first.
  const queue = api.queuePrompt;
  if (typeof queue === "function" && !queue.cocoWrapped) {
    api.queuePrompt = async function (...args) {
      try { await flushTyped(); } catch { /* the run says what is wrong */ }
      return queue.apply(this, args);
    };
    api.queuePrompt.cocoWrapped = true;
  }
}

// ---- the CodeGen panel ----------------------------------------------------------------------

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

class TrustPanel {
  constructor(node) {
    this.node = node;
    this.root = el("div", "coco-trust");
    this.root.dataset.cocoTrust = "1";
    this.line = el("div", "coco-trust-line");
    this.texts = el("div", "coco-trust-texts");
    this.approveBtn = el("button", "coco-approve-inputs", "Approve inputs");
    this.approveBtn.title = "Allow code to be written from exactly these texts on this machine (kept on this "
      + "machine, never in the workflow).";
    this.approveBtn.addEventListener("click", () => this.approve());
    this.root.append(this.line, this.texts, this.approveBtn);
    for (const ev of ["keydown", "wheel", "pointerdown"]) this.root.addEventListener(ev, (e) => e.stopPropagation(), { passive: true });
    this.foreign = []; // [{name, text, sha256}]
    this.pending = []; // from a refused run (linked inputs included)
    this.timer = null;
  }

  widgetTexts() {
    const out = [];
    for (const name of TEXT_WIDGETS) {
      const w = this.node.widgets?.find((x) => x.name === name);
      const linked = this.node.inputs?.some((i) => i.name === name && i.link != null);
      if (w && !linked && typeof w.value === "string") out.push({ name, text: w.value });
    }
    return out;
  }

  schedule(delay = 200) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), delay);
  }

  async refresh() {
    const iso = await getIsolation();
    const items = this.widgetTexts();
    let foreign = [];
    if (iso && !iso.enforces_files_network && items.length) {
      const { status, data } = await postJson("/coco/trust_status", { texts: items.map((i) => i.text) });
      if (status === 200) {
        foreign = items.map((it, k) => ({ ...it, ...data.items[k] })).filter((it) => it.needs_approval);
      }
    }
    const shown = new Set(foreign.map((f) => f.text));
    this.foreign = foreign.concat(this.pending.filter((p) => !shown.has(p.text)));
    this.show(iso);
  }

  show(iso) {
    const needs = this.foreign.length > 0;
    this.root.classList.toggle("needs", needs);
    this.texts.replaceChildren();
    if (!iso) {
      this.line.textContent = "sandbox: unknown";
    } else if (iso.enforces_files_network) {
      this.line.textContent = `sandbox: ${iso.tier} — files and network isolated; no approval needed`;
    } else if (!needs) {
      this.line.textContent = `sandbox: ${iso.tier} (NOT isolated) — inputs typed or approved here`;
    } else {
      const names = this.foreign.map((f) => `'${f.name}'`).join(", ");
      this.line.textContent = `Waiting for approval: ${names} came with the workflow (not typed here), and the `
        + `sandbox here (${iso.tier}) does not keep code from your files and the network. Read, then approve:`;
      for (const f of this.foreign) {
        const box = el("div", "coco-trust-text");
        box.append(el("b", null, `${f.name}:`), el("pre", null, f.text));
        this.texts.append(box);
      }
    }
    this.line.title = iso?.description || "";
    this.approveBtn.style.display = needs ? "" : "none";
    this.texts.style.display = needs ? "" : "none";
    const h = needs ? 230 : 22;
    if (this.height !== h) {
      this.height = h;
      const [w, nh] = this.node.size;
      this.node.setSize?.([w, Math.max(nh, this.node.computeSize?.()[1] || nh)]);
      this.node.graph?.setDirtyCanvas?.(true, true);
    }
  }

  async approve() {
    const texts = this.foreign.map((f) => f.text);
    if (!texts.length) return;
    const { status, data } = await postJson("/coco/approve", { texts });
    if (status === 200 && data?.approved) {
      this.pending = [];
      await this.refresh();
    } else {
      this.line.textContent = data?.message || "approval failed";
    }
  }

  async loadPending() {
    try {
      const r = await api.fetchApi(`/coco/pending_inputs?node_id=${encodeURIComponent(this.node.id)}`);
      const data = r.ok ? await r.json() : null;
      this.pending = data?.items || [];
    } catch { this.pending = []; }
    await this.refresh();
  }
}

export function attachTrustPanel(node) {
  if (node.cocoTrust || typeof node.addDOMWidget !== "function") return;
  const panel = new TrustPanel(node);
  const widget = node.addDOMWidget("coco_trust", "coco_trust", panel.root, {
    serialize: false, hideOnZoom: false, getValue: () => undefined, setValue: () => {},
    getMinHeight: () => panel.height || 22, getMaxHeight: () => panel.height || 22,
  });
  widget.serialize = false;
  node.cocoTrust = panel;
  for (const name of TEXT_WIDGETS) {
    const w = node.widgets?.find((x) => x.name === name);
    if (!w) continue;
    const cb = w.callback;
    w.callback = function (...a) { const r = cb?.apply(this, a); panel.schedule(); return r; };
  }
  panel.schedule(0);
}

export function refreshTrustPanels(app) {
  for (const n of app.graph?._nodes || []) n.cocoTrust?.schedule(0);
}

export const TRUST_CSS = `
.coco-trust { font: 11px/1.35 system-ui, sans-serif; color:#aaa; overflow:hidden; box-sizing:border-box; }
.coco-trust-line { white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.coco-trust.needs .coco-trust-line { white-space:normal; color:#ffb74d; }
.coco-trust-texts { max-height:150px; overflow:auto; margin:3px 0; }
.coco-trust-text pre { margin:1px 0 4px; padding:3px; background:#151515; color:#ddd; white-space:pre-wrap;
  word-break:break-word; font: 10.5px/1.3 ui-monospace, monospace; }
.coco-trust button { font-size:11px; padding:1px 8px; border-radius:4px; border:1px solid #b58900;
  background:#4a3b00; color:#ffe08a; cursor:pointer; }
`;
