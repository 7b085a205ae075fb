// Regenerates the example workflows in workflows/ (except chart_from_code.json) with the real
// frontend: nodes are created and linked through LiteGraph in a live ComfyUI, widget values set
// by name, and the graph saved with app.graph.serialize() (UI format), plus a thumbnail .jpg of
// the canvas next to each and the API-format twin (graphToPrompt) in tests/workflows/. Dev tool:
//   node tests/browser/make_workflows.mjs --url http://127.0.0.1:PORT [--only name,name]
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const argv = process.argv.slice(2);
const URL_ = argv[argv.indexOf("--url") + 1];
const ONLY = argv.includes("--only") ? argv[argv.indexOf("--only") + 1].split(",") : null;

const EDIT_CODE = `# Edit me: the preview under the editor follows as you type.
# Tick "boxes" to see the layout (text boxes) the sandbox measured.
fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
steps = ["Draft code", "Render in sandbox", "Check layout", "Refine image"]
minutes = [4, 1, 2, 6]
bars = ax.barh(steps[::-1], minutes[::-1], color=["#4e79a7", "#f28e2b", "#59a14f", "#e15759"])
ax.bar_label(bars, labels=[f"{m} min" for m in minutes[::-1]], padding=4)
ax.set_xlabel("Minutes")
ax.set_title("Edit and re-render", fontsize=16, fontweight="bold")
ax.spines[["top", "right"]].set_visible(False)
ax.set_xlim(0, 7.5)
fig.tight_layout()
`;

const POSTER_CODE = `# A poster whose text must stay crisp: the diffusion model repaints the rest.
fig = plt.figure(figsize=(7.68, 10.24), dpi=100)
fig.patch.set_facecolor("#10233f")
fig.text(0.5, 0.86, "SUMMER JAZZ NIGHT", ha="center", color="#ffd166", fontsize=34, fontweight="bold")
fig.text(0.5, 0.80, "Live at the Harbour Stage", ha="center", color="white", fontsize=18)
ax = fig.add_axes([0.15, 0.28, 0.7, 0.45])
ax.add_patch(plt.Circle((0.5, 0.5), 0.4, color="#ef476f"))
ax.add_patch(plt.Circle((0.5, 0.5), 0.25, color="#ffd166"))
ax.set_xlim(0, 1); ax.set_ylim(0, 1); ax.axis("off")
fig.text(0.5, 0.17, "Saturday 12 July  -  20:00", ha="center", color="white", fontsize=20)
fig.text(0.5, 0.11, "Tickets 15 EUR  |  harbourstage.example", ha="center", color="#cfd8e3", fontsize=14)
`;

