// Browser steps for what a new user meets (issue 10): templates with titles and thumbnails,
// workflows that open without overlapping or covered nodes in both canvas modes, the preview
// following the render node's limits, and fix hints the user can act on. Used by driver.mjs;
// `h` carries its helpers (record, shot, loadWorkflow, closeDialogs, takeErrors, replaceCode, REPO).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export function exampleWorkflows(REPO) {
  const dir = path.join(REPO, "example_workflows");
  return readdirSync(dir).filter((x) => x.endsWith(".json")).sort()
    .map((f) => ({ file: f, title: f.replace(/\.json$/, ""), wf: JSON.parse(readFileSync(path.join(dir, f), "utf8")) }));
}

export async function templatesStep(page, h) {
  const examples = exampleWorkflows(h.REPO);
  const served = await page.evaluate(async (titles) => {
    const api = window.comfyAPI.api.api;
    const list = await (await api.fetchApi("/workflow_templates")).json();
    const module = Object.keys(list).find((k) => titles.every((t) => list[k].includes(t)));
    const files = [];
    for (const t of titles) {
      const thumb = await api.fetchApi(`/workflow_templates/${module}/${encodeURIComponent(t)}.jpg`);
      const json = await api.fetchApi(`/workflow_templates/${module}/${encodeURIComponent(t)}.json`);
      files.push({ title: t, thumb: thumb.status, type: thumb.headers.get("content-type"), json: json.status });
    }
    return { module, listed: module ? list[module] : Object.keys(list), files };
  }, examples.map((e) => e.title));
  // The template browser as a user opens it: our category, each title, each thumbnail loaded.
  let dialog = { opened: false };
  try {
    await page.evaluate(() => window.comfyAPI.app.app.extensionManager.command.execute("Comfy.BrowseTemplates"));
    await page.waitForTimeout(1500);
    if (served.module) {
      const cat = page.getByText(served.module, { exact: true }).first();
      if (await cat.isVisible().catch(() => false)) await cat.click();
      await page.waitForTimeout(1500);
    }
    dialog = await page.evaluate((titles) => {
      const root = document.querySelector(".p-dialog") || document.body;
      const text = root.innerText;
      // The browser fetches each thumbnail and shows it from a blob: URL.
      const imgs = [...document.querySelectorAll("img")].filter((i) => /workflow_templates|^blob:/.test(i.currentSrc || i.src));
      return { opened: true, titlesShown: titles.filter((t) => text.includes(t)),
        thumbsLoaded: imgs.filter((i) => i.complete && i.naturalWidth > 0).length,
        srcs: [...document.querySelectorAll("img")].map((i) => (i.currentSrc || i.src).slice(-80)).slice(0, 12) };
    }, examples.map((e) => e.title));
    await h.shot("templates_dialog");
  } finally {
    await h.reload(page); // the template browser has no stable close button across frontends
  }
  const ok = !!served.module && served.files.every((f) => f.thumb === 200 && /jpeg/.test(f.type || "") && f.json === 200)
    && served.listed.length === examples.length && dialog.titlesShown?.length === examples.length
    && dialog.thumbsLoaded >= examples.length;
  h.record("templates:titles_thumbnails", ok, { served, dialog, consoleErrors: h.takeErrors() });
}

/** Node boxes on screen after load; overlaps between nodes; nodes whose title bar is covered
 * (side bar, menus) or off screen; editors spilling out of their node. */
async function measureLayout(page, vue) {
  return page.evaluate((vue) => {
    const app = window.comfyAPI.app.app;
    const canvasEl = app.canvas.canvas;
    const cr = canvasEl.getBoundingClientRect();
    const ds = app.canvas.ds;
    const rects = [];
    for (const n of app.graph._nodes) {
      let r;
      const el = vue ? document.querySelector(`.lg-node[data-node-id="${n.id}"]`) : null;
      if (el) {
        const b = el.getBoundingClientRect();
        r = { x: b.left, y: b.top, w: b.width, h: b.height };
      } else {
        const b = n.boundingRect;
        r = { x: cr.left + (b[0] + ds.offset[0]) * ds.scale, y: cr.top + (b[1] + ds.offset[1]) * ds.scale,
          w: b[2] * ds.scale, h: b[3] * ds.scale };
      }
      rects.push({ id: n.id, type: n.type, ...r, el });
    }
    const overlaps = [];
    for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i], b = rects[j];
      if (a.x < b.x + b.w - 1 && b.x < a.x + a.w - 1 && a.y < b.y + b.h - 1 && b.y < a.y + a.h - 1) overlaps.push([a.type, b.type]);
    }
    const covered = [];
    for (const r of rects) {
      for (const [px, py] of [[r.x + 12, r.y + 8], [r.x + r.w - 12, r.y + 8]]) {
        const hit = document.elementFromPoint(px, py);
        const own = hit && (hit === canvasEl || (r.el && r.el.contains(hit)));
        if (!own) { covered.push({ type: r.type, at: [Math.round(px), Math.round(py)], by: hit ? `${hit.tagName}.${String(hit.className).slice(0, 40)}` : "off screen" }); break; }
      }
    }
    const spills = [];
    for (const n of app.graph._nodes) {
      const ed = n.cocoEditor?.root;
      const r = rects.find((x) => x.id === n.id);
      if (!ed || !r) continue;
      const b = ed.getBoundingClientRect();
      if (b.left < r.x - 4 || b.top < r.y - 4 || b.right > r.x + r.w + 4 || b.bottom > r.y + r.h + 4 || b.height < 0.4 * r.h) {
        spills.push({ editor: [b.left, b.top, b.width, b.height].map(Math.round), node: [r.x, r.y, r.w, r.h].map(Math.round) });
      }
    }
    return { overlaps, covered, spills, n: rects.length };
  }, vue);
}

