// Drives Debian's Chromium (playwright-core) against a live ComfyUI with ComfyUI-CoCo mounted.
// Run by tests/browser/test_browser.py (pytest starts the server); writes one JSON line per step
// to --results and screenshots to --out.
//
//   node tests/browser/driver.mjs --url http://127.0.0.1:PORT --out test-artifacts/browser \
//        --results results.json [--steps load,type,error,files,queue] [--docshot docs/editor.png]
//   (the files step needs the data files of test_browser.py FILES_IN_INPUT in the server's input folder)
//   On a server started with COCO_GATE_TIER=none: --steps trust --llm-url http://127.0.0.1:PORT/v1
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { layoutStep, limitsStep, templatesStep } from "./steps_ux.mjs";
import { trustStep } from "./steps_trust.mjs";
import { filesStep } from "./steps_files.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith("--") ? all[i + 1] : "1"]);
  return acc;
}, []));
const URL_ = args.url;
const OUT = path.resolve(args.out || path.join(REPO, "test-artifacts", "browser"));
const RESULTS = args.results;
const STEPS = (args.steps || "load,templates,layout,type,error,overlay,limits,files,queue,fallback").split(",");
const CHROMIUM = process.env.COCO_CHROMIUM || "/usr/bin/chromium";
mkdirSync(OUT, { recursive: true });

const results = [];
function record(step, ok, detail = {}) {
  results.push({ step, ok, ...detail });
  console.log(`${ok ? "PASS" : "FAIL"} ${step} ${JSON.stringify(detail).slice(0, 400)}`);
  if (RESULTS) writeFileSync(RESULTS, JSON.stringify(results, null, 1));
}

// Console noise that is not an error of this pack or its workflows:
// * resources answered on purpose with 409 (a superseded preview) or 429 (rate limited; the
//   editor retries);
// * the frontend's own look-ups on other hosts (release notes, registry: the test machine is
//   offline) and the 404s of a fresh user directory (user.css, saved workflows, favicon).
function isExpectedNoise(msg) {
  const t = msg.text();
  const url = msg.location()?.url || "";
  if (!/Failed to load resource/.test(t)) return false;
  if (/\/coco\/preview/.test(url) && /(409|429)/.test(t)) return true;
  if (URL_ && !url.startsWith(URL_)) return true;
  return /\(Not Found\)/.test(t) && /\/(user\.css|favicon\.ico|api\/userdata(\/|\?))/.test(url)
    && !/coco/i.test(url);
}

const UI_ONLY = new Set(["Note", "MarkdownNote", "Reroute", "PrimitiveNode"]);

const PY_CHART = [
  "fig, ax = plt.subplots(figsize=(6, 4), dpi=80)",
  "ax.bar([\"alpha\", \"beta\", \"gamma\"], [3, 5, 2], color=\"#2f6db5\")",
  "ax.set_title(\"Typed in the browser\")",
  "fig.tight_layout()",
  "",
].join("\n");