// Each spec: nodes {key: [type, [x, y], {widget: value}, [w, h]?]}, links [[src, out, dst, in]].
const SPECS = {
  edit_and_rerender: {
    nodes: {
      editor: ["CoCo_CodeEditor", [40, 60], { code: EDIT_CODE }, [620, 720]],
      render: ["CoCo_SandboxRender", [700, 60], { language: "auto", max_megapixels: 4.0, timeout_s: 20.0 }],
      save: ["SaveImage", [1040, 60], { filename_prefix: "CoCo_edit" }, [460, 400]],
      mask: ["MaskToImage", [700, 540], {}],
      maskview: ["PreviewImage", [1040, 500], {}, [460, 360]],
    },
    links: [["editor", "code", "render", "code"], ["render", "image", "save", "images"],
      ["render", "text_mask", "mask", "mask"], ["mask", "IMAGE", "maskview", "images"]],
  },
  codegen_render_draftrefine: {
    nodes: {
      loader: ["CoCo_ModelLoader", [40, 60], { weight_dtype: "fp8_e4m3fn" }],
      vae: ["VAELoader", [40, 260], { vae_name: "ae.safetensors" }],
      codegen: ["CoCo_CodeGen", [40, 380], {
        prompt: "A clean bar chart of monthly rainfall in Lisbon (Jan-Jun: 99, 82, 63, 62, 44, 15 mm) "
          + "with the exact values on the bars and the title 'Rainfall in Lisbon'.",
        language: "python", control_after_generate: "fixed",
      }, [420, 520]],
      editor: ["CoCo_CodeEditor", [500, 60], {}, [560, 640]],
      render: ["CoCo_SandboxRender", [1100, 60], { language: "auto" }],
      refine: ["CoCo_DraftRefine", [1100, 520], {
        prompt: "A polished magazine infographic of monthly rainfall in Lisbon, soft paper texture, "
          + "keep every number and label exactly as in the draft.",
      }],
      draftview: ["PreviewImage", [1460, 60], {}, [360, 300]],
      save: ["SaveImage", [1460, 400], { filename_prefix: "CoCo_refined" }, [420, 420]],
    },
    links: [["loader", "model", "codegen", "coco_model"], ["loader", "model", "refine", "coco_model"],
      ["vae", "VAE", "refine", "vae"], ["codegen", "code", "editor", "upstream_code"],
      ["editor", "code", "render", "code"], ["render", "image", "refine", "draft"],
      ["render", "text_mask", "refine", "protect"], ["render", "image", "draftview", "images"],
      ["refine", "image", "save", "images"]],
  },
  refine_diffusion_text_protect: {
    nodes: {
      editor: ["CoCo_CodeEditor", [40, 60], { code: POSTER_CODE }, [600, 680]],
      render: ["CoCo_SandboxRender", [680, 60], { language: "auto" }],
      ckpt: ["CheckpointLoaderSimple", [40, 780], { ckpt_name: "sd_xl_base_1.0.safetensors" }],
      pos: ["CLIPTextEncode", [420, 780], { text: "a vibrant jazz concert poster, painterly texture, warm stage lights, "
        + "high detail, print quality" }],
      neg: ["CLIPTextEncode", [420, 1000], { text: "blurry, distorted text, watermark" }],
      encode: ["VAEEncode", [1000, 40], {}],
      invert: ["InvertMask", [1000, 180], {}],
      noisemask: ["SetLatentNoiseMask", [1000, 280], {}],
      sampler: ["KSampler", [1300, 60], { seed: 42, control_after_generate: "fixed", steps: 25, cfg: 6.0, sampler_name: "dpmpp_2m",
        scheduler: "karras", denoise: 0.55 }],
      decode: ["VAEDecode", [1650, 60], {}],
      grow: ["GrowMask", [1000, 420], { expand: 3, tapered_corners: true }],
      composite: ["ImageCompositeMasked", [1650, 180], { x: 0, y: 0, resize_source: false }],
      save: ["SaveImage", [1950, 60], { filename_prefix: "CoCo_text_protected" }, [420, 520]],
    },
    links: [["editor", "code", "render", "code"], ["render", "image", "encode", "pixels"],
      ["ckpt", "VAE", "encode", "vae"], ["render", "text_mask", "invert", "mask"],
      ["encode", "LATENT", "noisemask", "samples"], ["invert", "MASK", "noisemask", "mask"],
      ["ckpt", "MODEL", "sampler", "model"], ["ckpt", "CLIP", "pos", "clip"], ["ckpt", "CLIP", "neg", "clip"],
      ["pos", "CONDITIONING", "sampler", "positive"], ["neg", "CONDITIONING", "sampler", "negative"],
      ["noisemask", "LATENT", "sampler", "latent_image"], ["sampler", "LATENT", "decode", "samples"],
      ["ckpt", "VAE", "decode", "vae"], ["decode", "IMAGE", "composite", "destination"],
      ["render", "image", "composite", "source"], ["render", "text_mask", "grow", "mask"],
      ["grow", "MASK", "composite", "mask"], ["composite", "IMAGE", "save", "images"]],
  },
};

