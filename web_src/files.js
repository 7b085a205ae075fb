// The input files of an editor's live preview: CoCo_CodeEditor's optional `files` input links to a
// CoCo_InputFiles node (which may chain more through its own `more_files` input). The preview
// request carries their `names` texts as ONE names text (the `files` field of POST /coco/preview,
// read by the server as CoCo_InputFiles reads its widget), in the order the run merges them: the
// `more_files` chain first, then the node's own names.

export const FILES_NODE = "CoCo_InputFiles";
const BYPASS = 4; // LiteGraph node mode: bypassed (its COCO_FILES input passes through)

/** The node feeding input `name` of `node` (through legacy Reroute nodes), or null. */
function sourceOf(node, name, seen) {
  let cur = node, slot = (node.inputs || []).findIndex((i) => i.name === name);
  while (cur && slot >= 0 && cur.inputs?.[slot]?.link != null) {
    const src = cur.getInputNode?.(slot);
    if (!src || seen.has(src.id)) return null;
    seen.add(src.id);
    if (src.type !== "Reroute") return src;
    cur = src;
    slot = 0;
  }
  return null;
}

/** The CoCo_InputFiles nodes an editor's preview reads, `more_files` chain first; [] when the
 * `files` input is not linked or not linked to a CoCo_InputFiles node. */
export function filesNodes(editorNode) {
  const seen = new Set([editorNode.id]);
  const chain = [];
  let n = sourceOf(editorNode, "files", seen);
  while (n && n.type === FILES_NODE) {
    chain.unshift(n);
    n = sourceOf(n, "more_files", seen);
  }
  return chain;
}

/** The names text to send as the preview's `files`, or null when there is none to send. */
export function filesText(editorNode) {
  const texts = filesNodes(editorNode)
    .filter((n) => n.mode !== BYPASS)
    .map((n) => String(n.widgets?.find((w) => w.name === "names")?.value ?? "").trim())
    .filter(Boolean);
  return texts.length ? texts.join("\n") : null;
}

/** Call `onChange(node)` whenever the `names` widget of this CoCo_InputFiles node changes (typed in
 * its text box, or set from a workflow or another extension). */
export function watchNames(node, onChange) {
  const w = node.widgets?.find((x) => x.name === "names");
  if (!w || w.cocoWatched) return;
  w.cocoWatched = true;
  const cb = w.callback;
  w.callback = function () {
    const r = cb?.apply(this, arguments);
    onChange(node);
    return r;
  };
  const opts = w.options || (w.options = {});
  const set = opts.setValue;
  opts.setValue = function () {
    const r = set?.apply(this, arguments);
    onChange(node);
    return r;
  };
}

/** Run `fn` (as a method) after LiteGraph's onConnectionsChange of this node type. */
export function afterConnectionsChange(nodeType, fn) {
  const orig = nodeType.prototype.onConnectionsChange;
  nodeType.prototype.onConnectionsChange = function () {
    const r = orig?.apply(this, arguments);
    try { fn.call(this); } catch (e) { console.warn("[CoCo] input files:", e); }
    return r;
  };
}

/** CoCo_InputFiles nodes call `onChange()` when their names or their links change. */
export function hookFilesNode(nodeType, onChange) {
  const created = nodeType.prototype.onNodeCreated;
  nodeType.prototype.onNodeCreated = function () {
    const r = created?.apply(this, arguments);
    try { watchNames(this, onChange); } catch (e) { console.warn("[CoCo] input files:", e); }
    return r;
  };
  afterConnectionsChange(nodeType, onChange);
}