async function main() {
  const userDir = mkdtempSync(path.join(tmpdir(), "coco-chromium-"));
  // A fresh profile each run (playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1600, height: 1000 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-quic"],
  });
  const browser = context;
  const page = await context.newPage();
  const consoleErrors = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" && !isExpectedNoise(msg)) consoleErrors.push(`${msg.text()} @ ${msg.location()?.url || ""}`);
  });
  page.on("pageerror", (err) => consoleErrors.push(`pageerror: ${err.message}`));
  const takeErrors = () => consoleErrors.splice(0, consoleErrors.length);
  const shot = (name) => page.screenshot({ path: path.join(OUT, `${name}.png`) });

  try {
    await reload(page);
    await page.evaluate(async () => {
      try { await window.comfyAPI.app.app.extensionManager?.setting?.set("Comfy.Minimap.Visible", false); } catch { /* none */ }
    });
    // The frontend logs a few errors of its own while booting (e.g. 1.32.9's settings watcher);
    // boot fails only on errors that name this pack.
    const bootErrors = takeErrors();
    record("boot", !bootErrors.some((e) => /coco/i.test(e)), { consoleErrors: bootErrors });

    const nodeTypes = await page.evaluate(async () => Object.keys(await window.comfyAPI.api.api.getNodeDefs()));
    const typeSet = new Set(nodeTypes);

    if (STEPS.includes("load")) {
      const dir = path.join(REPO, "example_workflows");
      for (const f of readdirSync(dir).filter((x) => x.endsWith(".json")).sort()) {
        const wf = JSON.parse(readFileSync(path.join(dir, f), "utf8"));
        const info = await loadWorkflow(page, wf);
        await page.waitForTimeout(800);
        await closeDialogs(page);
        const missing = [...new Set(wf.nodes.map((n) => n.type))].filter((t) => !typeSet.has(t) && !UI_ONLY.has(t));
        const errors = takeErrors();
        await shot(`load_${f.replace(/\.json$/, "")}`);
        record(`load:${f}`, missing.length === 0 && errors.length === 0 && info.loadedNodes === wf.nodes.length
          && info.brokenNodes.length === 0, { missing, consoleErrors: errors, ...info });
      }
    }

    const h = { REPO, record, shot, loadWorkflow, closeDialogs, reload, takeErrors, replaceCode: focusEditorAndReplace };
    if (STEPS.includes("templates")) await templatesStep(page, h);
    if (STEPS.includes("layout")) await layoutStep(page, h);
    if (STEPS.includes("trust")) await trustStep(page, h, args["llm-url"]);

    if (STEPS.some((s) => ["type", "error", "overlay"].includes(s))) {
      await loadWorkflow(page, editorOnlyWorkflow());
      await page.waitForTimeout(300);
      takeErrors();
    }

    if (STEPS.includes("type")) {
      const ok = await typeAndPreview(page);
      await shot("type_preview");
      record("type:preview_updates", ok.ok, { ...ok, consoleErrors: takeErrors() });
    }

    if (STEPS.includes("overlay")) {
      await page.click(".coco-ed input.coco-boxes");
      await page.waitForTimeout(200);
      const boxes = await page.$$eval(".coco-ed-overlay .coco-ed-box", (els) => els.map((e) => e.title));
      // Shown labels never overlap (the overlay hides a label that would cover an earlier one).
      const overlaps = await page.$$eval(".coco-ed-overlay .coco-ed-box span:not(.coco-hidden-label)", (els) => {
        const rs = els.map((e) => e.getBoundingClientRect()).filter((r) => r.width && r.height);
        let n = 0;
        for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) {
          const a = rs[i], b = rs[j];
          if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) n++;
        }
        return n;
      });
      await shot("layout_overlay");
      // With the semantic layout the boxes say what they are (kind and value); without it, text boxes their text.
      const semantic = boxes.some((b) => b.startsWith("bar "));
      const ok = semantic ? boxes.includes('bar "alpha" = 3') && boxes.some((b) => /^title: Typed in the browser$/.test(b))
        : boxes.includes("text: alpha") && boxes.includes("text: Typed in the browser");
      record("overlay:boxes", ok && overlaps === 0, { semantic, overlaps, boxes: boxes.slice(0, 12), count: boxes.length, consoleErrors: takeErrors() });
      await page.click(".coco-ed input.coco-boxes");
    }

    if (STEPS.includes("error")) {
      const r = await syntaxErrorMarker(page);
      await shot("syntax_error_marker");
      record("error:marker_on_line", r.ok, { ...r, consoleErrors: takeErrors() });
    }

    if (STEPS.includes("limits")) await limitsStep(page, h);
    if (STEPS.includes("files")) await filesStep(page, h);

    if (STEPS.includes("queue")) {
      const wf = JSON.parse(readFileSync(path.join(REPO, "example_workflows", "Edit code with live preview.json"), "utf8"));
      await loadWorkflow(page, wf);
      await page.waitForTimeout(500);
      takeErrors();
      const r = await queueAndWait(page);
      await shot("queue_result");
      record("queue:image", r.ok, { ...r, consoleErrors: takeErrors() });
      if (args.docshot) await docShot(page, path.resolve(REPO, args.docshot));
    }
    if (STEPS.includes("fallback")) {
      const r = await fallbackTextarea(context);
      record("fallback:textarea", r.ok, r);
    }
  } catch (e) {
    await shot("crash").catch(() => {});
    record("driver", false, { error: String(e?.stack || e), consoleErrors: takeErrors() });
  } finally {
    await browser.close();
    rmSync(userDir, { recursive: true, force: true });
  }
}