async function build(page, name, spec) {
  return page.evaluate(([name, spec]) => {
    const app = window.comfyAPI.app.app;
    const LG = window.LiteGraph;
    app.graph.clear();
    const made = {};
    const problems = [];
    for (const [key, [type, pos, widgets, size]] of Object.entries(spec.nodes)) {
      const n = LG.createNode(type);
      if (!n) { problems.push(`no node type ${type}`); continue; }
      n.pos = pos;
      app.graph.add(n);
      for (const [w, v] of Object.entries(widgets)) {
        const widget = n.widgets?.find((x) => x.name === w);
        if (!widget) { problems.push(`${type}: no widget ${w}`); continue; }
        widget.value = v;
      }
      if (size) n.setSize(size);
      made[key] = n;
    }
    const slot = (list, name) => list.findIndex((s) => s.name === name || s.label === name || s.localized_name === name
      || s.type === name);
    for (const [a, out, b, inp] of spec.links) {
      const src = made[a], dst = made[b];
      if (!src || !dst) { problems.push(`link ${a}->${b}: missing node`); continue; }
      const o = slot(src.outputs || [], out), i = slot(dst.inputs || [], inp);
      if (o < 0 || i < 0) { problems.push(`link ${a}.${out} -> ${b}.${inp}: slot not found (${o}, ${i})`); continue; }
      if (!src.connect(o, dst, i)) problems.push(`link ${a}.${out} -> ${b}.${inp} refused`);
    }
    return { wf: app.graph.serialize(), problems };
  }, [name, spec]);
}

// Load the saved graph as a user would, fit it to the window, keep that view in the file.
async function fitAndSave(page, wf) {
  return page.evaluate(async (wf) => {
    const app = window.comfyAPI.app.app;
    await app.loadGraphData(wf, true, true, null);
    await new Promise((r) => setTimeout(r, 300));
    // Fit every node into the visible canvas (left: the side bar; top: tabs and menu).
    const nodes = app.graph._nodes;
    const x0 = Math.min(...nodes.map((n) => n.pos[0])), y0 = Math.min(...nodes.map((n) => n.pos[1] - 30));
    const x1 = Math.max(...nodes.map((n) => n.pos[0] + n.size[0])), y1 = Math.max(...nodes.map((n) => n.pos[1] + n.size[1]));
    const el = app.canvas.canvas;
    const [left, top] = [70, 90];
    const vw = el.clientWidth - left - 20, vh = el.clientHeight - top - 20;
    const scale = Math.min(vw / (x1 - x0), vh / (y1 - y0), 1);
    app.canvas.ds.scale = scale;
    app.canvas.ds.offset = [left / scale - x0, top / scale - y0];
    app.graph.setDirtyCanvas(true, true);
    const out = app.graph.serialize();
    const ds = app.canvas.ds;
    out.extra = { ...(out.extra || {}), ds: { scale: ds.scale, offset: [ds.offset[0], ds.offset[1]] } };
    return out;
  }, wf);
}

const userDir = mkdtempSync(path.join(tmpdir(), "coco-chromium-"));
const ctx = await chromium.launchPersistentContext(userDir, {
  executablePath: "/usr/bin/chromium", headless: true, viewport: { width: 1600, height: 1000 },
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic"],
});
const page = await ctx.newPage();
await page.goto(URL_);
await page.waitForFunction(() => window.comfyAPI?.app?.app?.graph && window.LiteGraph && window.cocoEditors, null, { timeout: 60000 });
await page.evaluate(async () => {
  const s = window.comfyAPI.app.app.extensionManager?.setting;
  try { await s?.set("Comfy.Minimap.Visible", false); } catch { /* older frontends have no minimap */ }
});
await page.waitForTimeout(1000);
let failed = 0;
for (const [name, spec] of Object.entries(SPECS)) {
  if (ONLY && !ONLY.includes(name)) continue;
  const { wf, problems } = await build(page, name, spec);
  if (problems.length) { failed++; console.log(`SKIP ${name}: ${problems.join("; ")}`); continue; }
  const fitted = await fitAndSave(page, wf);
  writeFileSync(path.join(REPO, "workflows", `${name}.json`), JSON.stringify(fitted, null, 1) + "\n");
  // Its API-format twin, as the frontend itself converts it (tests/test_server_e2e.py compares).
  const apiPrompt = await page.evaluate(async () => (await window.comfyAPI.app.app.graphToPrompt()).output);
  writeFileSync(path.join(REPO, "tests", "workflows", `${name}.api.json`), JSON.stringify(apiPrompt, null, 1) + "\n");
  await page.waitForTimeout(2500); // previews of the editors render
  await page.screenshot({ path: path.join(REPO, "workflows", `${name}.jpg`), type: "jpeg", quality: 80,
    clip: { x: 50, y: 40, width: 1550, height: 900 } });
  console.log(`wrote workflows/${name}.json (+ .jpg): ${wf.nodes.length} nodes, ${wf.links.length} links`);
}
await ctx.close();
rmSync(userDir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