export async function layoutStep(page, h) {
  for (const vue of [false, true]) {
    const mode = vue ? "nodes2" : "classic";
    await page.evaluate(async (v) => window.comfyAPI.app.app.extensionManager.setting.set("Comfy.VueNodes.Enabled", v), vue);
    await page.waitForTimeout(600);
    for (const { file, wf } of exampleWorkflows(h.REPO)) {
      await h.loadWorkflow(page, wf);
      await page.waitForTimeout(1500);
      await h.closeDialogs(page);
      const m = await measureLayout(page, vue);
      await h.shot(`layout_${mode}_${file.replace(/\.json$/, "").replace(/[^A-Za-z0-9]+/g, "_")}`);
      h.record(`layout:${mode}:${file}`, m.overlaps.length === 0 && m.covered.length === 0 && m.spills.length === 0,
        { ...m, consoleErrors: h.takeErrors() });
    }
  }
  await page.evaluate(async () => window.comfyAPI.app.app.extensionManager.setting.set("Comfy.VueNodes.Enabled", false));
  await page.waitForTimeout(600);
}

const ed0 = (page, expr) => page.evaluate(`(() => { const ed = window.cocoEditors()[0]; return (${expr}); })()`);

async function previewAfter(page, seq, timeout = 30000) {
  await page.waitForFunction((s) => { const ed = window.cocoEditors()[0]; return ed.result && ed.result.seq > s; },
    seq, { timeout });
  return ed0(page, "{ ok: ed.result.ok, seq: ed.result.seq, error: ed.result.error, error_type: ed.result.error_type, fix: ed.result.fix, width: ed.result.width, height: ed.result.height, shown: ed.errorEl.textContent }");
}

function setRenderWidget(page, name, value) {
  return page.evaluate(([name, value]) => {
    const n = window.comfyAPI.app.app.graph._nodes.find((x) => x.type === "CoCo_SandboxRender");
    n.widgets.find((w) => w.name === name).value = value;
  }, [name, value]);
}

/** The preview follows the render node's max_megapixels; errors say what the user can change. */
export async function limitsStep(page, h) {
  const wf = exampleWorkflows(h.REPO).find((e) => e.title === "Edit code with live preview").wf;
  await h.loadWorkflow(page, wf);
  await page.waitForTimeout(800);
  await h.closeDialogs(page);
  // The workflow's own code renders first; start from its result.
  await page.waitForFunction(() => window.cocoEditors()[0]?.result, null, { timeout: 30000 });
  await setRenderWidget(page, "max_megapixels", 1.0);
  const twoMP = "fig = plt.figure(figsize=(20, 10), dpi=100)\nfig.text(0.5, 0.5, 'two megapixels', fontsize=40)\n";
  let seq = await ed0(page, "ed.result?.seq || 0");
  await h.replaceCode(page, twoMP);
  const refused = await previewAfter(page, seq);
  await h.shot("limits_refused_by_node_value");
  await setRenderWidget(page, "max_megapixels", 4.0);
  seq = refused.seq;
  await page.click(".coco-ed button.coco-run");
  const drawn = await previewAfter(page, seq);
  const wide = "fig = plt.figure(figsize=(50, 1), dpi=100)\nfig.text(0.5, 0.5, 'wide')\n";
  seq = drawn.seq;
  await h.replaceCode(page, wide);
  const side = await previewAfter(page, seq);
  await h.shot("limits_side_fix_hint");
  const ok = !refused.ok && refused.error_type === "CanvasTooLarge" && /max_megapixels on CoCo Sandbox Render/.test(refused.shown)
    && drawn.ok && drawn.width === 2000 && drawn.height === 1000
    && !side.ok && /4096 px/.test(side.shown) && !/raise max_megapixels|max_side=|memory_mb=/.test(side.shown);
  h.record("limits:follow_node_and_fix_hints", ok, { refused, drawn, side, consoleErrors: h.takeErrors() });
}
