// The editor's CSS (injected once by coco_editor.js). `minH`: the editor's minimum height in px.
export function editorCss(minH) {
  return `
.coco-ed { display:flex; flex-direction:column; gap:4px; width:100%; height:100%; box-sizing:border-box;
  font: 11px/1.35 system-ui, sans-serif; color:#ccc; overflow:hidden; }
/* "Nodes 2.0": the node grows to the editor's height, and long lines scroll instead of widening it. */
.lg-node .coco-ed { min-height:${minH - 40}px; max-width:100%; min-width:0; }
.lg-node *:has(> .coco-ed) { min-width:0; max-width:100%; }
.coco-ed-code, .coco-ed-preview, .coco-ed-log, .coco-ed-imgbox { min-width:0; }
.coco-ed-code { flex: 1 1 55%; min-height:120px; border:1px solid #333; border-radius:4px; overflow:hidden; }
.coco-ed-code .cm-editor { height:100%; }
.coco-ed-bar { display:flex; align-items:center; gap:6px; flex-wrap:nowrap; min-height:20px; }
.coco-ed-status { flex:0 1 auto; min-width:0; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.coco-ed-trust { flex:1 1 0; min-width:0; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
.coco-ed-trust.ok { color:#7fd97f; } .coco-ed-trust.bad { color:#ff7070; } .coco-ed-trust.info { color:#999; }
.coco-ed-status .ok { color:#7fd97f; } .coco-ed-status .warn { color:#ffb74d; } .coco-ed-status .bad { color:#ff7070; }
.coco-ed button { font-size:11px; padding:1px 8px; border-radius:4px; border:1px solid #555; background:#2d2d2d; color:#ddd; cursor:pointer; }
.coco-ed button.coco-approve { border-color:#b58900; background:#4a3b00; color:#ffe08a; }
.coco-ed label { display:inline-flex; align-items:center; gap:3px; cursor:pointer; user-select:none; }
.coco-ed-error { color:#ff8080; white-space:pre-wrap; max-height:3.2em; overflow:auto; font-family:ui-monospace,monospace; }
.coco-ed-preview { flex: 1 1 45%; min-height:80px; display:flex; gap:6px; overflow:hidden; }
.coco-ed-imgbox { flex: 1 1 60%; display:flex; align-items:flex-start; justify-content:center; overflow:hidden;
  background: repeating-conic-gradient(#2a2a2a 0% 25%, #242424 0% 50%) 50% / 16px 16px; border-radius:4px; }
.coco-ed-frame { position:relative; display:inline-block; max-width:100%; max-height:100%; }
.coco-ed-frame img { display:block; max-width:100%; max-height:100%; object-fit:contain; }
.coco-ed-frame.stale img { opacity:.55; }
.coco-ed-overlay { position:absolute; inset:0; pointer-events:none; }
.coco-ed-box { position:absolute; border:1.5px solid #00e5ff; box-sizing:border-box; }
.coco-ed-box.text { border-color:#ff4081; }
.coco-ed-box span { position:absolute; left:-1px; top:-14px; font-size:9px; line-height:13px; padding:0 3px;
  background:#000c; color:#fff; white-space:nowrap; max-width:220px; overflow:hidden; text-overflow:ellipsis; }
.coco-ed-box.kind-bar, .coco-ed-box.kind-wedge { border-color:#ffd54f; }
.coco-ed-box.kind-axes { border-style:dashed; border-color:#00e5ff88; }
.coco-ed-box span.coco-hidden-label { visibility:hidden; }
.coco-ed-log { flex: 1 1 40%; margin:0; padding:4px; background:#151515; border-radius:4px; color:#aaa; overflow:auto;
  font: 10.5px/1.3 ui-monospace, monospace; white-space:pre-wrap; }
`;
}
