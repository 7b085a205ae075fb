// ComfyUI-CoCo browser extension: CoCo_CodeEditor's `code` widget becomes a CodeMirror 6 editor
// with a live sandbox preview (POST /coco/preview), the log, error markers, a layout overlay and
// the local approval of foreign code (trust.js), and the trust panel of CoCo_CodeGen. Built into
// web/js/coco_editor.js (npm run build).
//
// The code itself stays in the node's own `code` widget (the textarea ComfyUI made), so it
// serialises into workflow and API JSON exactly as without this extension; the editor widget
// added here is not serialised. If anything here fails, the textarea stays in place and works.
import { app } from "../../../scripts/app.js";
import { api } from "../../../scripts/api.js";
import { createEditor, detectLanguage } from "./cm.js";
import { FILES_NODE, afterConnectionsChange, filesText, hookFilesNode } from "./files.js";
import { drawItems, elementItems, semanticItems } from "./overlay.js";
import { editorCss } from "./style.js";
import {
  CODEGEN_NODE, TRUST_CSS, attachTrustPanel, flushTyped, getIsolation, isolationInfo, markTyped, onMarked,
  postJson, refreshTrustPanels, watchTypedText,
} from "./trust.js";

const EXT = "CoCo.CodeEditor";
const NODE = "CoCo_CodeEditor";
const RENDER_NODE = "CoCo_SandboxRender";
const DEBOUNCE_MS = 300;
const EDITOR_MIN_H = 460;