async function reload(page) {
  await page.goto(URL_, { waitUntil: "domcontentloaded" });
  await page.waitForFunction(() => window.app?.graph && window.comfyAPI?.app?.app?.graph
    && document.querySelector(".graph-canvas-container, canvas#graph-canvas, canvas"), null, { timeout: 60000 });
  await page.waitForFunction(() => typeof window.cocoEditors === "function", null, { timeout: 30000 });
  await page.waitForTimeout(500);
  await closeDialogs(page);
}

async function closeDialogs(page) {
  // The "Introducing Nodes 2.0" banner of newer frontends: close it (it shifts the canvas).
  const banner = await page.$("button[aria-label='Close'], .p-message-close-button");
  if (banner && await banner.isVisible().catch(() => false)) await banner.click().catch(() => {});
  // First-run dialogs (templates, release notes) would cover the canvas.
  for (let i = 0; i < 3; i++) {
    const btn = await page.$(".p-dialog-close-button, .p-dialog-header-close");
    if (!btn) break;
    await btn.click().catch(() => {});
    await page.waitForTimeout(200);
  }
}

async function loadWorkflow(page, wf) {
  return page.evaluate(async (wf) => {
    const app = window.comfyAPI.app.app;
    await app.loadGraphData(structuredClone(wf), true, true, null);
    const nodes = app.graph._nodes || app.graph.nodes || [];
    return {
      loadedNodes: nodes.length,
      // A node whose type the server does not know has no nodeData (missing models only flag has_errors).
      brokenNodes: nodes.filter((n) => !n.constructor?.nodeData && !["Note", "MarkdownNote", "Reroute", "PrimitiveNode"].includes(n.type)).map((n) => n.type),
    };
  }, wf);
}

function editorOnlyWorkflow() {
  return {
    last_node_id: 1, last_link_id: 0, version: 0.4, links: [], groups: [], config: {},
    extra: { ds: { scale: 1, offset: [0, 0] } },
    nodes: [{
      id: 1, type: "CoCo_CodeEditor", pos: [80, 130], size: [900, 780], flags: {}, order: 0, mode: 0,
      inputs: [{ name: "upstream_code", type: "STRING", shape: 7, link: null }],
      outputs: [{ name: "code", type: "STRING", links: [] }],
      properties: { "Node name for S&R": "CoCo_CodeEditor" }, widgets_values: [""],
    }],
  };
}

const editorState = (page) => page.evaluate(() => {
  const ed = window.cocoEditors()[0];
  const node = window.comfyAPI.app.app.graph._nodes.find((n) => n.cocoEditor === ed);
  return {
    text: ed.editor.getText(),
    widgetValue: node.widgets.find((w) => w.name === "code").value,
    imgSeq: Number(ed.img.dataset.seq || 0),
    resultSeq: ed.result?.seq || 0,
    imgShown: ed.img.style.display !== "none" && !!ed.img.src,
    errorLine: ed.editor.errorLine(),
    errorText: ed.errorEl.textContent,
    status: ed.statusEl.textContent,
    trust: ed.trustEl?.textContent,
    // The render state is never pushed off the status line by the trust label.
    statusFits: ed.statusEl.scrollWidth <= ed.statusEl.clientWidth + 1,
    log: ed.logEl.textContent.slice(0, 300),
    width: ed.result?.width, height: ed.result?.height,
  };
});

