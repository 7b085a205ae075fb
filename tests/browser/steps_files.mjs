// Browser step: the editor's live preview sends the files of the CoCo_InputFiles node(s) linked to
// its `files` input (following the `more_files` chain), re-renders when their names change, and
// sends none once the files node is disconnected. Used by driver.mjs; `h` carries its helpers.
// The data files are written into the server's input folder by test_browser.py (FILES_IN_INPUT).
//
// Seen failing before the editor sent the files: the first preview was
// "FileNotFoundError: ... 'sales.csv'" and the requests carried no `files` field.

const CODE = [
  "import csv",
  "import matplotlib.pyplot as plt",
  "with open(\"sales.csv\") as f:",
  "    rows = list(csv.DictReader(f))",
  "with open(\"coco_bar_color.txt\") as f:",
  "    color = f.read().strip()",
  "fig, ax = plt.subplots(figsize=(5, 3), dpi=80)",
  "ax.bar([r[\"month\"] for r in rows], [int(r[\"units\"]) for r in rows], color=color)",
  "ax.set_title(\"Units per month\")",
  "fig.tight_layout()",
  "",
].join("\n");

const EMPTY = { last_node_id: 0, last_link_id: 0, nodes: [], links: [], groups: [], config: {}, extra: {}, version: 0.4 };

const state = (page) => page.evaluate(() => {
  const ed = window.cocoEditors()[0];
  return { seq: ed.result?.seq || 0, ok: !!ed.result?.ok, imgShown: ed.img.style.display !== "none" && !!ed.img.src,
    layout: JSON.stringify(ed.result?.layout || {}), error: ed.errorEl.textContent, errorType: ed.result?.error_type };
});

/** The next preview result after `seq`; null when none comes (the step then fails, later steps still run). */
async function resultAfter(page, seq, timeout = 20000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const btn = await page.$(".coco-ed button.coco-approve"); // weak tier: approve typed code as a user would
    if (btn && await btn.isVisible()) await btn.click();
    const s = await state(page);
    if (s.seq > seq) return s;
    await page.waitForTimeout(150);
  }
  return null;
}

/** Type into a node's `names` textarea as a user would (select all, then the new text). */
async function typeNames(page, nodeId, text) {
  const box = await page.evaluateHandle((id) => window.comfyAPI.app.app.graph.getNodeById(id)
    .widgets.find((w) => w.name === "names").element, nodeId);
  await box.asElement().click();
  await page.keyboard.press("Control+a");
  await page.keyboard.insertText(text);
}

export async function filesStep(page, h) {
  const sent = [];
  const onRequest = (req) => {
    if (req.url().endsWith("/coco/preview") && req.method() === "POST") sent.push(req.postDataJSON());
  };
  page.on("request", onRequest);
  try {
    await h.loadWorkflow(page, EMPTY);
    // CoCo_InputFiles (color) --more_files--> CoCo_InputFiles (sales) --files--> CoCo_CodeEditor
    const ids = await page.evaluate(() => {
      const app = window.comfyAPI.app.app;
      const LG = window.LiteGraph;
      const add = (type, pos) => { const n = LG.createNode(type); n.pos = pos; app.graph.add(n); return n; };
      const color = add("CoCo_InputFiles", [80, 120]);
      const sales = add("CoCo_InputFiles", [80, 480]);
      const ed = add("CoCo_CodeEditor", [560, 120]);
      color.widgets.find((w) => w.name === "names").value = "coco_bar_color.txt";
      sales.widgets.find((w) => w.name === "names").value = "coco_browser_a/sales.csv";
      color.connect(0, sales, sales.findInputSlot("more_files"));
      sales.connect(0, ed, ed.findInputSlot("files"));
      app.canvas.setDirty(true, true);
      return { color: color.id, sales: sales.id, editor: ed.id };
    });
    await page.waitForTimeout(300);
    h.takeErrors();

    const s0 = await state(page);
    await h.replaceCode(page, CODE);
    const linked = await resultAfter(page, s0.seq);
    await h.shot("files_linked_preview");
    const linkedReq = sent.filter((b) => b.code === CODE).at(-1);

    // The user renames the file on the sales node: the preview follows without touching the editor.
    await typeNames(page, ids.sales, "coco_browser_b/sales.csv");
    const renamed = await resultAfter(page, linked?.seq ?? s0.seq);
    await h.shot("files_renamed_preview");
    const renamedReq = sent.at(-1);

    // Disconnect the files node and type in the editor: nothing is sent, the code cannot find its file.
    await page.evaluate((id) => {
      const ed = window.comfyAPI.app.app.graph.getNodeById(id);
      ed.disconnectInput(ed.findInputSlot("files"));
    }, ids.editor);
    await page.waitForTimeout(500);
    const s2 = await state(page);
    await page.click(".coco-ed .cm-content");
    await page.keyboard.press("Control+End");
    await page.keyboard.type("# no files now", { delay: 10 });
    const missing = await resultAfter(page, s2.seq);
    await h.shot("files_disconnected_error");
    const missingReq = sent.at(-1);

    const ok = !!(linked && renamed && missing) && linked.ok && linked.imgShown && /Jan/.test(linked.layout) && /Mar/.test(linked.layout)
      && linkedReq?.files === "coco_bar_color.txt\ncoco_browser_a/sales.csv"
      && renamed.ok && /Oct/.test(renamed.layout) && !/Jan/.test(renamed.layout)
      && renamedReq?.files === "coco_bar_color.txt\ncoco_browser_b/sales.csv"
      && !missing.ok && /FileNotFoundError/.test(missing.error) && /sales\.csv/.test(missing.error)
      && missingReq && !("files" in missingReq);
    const brief = (s) => s && { ...s, layout: s.layout.slice(0, 300) };
    h.record("files:preview_sends_input_files", ok, {
      linked: brief(linked), linkedFiles: linkedReq?.files ?? null, renamed: brief(renamed),
      renamedFiles: renamedReq?.files ?? null, missing: brief(missing), missingFiles: missingReq?.files ?? null,
      consoleErrors: h.takeErrors(),
    });
  } finally {
    page.off("request", onRequest);
  }
}