function injectCss() {
  if (document.getElementById("coco-editor-css")) return;
  const s = document.createElement("style");
  s.id = "coco-editor-css";
  s.textContent = editorCss(EDITOR_MIN_H);
  document.head.appendChild(s);
  s.textContent += TRUST_CSS;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

// ---- server calls ---------------------------------------------------------------------------

// Sequence numbers grow across page reloads (the server keeps the newest one per client).
let lastSeq = 0;
function nextSeq() {
  lastSeq = Math.max(lastSeq + 1, Date.now());
  return lastSeq;
}

function clientKey(node) {
  const cid = api.clientId || api.initialClientId || "anon";
  return `${cid}:node${node.id}`;
}

// ---- one editor -----------------------------------------------------------------------------

class CocoEditor {
  constructor(node, codeWidget) {
    this.node = node;
    this.codeWidget = codeWidget;
    this.timer = null;
    this.sentSeq = 0; // newest request sent
    this.shownSeq = 0; // newest result shown
    this.live = true;
    this.showBoxes = false;
    this.result = null;
    this.codeStatus = null; // /coco/code_status answer for the current text
    this.ranHere = new Set(); // texts rendered successfully in this page
    this.filesSent = null; // names text of the linked CoCo_InputFiles sent with the newest request
    this.build();
  }

  build() {
    const root = (this.root = el("div", "coco-ed"));
    root.dataset.cocoEditor = "1";
    const codeBox = (this.codeBox = el("div", "coco-ed-code"));
    const bar = el("div", "coco-ed-bar");
    this.statusEl = el("span", "coco-ed-status", "sandbox: …");
    this.trustEl = el("span", "coco-ed-trust");
    this.approveBtn = el("button", "coco-approve", "Approve");
    this.approveBtn.title = "Allow this exact code to run on this machine (the approval stays on this machine).";
    this.approveBtn.style.display = "none";
    this.approveBtn.addEventListener("click", () => this.approve());
    const liveLbl = el("label");
    const live = el("input");
    live.type = "checkbox";
    live.checked = true;
    live.addEventListener("change", () => { this.live = live.checked; if (this.live) this.schedule(0); });
    liveLbl.append(live, "live");
    liveLbl.title = "Render a draft preview while typing (in the same sandbox as CoCo_SandboxRender).";
    const boxLbl = el("label");
    const boxes = (this.boxesInput = el("input"));
    boxes.type = "checkbox";
    boxes.className = "coco-boxes";
    boxes.addEventListener("change", () => { this.showBoxes = boxes.checked; this.drawOverlay(); });
    boxLbl.append(boxes, "boxes");
    boxLbl.title = "Draw the layout (element boxes and labels) over the preview.";
    const runBtn = el("button", "coco-run", "▶");
    runBtn.title = "Render the preview now";
    runBtn.addEventListener("click", () => this.schedule(0, true));
    bar.append(this.statusEl, this.trustEl, this.approveBtn, liveLbl, boxLbl, runBtn);
    this.errorEl = el("div", "coco-ed-error");
    const preview = el("div", "coco-ed-preview");
    const imgBox = el("div", "coco-ed-imgbox");
    this.frame = el("div", "coco-ed-frame");
    this.img = el("img");
    this.img.alt = "";
    this.img.className = "coco-preview-img";
    this.img.style.display = "none";
    this.img.addEventListener("load", () => this.drawOverlay());
    this.overlay = el("div", "coco-ed-overlay");
    this.frame.append(this.img, this.overlay);
    imgBox.append(this.frame);
    this.logEl = el("pre", "coco-ed-log");
    preview.append(imgBox, this.logEl);
    root.append(codeBox, bar, this.errorEl, preview);

    // Keys typed in the editor belong to the editor, not to ComfyUI's shortcuts; the wheel
    // scrolls the editor/log instead of zooming the canvas.
    for (const ev of ["keydown", "keyup", "keypress"]) root.addEventListener(ev, (e) => e.stopPropagation());
    root.addEventListener("wheel", (e) => e.stopPropagation(), { passive: true });
    root.addEventListener("pointerdown", (e) => e.stopPropagation());
    root.addEventListener("contextmenu", (e) => e.stopPropagation());

    this.editor = createEditor(codeBox, {
      doc: this.codeWidget.value ?? "",
      placeholder: "# matplotlib / PIL code, or an <svg> document.\n# Empty: follow the upstream code.",
      onChange: (text) => this.onUserEdit(text),
    });
  }

  /** Text typed by the user: store it in the real widget, then preview. */
  onUserEdit(text) {
    markTyped(`editor${this.node.id}`, text); // typed here: local code (the server keeps its hash)
    this.fromEditor = true;
    try {
      this.codeWidget.value = text; // setter: textarea value + widget callback
    } finally {
      this.fromEditor = false;
    }
    this.node.graph?.setDirtyCanvas?.(true, false);
    this.editor.setError(0);
    this.codeStatus = null;
    this.schedule(DEBOUNCE_MS);
  }

  /** The widget's value was set from outside (workflow load, paste into the textarea, undo of ComfyUI). */
  onExternalSet(value) {
    if (this.fromEditor) return;
    this.editor.setText(value ?? "");
    this.editor.setError(0);
    this.codeStatus = null;
    this.schedule(DEBOUNCE_MS);
  }

  schedule(delay, force = false) {
    clearTimeout(this.timer);
    if (!this.live && !force) { this.updateStatus(); return; }
    this.timer = setTimeout(() => this.render(), delay);
  }

  async checkCodeStatus(code) {
    const { status, data } = await postJson("/coco/code_status", { code });
    if (status === 200) this.codeStatus = { code, ...data };
    return this.codeStatus;
  }

  async render() {
    const code = this.editor.getText();
    if (!code.trim()) {
      this.showMessage("", "");
      this.img.style.display = "none";
      this.logEl.textContent = "(empty editor: the node passes its upstream code through)";
      this.updateStatus();
      return;
    }
    await getIsolation();
    try { await flushTyped(); } catch { /* the status call says what is wrong */ }
    if (!this.codeStatus || this.codeStatus.code !== code) {
      try { await this.checkCodeStatus(code); } catch { /* the preview call says what is wrong */ }
    }
    if (this.editor.getText() !== code) return; // typed meanwhile: a newer render is scheduled
    if (this.codeStatus?.needs_approval) {
      this.updateStatus();
      this.showMessage("This code was not typed or generated on this machine (it came with a workflow), and the sandbox "
        + "here does not keep it from your files and the network. Read it, then press Approve to run it.", "warn");
      return;
    }
    const seq = nextSeq();
    this.sentSeq = seq;
    const files = (this.filesSent = filesText(this.node)); // none unless `files` links to CoCo_InputFiles
    this.frame.classList.add("stale");
    this.showMessage("", ""); // the previous error does not stay up during a new render
    this.setStatusBusy(true);
    let resp;
    try {
      resp = await postJson("/coco/preview", {
        code, language: detectLanguage(code) === "svg" ? "svg" : "python", client_id: clientKey(this.node), seq,
        ...renderLimits(this.node), ...(files ? { files } : {}),
      });
    } catch (e) {
      if (seq === this.sentSeq) { this.setStatusBusy(false); this.showMessage(`preview request failed: ${e}`, "bad"); }
      return;
    }
    const { status, data } = resp;
    // Results older than the newest request (or than what is shown) never overwrite newer ones.
    if (seq !== this.sentSeq || seq < this.shownSeq || data?.stale) return;
    this.setStatusBusy(false);
    if (status === 409) return; // superseded by a newer request of ours
    if (status === 429) {
      this.schedule(Math.max(250, 1000 * (data?.retry_after_s || 1)));
      return;
    }
    if (status === 403 && data?.error === "approval_required") {
      this.codeStatus = { code, needs_approval: true, approved: false };
      this.updateStatus();
      this.showMessage(data.message, "warn");
      return;
    }
    if (status !== 200) {
      this.showMessage(data?.message || data?.error || `HTTP ${status}`, "bad");
      this.frame.classList.remove("stale");
      return;
    }
    this.shownSeq = seq;
    this.showResult(data, code);
  }

  /** The linked input files (names or links) may have changed: preview again when they did. */
  filesChanged() {
    if (filesText(this.node) !== this.filesSent && this.editor.getText().trim()) this.schedule(DEBOUNCE_MS);
  }

  showResult(r, code) {
    this.result = r;
    // A failed run keeps the last good image, dimmed.
    this.frame.classList.toggle("stale", !(r.ok && r.image));
    if (r.ok && r.image) {
      this.img.src = r.image;
      this.img.style.display = "";
      this.img.dataset.seq = String(r.seq);
      this.ranHere.add(code);
      this.editor.setError(0);
      this.showMessage("", "");
    } else {
      const err = errorText(r);
      this.showMessage(`${r.error_line ? `line ${r.error_line}: ` : ""}${err}${r.fix ? `\nFix: ${r.fix}` : ""}`, "bad");
      if (r.error_line) this.editor.setError(r.error_line, err);
      else this.editor.setError(0);
    }
    const head = [`[${r.tier || "sandbox"}${r.duration_s != null ? `; ${Math.round(r.duration_s * 1000)} ms` : ""}`
      + `${r.width ? `; ${r.width}x${r.height}` : ""}${r.n_images > 1 ? `; ${r.n_images} images (first shown)` : ""}]`];
    const parts = [head, r.log || ""];
    if (!r.ok && r.traceback) parts.push(r.traceback);
    this.logEl.textContent = parts.filter(Boolean).join("\n");
    this.drawOverlay();
    this.updateStatus();
  }

  showMessage(text, kind) {
    this.errorEl.textContent = text || "";
    this.errorEl.style.color = kind === "warn" ? "#ffb74d" : "#ff8080";
  }

  setStatusBusy(busy) {
    this.busy = busy;
    this.updateStatus();
  }

  updateStatus() {
    const iso = isolationInfo;
    const code = this.editor.getText();
    // The render state comes first, so a long trust label never pushes it off the line.
    const parts = [];
    if (this.busy) parts.push("rendering…");
    if (iso) {
      const cls = iso.enforces_files_network ? "ok" : "warn";
      const what = iso.enforces_files_network ? "isolated" : "NOT isolated";
      parts.push(`<span class="${cls}" title="${escapeHtml(iso.description || "")}">sandbox: ${escapeHtml(iso.tier)} (${what})</span>`);
    } else {
      parts.push(`<span class="warn">sandbox: unknown</span>`);
    }
    this.statusEl.innerHTML = parts.join(" · ");
    this.statusEl.title = iso?.description || "";
    const st = this.codeStatus && this.codeStatus.code === code ? this.codeStatus : null;
    let trust = "", cls = "info", tip = "";
    if (code.trim() && st) {
      if (st.needs_approval) {
        trust = "from a workflow — needs your approval to run here"; cls = "bad";
        tip = "This code was not typed or generated on this machine, and the sandbox here does not keep it from "
          + "your files and the network. Read it, then press Approve (kept on this machine only).";
      } else if (st.trust === "typed") { trust = "typed here"; cls = "ok"; }
      else if (st.trust === "generated") { trust = "generated here"; cls = "ok"; }
      else if (st.trust === "approved") { trust = "approved here"; cls = "ok"; }
      // Foreign code where the sandbox isolates files and network runs isolated: nothing to say.
    }
    this.trustEl.textContent = trust;
    this.trustEl.className = `coco-ed-trust ${cls}`;
    this.trustEl.title = tip || trust;
    this.approveBtn.style.display = st?.needs_approval ? "" : "none";
  }

  async approve() {
    const code = this.editor.getText();
    const { status, data } = await postJson("/coco/approve", { code });
    if (status === 200 && data?.approved) {
      this.codeStatus = null;
      this.showMessage("", "");
      this.schedule(0, true);
    } else {
      this.showMessage(data?.message || "approval failed", "bad");
    }
  }

  drawOverlay() {
    this.overlay.replaceChildren();
    const r = this.result;
    if (!this.showBoxes || !r || !r.ok || !r.layout) return;
    const canvas = r.layout.semantic?.canvas || r.layout.canvas || {};
    const W = canvas.width || r.width, H = canvas.height || r.height;
    if (!W || !H) return;
    drawItems(this.overlay, semanticItems(r.layout.semantic) || elementItems(r.layout), W, H);
  }

  /** A queued run of CoCo_SandboxRender failed on this editor's code: mark the line. */
  markFromQueue(line, message) {
    if (line) this.editor.setError(line, message);
    this.showMessage(`queued run: ${line ? `line ${line}: ` : ""}${message}`, "bad");
  }
}

/** The limits of the CoCo_SandboxRender node this editor feeds (one set of limits: the preview
 * follows the node); none when the editor feeds no render node (the server uses the node's defaults). */
function renderLimits(node) {
  const graph = node.graph;
  for (const out of node.outputs || []) {
    for (const id of out.links || []) {
      const link = graph?.links?.get?.(id) ?? graph?.links?.[id];
      const target = link && graph.getNodeById?.(link.target_id);
      if (target?.type !== RENDER_NODE) continue;
      const w = (name) => target.widgets?.find((x) => x.name === name)?.value;
      const limits = {};
      if (typeof w("max_megapixels") === "number") limits.max_megapixels = w("max_megapixels");
      if (typeof w("timeout_s") === "number") limits.timeout_s = w("timeout_s");
      return limits;
    }
  }
  return {};
}

/** "Type: message" without repeating the type or the line the message already names. */
function errorText(r) {
  let msg = String(r.error || "failed").trim();
  if (r.error_line) msg = msg.replace(new RegExp(`\\s*\\(line ${r.error_line}\\)\\s*$`), "");
  const type = r.error_type || "";
  return type && !msg.startsWith(type) ? `${type}: ${msg}` : msg;
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

/** Turn the node's `code` textarea into the editor. Leaves the textarea alone on any failure. */
function attachEditor(node) {
  if (node.cocoEditor) return;
  const codeWidget = node.widgets?.find((w) => w.name === "code");
  if (!codeWidget || typeof node.addDOMWidget !== "function") return;
  injectCss();
  let ed;
  try {
    ed = new CocoEditor(node, codeWidget);
  } catch (e) {
    console.warn("[CoCo] code editor unavailable; keeping the plain text box:", e);
    return;
  }
  const widget = node.addDOMWidget("coco_editor", "coco_editor", ed.root, {
    serialize: false,
    hideOnZoom: false,
    getValue: () => undefined,
    setValue: () => {},
    getMinHeight: () => EDITOR_MIN_H,
  });
  widget.serialize = false; // not in widgets_values either: the code widget holds the value

  // Keep the real value in the code widget; hide its textarea.
  const opts = codeWidget.options || (codeWidget.options = {});
  const origSet = opts.setValue;
  opts.setValue = function (v) {
    origSet?.call(this, v);
    ed.onExternalSet(v);
  };
  // Newer frontends name the textarea `element` (reading `inputEl` logs a deprecation warning).
  const box = "element" in codeWidget ? codeWidget.element : codeWidget.inputEl;
  box?.addEventListener?.("input", () => ed.onExternalSet(codeWidget.value));
  codeWidget.cocoOrigType = codeWidget.type;
  codeWidget.type = "hidden";
  codeWidget.computeSize = () => [0, -4];
  if (box?.style) box.style.display = "none";

  node.cocoEditor = ed;
  const [w, h] = node.size;
  node.setSize([Math.max(w, 560), Math.max(h, EDITOR_MIN_H + 60)]);
  getIsolation().then(() => ed.updateStatus());
  if ((codeWidget.value ?? "").trim()) ed.schedule(DEBOUNCE_MS);
  else ed.updateStatus();
}

// ---- queued runs: mark the failing line in the editor that feeds a SandboxRender ------------

function upstreamEditor(node, seen = new Set()) {
  if (!node || seen.has(node.id)) return null;
  seen.add(node.id);
  if (node.cocoEditor) return node.cocoEditor;
  for (let i = 0; i < (node.inputs || []).length; i++) {
    const src = node.getInputNode?.(i);
    const ed = upstreamEditor(src, seen);
    if (ed) return ed;
  }
  return null;
}

function onExecutionError(ev) {
  const d = ev.detail || {};
  const node = app.graph?.getNodeById?.(Number(d.node_id)) ?? app.graph?.getNodeById?.(d.node_id);
  if (d.node_type === CODEGEN_NODE) { node?.cocoTrust?.loadPending(); return; }
  if (d.node_type !== RENDER_NODE) return;
  const ed = upstreamEditor(node);
  if (!ed) return;
  const msg = String(d.exception_message || "");
  const m = /\(line (\d+)\)/.exec(msg) || /line (\d+)/.exec(msg);
  ed.markFromQueue(m ? Number(m[1]) : 0, msg.split("\n")[0].replace(/^CoCo_SandboxRender:\s*/, ""));
}

app.registerExtension({
  name: EXT,
  async setup() {
    api.addEventListener("execution_error", onExecutionError);
    watchTypedText();
    onMarked(() => refreshTrustPanels(app));
  },
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (nodeData?.name === CODEGEN_NODE) {
      injectCss();
      const created = nodeType.prototype.onNodeCreated;
      nodeType.prototype.onNodeCreated = function () {
        const r = created?.apply(this, arguments);
        try { attachTrustPanel(this); } catch (e) { console.warn("[CoCo] trust panel unavailable:", e); }
        return r;
      };
      const configure = nodeType.prototype.onConfigure;
      nodeType.prototype.onConfigure = function () {
        const r = configure?.apply(this, arguments);
        this.cocoTrust?.schedule(0);
        return r;
      };
      return;
    }
    if (nodeData?.name === FILES_NODE) { hookFilesNode(nodeType, () => cocoEditors().forEach((ed) => ed.filesChanged())); return; }
    if (nodeData?.name !== NODE) return;
    afterConnectionsChange(nodeType, function () { this.cocoEditor?.filesChanged(); });
    const onNodeCreated = nodeType.prototype.onNodeCreated;
    nodeType.prototype.onNodeCreated = function () {
      const r = onNodeCreated?.apply(this, arguments);
      try {
        attachEditor(this);
      } catch (e) {
        console.warn("[CoCo] code editor unavailable; keeping the plain text box:", e);
      }
      return r;
    };
    const onExecuted = nodeType.prototype.onExecuted;
    nodeType.prototype.onExecuted = function (output) {
      const r = onExecuted?.apply(this, arguments);
      const ed = this.cocoEditor;
      if (ed && output?.used?.[0] === "upstream" && !ed.editor.getText().trim()) {
        const up = output.upstream_code?.[0] || "";
        ed.logEl.textContent = `(following upstream code, ${up.split("\n").length} lines; type here to override)\n\n${up}`;
      }
      return r;
    };
  },
});

// For tests and power users: the editors on the canvas.
const cocoEditors = () => (app.graph?._nodes || []).filter((n) => n.cocoEditor).map((n) => n.cocoEditor);
window.cocoEditors = cocoEditors;