async function focusEditorAndReplace(page, text) {
  await page.click(".coco-ed .cm-content");
  await page.keyboard.press("Control+a");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}

// Where the sandbox does not enforce files/network, code typed here is "foreign" until approved:
// press the editor's Approve button as a user would.
async function approveIfAsked(page) {
  const btn = await page.$(".coco-ed button.coco-approve");
  if (btn && await btn.isVisible()) { await btn.click(); return true; }
  return false;
}

async function waitForResult(page, afterSeq, pred, timeout = 30000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    await approveIfAsked(page);
    const done = await page.evaluate(([s, src]) => {
      const ed = window.cocoEditors()[0];
      // eslint-disable-next-line no-new-func
      return !!(ed.result && ed.result.seq > s && new Function("r", `return (${src})(r)`)(ed.result));
    }, [afterSeq, pred.toString()]);
    if (done) return editorState(page);
    await page.waitForTimeout(150);
  }
  throw new Error(`no preview result after seq ${afterSeq} in ${timeout} ms: ${JSON.stringify(await editorState(page))}`);
}

const waitForPreview = (page, afterSeq) => waitForResult(page, afterSeq, (r) => r.ok);

async function typeAndPreview(page) {
  const s0 = await editorState(page);
  await focusEditorAndReplace(page, PY_CHART);
  const s1 = await waitForPreview(page, s0.imgSeq);
  // Now type (key by key) a new last line; the preview must follow.
  await page.keyboard.press("Control+End");
  await page.keyboard.type("ax.set_xlabel(\"typed key by key\")", { delay: 15 });
  const s2 = await waitForPreview(page, s1.imgSeq);
  const nodeValue = s2.widgetValue;
  // The typed code is what the workflow (UI JSON) and the prompt (API JSON) carry.
  const saved = await page.evaluate(async () => {
    const app = window.comfyAPI.app.app;
    const ui = app.graph.serialize().nodes.find((n) => n.type === "CoCo_CodeEditor");
    const api = (await app.graphToPrompt()).output;
    const apiNode = Object.values(api).find((n) => n.class_type === "CoCo_CodeEditor");
    return { widgets_values: ui.widgets_values, apiCode: apiNode?.inputs?.code };
  });
  const serialised = saved.widgets_values.length === 1 && saved.widgets_values[0] === s2.text
    && saved.apiCode === s2.text;
  return {
    ok: s1.imgShown && s2.imgShown && s2.imgSeq > s1.imgSeq && nodeValue.includes("typed key by key")
      && !s2.errorText && serialised && s2.statusFits && !/foreign|approval/i.test(`${s2.status} ${s2.trust}`),
    serialised, first: s1, second: s2,
  };
}

async function syntaxErrorMarker(page) {
  // Line 3 is broken; the marker must sit on line 3.
  const bad = ["fig, ax = plt.subplots(figsize=(4, 3), dpi=80)", "ax.plot([1, 2, 3])", "ax.set_title(\"oops\"",
    "fig.tight_layout()", ""].join("\n");
  const s0 = await editorState(page);
  await focusEditorAndReplace(page, bad);
  const st = await waitForResult(page, Math.max(s0.resultSeq, s0.imgSeq), (r) => !r.ok && !!r.error_line);
  const marks = await page.$$eval(".coco-ed .cm-coco-error-mark", (els) => els.length);
  const markedText = await page.$eval(".coco-ed .cm-coco-error-line", (e) => e.textContent).catch(() => null);
  const errorLine = await page.evaluate(() => window.cocoEditors()[0].result.error_line);
  // The sandbox names line 3 (the unclosed parenthesis) or the line where Python noticed it (4).
  const okLine = st.errorLine === errorLine && (errorLine === 3 || errorLine === 4);
  // A new render clears the previous error while it runs.
  const during = await page.evaluate(async () => {
    const ed = window.cocoEditors()[0];
    const before = ed.errorEl.textContent;
    let done = false;
    const p = ed.render().finally(() => { done = true; });
    while (!ed.busy && !done) await new Promise((r) => setTimeout(r, 2));
    const shown = ed.errorEl.textContent;
    const busy = ed.busy;
    await p;
    return { before, shown, busy };
  });
  const cleared = !!during.before && during.busy && during.shown === "";
  return { ok: okLine && marks === 1 && !!markedText && cleared, errorLine, markedLine: st.errorLine, marks, markedText,
    errorText: st.errorText, during };
}

async function queueAndWait(page) {
  const before = await page.evaluate(async () => {
    const api = window.comfyAPI.api.api;
    window.__cocoExec = [];
    api.addEventListener("executed", (e) => window.__cocoExec.push(e.detail));
    api.addEventListener("execution_error", (e) => window.__cocoExec.push({ error: e.detail }));
    await window.comfyAPI.app.app.queuePrompt(0, 1);
    return true;
  });
  await page.waitForFunction(() => (window.__cocoExec || []).some((d) => d.error
    || (d.output?.images || []).some((im) => im.type === "output")), null, { timeout: 120000 });
  const events = await page.evaluate(() => window.__cocoExec);
  const err = events.find((d) => d.error);
  const saved = events.flatMap((d) => (d.output?.images || []).filter((im) => im.type === "output"));
  // The image must be shown on the SaveImage node too.
  await page.waitForTimeout(800);
  const shown = await page.evaluate(() => window.comfyAPI.app.app.graph._nodes
    .filter((n) => n.type === "SaveImage").map((n) => (n.imgs || []).length));
  return { ok: before && !err && saved.length > 0, saved, shown, error: err?.error?.exception_message };
}

// Without the bundle (blocked here, as if it failed to load) the plain textarea still edits the code.
async function fallbackTextarea(context) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));
  await page.route("**/extensions/**/coco_editor.js", (r) => r.abort());
  try {
    await page.goto(URL_, { waitUntil: "domcontentloaded" });
    await page.waitForFunction(() => window.comfyAPI?.app?.app?.graph && window.LiteGraph, null, { timeout: 60000 });
    await page.waitForTimeout(500);
    await closeDialogs(page);
    const wf = JSON.parse(readFileSync(path.join(REPO, "example_workflows", "Edit code with live preview.json"), "utf8"));
    await loadWorkflow(page, wf);
    await page.waitForTimeout(500);
    const hasEditor = await page.$(".coco-ed");
    const ta = page.locator("textarea.comfy-multiline-input").first();
    await ta.click();
    await page.keyboard.press("End");
    await ta.press("Control+End");
    await page.keyboard.type("\n# typed without the editor");
    const value = await page.evaluate(() => window.comfyAPI.app.app.graph._nodes
      .find((n) => n.type === "CoCo_CodeEditor").widgets.find((w) => w.name === "code").value);
    await page.screenshot({ path: path.join(OUT, "fallback_textarea.png") });
    return { ok: !hasEditor && value.endsWith("# typed without the editor") && errors.length === 0,
      editorPresent: !!hasEditor, tail: value.slice(-60), pageErrors: errors };
  } finally {
    await page.close();
  }
}

// docs/editor.png: the edit-and-rerender workflow after a run, layout boxes on.
async function docShot(page, file) {
  mkdirSync(path.dirname(file), { recursive: true });
  await page.evaluate(() => {
    const ed = window.cocoEditors()[0];
    ed.boxesInput.checked = true;
    ed.showBoxes = true;
    ed.drawOverlay();
  });
  await page.evaluate(() => {
    // Editor at the left, the saved image at the right.
    const c = window.comfyAPI.app.app.canvas;
    c.ds.scale = 0.92;
    c.ds.offset = [110 / 0.92 - 40, 150 / 0.92 - 60];
    c.setDirty(true, true);
  });
  await page.waitForTimeout(600);
  await page.screenshot({ path: file, clip: { x: 70, y: 80, width: 1420, height: 860 } });
}

await main();
const failed = results.filter((r) => !r.ok).length;
console.log(`driver: ${results.length - failed} steps ok, ${failed} steps failed`);
process.exit(0);
