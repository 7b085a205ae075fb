// Regenerates the example workflows in example_workflows/ with the real frontend: nodes are
// created and linked through LiteGraph in a live ComfyUI, widget values set by name, and the graph
// saved with app.graph.serialize() (UI format) as "<title>.json" (ComfyUI's template browser shows
// the file name as title and description), plus a thumbnail "<title>.jpg" of the canvas and the
// API-format twin (graphToPrompt) in tests/workflows/<slug>.api.json. Positions leave room between
// nodes in the classic canvas and in "Nodes 2.0" (tests/browser checks both). Dev tool:
//   node tests/browser/make_workflows.mjs --url http://127.0.0.1:PORT [--only slug,slug]
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

const CHART_CODE = "# Quarterly revenue by region: a grouped bar chart with exact labels and values.\nfig, ax = plt.subplots(figsize=(8, 5), dpi=100)\nquarters = [\"Q1 2026\", \"Q2 2026\", \"Q3 2026\", \"Q4 2026\"]\nnorth = [12.4, 15.1, 17.8, 21.3]\nsouth = [9.7, 11.2, 10.4, 13.9]\nx = np.arange(len(quarters))\nw = 0.38\nb1 = ax.bar(x - w / 2, north, w, label=\"North\", color=\"#2f6db5\")\nb2 = ax.bar(x + w / 2, south, w, label=\"South\", color=\"#f28e2b\")\nax.bar_label(b1, fmt=\"%.1f\", padding=3)\nax.bar_label(b2, fmt=\"%.1f\", padding=3)\nax.set_xticks(x, quarters)\nax.set_ylabel(\"Revenue (million EUR)\")\nax.set_title(\"Revenue by region, 2026\", fontsize=16, fontweight=\"bold\")\nax.legend(loc=\"upper left\", frameon=False)\nax.spines[[\"top\", \"right\"]].set_visible(False)\nax.set_ylim(0, 25)\nfig.tight_layout()\nfig.savefig(os.path.join(output_dir, \"revenue.png\"))\n";

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

const LAYOUT_CODE = `# A process diagram: boxes, arrows and labels the refinement must keep in place.
fig, ax = plt.subplots(figsize=(8, 5), dpi=100)
ax.set_xlim(0, 10); ax.set_ylim(0, 6); ax.axis("off")
ax.set_title("From prompt to picture", fontsize=20, fontweight="bold")
steps = [(1.6, "Prompt", "#f6bd60"), (5.0, "Code", "#84a59d"), (8.4, "Picture", "#f28482")]
for x, name, colour in steps:
    ax.text(x, 3.2, name, ha="center", va="center", fontsize=18,
            bbox=dict(boxstyle="round,pad=0.8", fc=colour, ec="#333333"))
for (x0, _, _), (x1, _, _) in zip(steps, steps[1:]):
    ax.annotate("", xy=(x1 - 1.2, 3.2), xytext=(x0 + 1.2, 3.2), arrowprops=dict(arrowstyle="->", lw=2))
ax.text(5.0, 0.9, "the draft fixes where everything goes", ha="center", fontsize=13, color="#555555")
`;

// Each spec: title (the file name), nodes {key: [type, [x, y], {widget: value}, [w, h]?]},
// links [[src, out, dst, in]]. Columns are >= 80 px apart, rows >= 80 px (title bars included).
const SPECS = {
  chart_from_code: {
    title: "Chart from code",
    nodes: {
      editor: ["CoCo_CodeEditor", [40, 80], { code: CHART_CODE }, [620, 720]],
      render: ["CoCo_SandboxRender", [740, 80], { language: "auto", max_megapixels: 4.0, timeout_s: 20.0 }, [320, 200]],
      save: ["SaveImage", [1140, 80], { filename_prefix: "CoCo_chart" }, [480, 460]],
    },
    links: [["editor", "code", "render", "code"], ["render", "image", "save", "images"]],
  },
  edit_code_with_live_preview: {
    title: "Edit code with live preview",
    nodes: {
      editor: ["CoCo_CodeEditor", [40, 60], { code: EDIT_CODE }, [620, 720]],
      render: ["CoCo_SandboxRender", [740, 60], { language: "auto", max_megapixels: 4.0, timeout_s: 20.0 }, [320, 200]],
      save: ["SaveImage", [1140, 60], { filename_prefix: "CoCo_edit" }, [460, 400]],
      mask: ["MaskToImage", [740, 400], {}, [220, 60]],
      maskview: ["PreviewImage", [1140, 560], {}, [460, 360]],
    },
    links: [["editor", "code", "render", "code"], ["render", "image", "save", "images"],
      ["render", "text_mask", "mask", "mask"], ["mask", "IMAGE", "maskview", "images"]],
  },
  prompt_to_code_to_refined_image: {
    title: "Prompt to code to refined image",
    nodes: {
      loader: ["CoCo_ModelLoader", [40, 60], { weight_dtype: "auto" }, [320, 100]],
      vae: ["VAELoader", [40, 260], { vae_name: "ae.safetensors" }, [320, 80]],
      codegen: ["CoCo_CodeGen", [40, 440], {
        prompt: "A clean bar chart of monthly rainfall in Lisbon (Jan-Jun: 99, 82, 63, 62, 44, 15 mm) "
          + "with the exact values on the bars and the title 'Rainfall in Lisbon'.",
        language: "python", control_after_generate: "fixed",
      }, [440, 620]],
      editor: ["CoCo_CodeEditor", [580, 60], {}, [600, 700]],
      render: ["CoCo_SandboxRender", [1280, 60], { language: "auto" }, [320, 200]],
      refine: ["CoCo_DraftRefine", [1280, 400], {
        prompt: "A polished magazine infographic of monthly rainfall in Lisbon, soft paper texture, "
          + "keep every number and label exactly as in the draft.",
      }, [420, 600]],
      draftview: ["PreviewImage", [1800, 60], {}, [380, 320]],
      save: ["SaveImage", [1800, 520], { filename_prefix: "CoCo_refined" }, [420, 420]],
    },
    links: [["loader", "model", "codegen", "coco_model"], ["loader", "model", "refine", "coco_model"],
      ["vae", "VAE", "refine", "vae"], ["codegen", "code", "editor", "upstream_code"],
      ["editor", "code", "render", "code"], ["render", "image", "refine", "draft"],
      ["render", "text_mask", "refine", "protect"], ["render", "image", "draftview", "images"],
      ["refine", "image", "save", "images"]],
  },
  refine_with_any_diffusion_model_text_kept_sharp: {
    title: "Refine with any diffusion model, text kept sharp",
    nodes: {
      editor: ["CoCo_CodeEditor", [40, 60], { code: POSTER_CODE }, [600, 680]],
      render: ["CoCo_SandboxRender", [720, 60], { language: "auto" }, [320, 200]],
      ckpt: ["CheckpointLoaderSimple", [40, 960], { ckpt_name: "sd_xl_base_1.0.safetensors" }, [320, 110]],
      pos: ["CLIPTextEncode", [440, 960], { text: "a vibrant jazz concert poster, painterly texture, warm stage lights, "
        + "high detail, print quality" }, [400, 200]],
      neg: ["CLIPTextEncode", [440, 1260], { text: "blurry, distorted text, watermark" }, [400, 200]],
      grow: ["GrowMask", [720, 360], { expand: 3, tapered_corners: true }, [320, 100]],
      invert: ["InvertMask", [720, 560], {}, [220, 60]],
      encode: ["VAEEncode", [1120, 60], {}, [220, 80]],
      noisemask: ["SetLatentNoiseMask", [1120, 240], {}, [240, 80]],
      sampler: ["KSampler", [1440, 60], { seed: 42, control_after_generate: "fixed", steps: 25, cfg: 6.0, sampler_name: "dpmpp_2m",
        scheduler: "karras", denoise: 0.55 }, [320, 300]],
      decode: ["VAEDecode", [1840, 60], {}, [220, 80]],
      composite: ["ImageCompositeMasked", [1840, 240], { x: 0, y: 0, resize_source: false }, [320, 180]],
      save: ["SaveImage", [2240, 60], { filename_prefix: "CoCo_text_protected" }, [420, 520]],
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
  inspect_and_correct_the_drawing_code: {
    title: "Inspect and correct the drawing code",
    nodes: {
      backend: ["CoCo_OpenAIBackend", [40, 60], { base_url: "http://127.0.0.1:11434/v1", model: "" }, [360, 240]],
      settings: ["CoCo_InspectSettings", [40, 400], {
        spec: JSON.stringify({ chart_type: "bar", title: "Rainfall in Lisbon",
          categories: ["Jan", "Feb", "Mar", "Apr", "May", "Jun"], values: [99, 82, 63, 62, 44, 15],
          value_axis_label: "mm" }),
        max_rounds: 3,
      }, [360, 560]],
      codegen: ["CoCo_CodeGen", [480, 60], {
        prompt: "A bar chart titled 'Rainfall in Lisbon' of monthly rainfall (Jan-Jun: 99, 82, 63, 62, 44, 15), "
          + "y axis 'mm', the value on top of each bar.",
        language: "python", control_after_generate: "fixed",
      }, [400, 640]],
      render: ["CoCo_SandboxRender", [960, 60], { language: "auto" }, [340, 200]],
      inspect: ["CoCo_Inspect", [960, 360], {
        prompt: "A bar chart titled 'Rainfall in Lisbon' of monthly rainfall (Jan-Jun: 99, 82, 63, 62, 44, 15), "
          + "y axis 'mm', the value on top of each bar.",
      }, [340, 240]],
      trajectory: ["PreviewImage", [1380, 60], {}, [380, 360]],
      save: ["SaveImage", [1380, 520], { filename_prefix: "CoCo_inspected" }, [380, 400]],
    },
    links: [["backend", "llm", "codegen", "llm"], ["settings", "inspect", "codegen", "inspect"],
      ["codegen", "trajectory", "trajectory", "images"], ["codegen", "code", "render", "code"],
      ["render", "image", "inspect", "image"], ["render", "layout", "inspect", "layout"],
      ["settings", "inspect", "inspect", "settings"], ["render", "image", "save", "images"]],
  },
  draft_layout_guides_any_diffusion_model: {
    title: "Draft layout guides any diffusion model",
    nodes: {
      editor: ["CoCo_CodeEditor", [40, 60], { code: LAYOUT_CODE }, [600, 680]],
      render: ["CoCo_SandboxRender", [720, 60], { language: "auto" }, [320, 240]],
      ckpt: ["CheckpointLoaderSimple", [40, 860], { ckpt_name: "sd_xl_base_1.0.safetensors" }, [320, 110]],
      pos: ["CLIPTextEncode", [440, 860], { text: "a hand-drawn watercolour process diagram on textured paper, "
        + "soft shadows, high detail" }, [400, 200]],
      neg: ["CLIPTextEncode", [440, 1160], { text: "blurry, distorted text, watermark" }, [400, 200]],
      regions: ["CoCo_RegionalConditioning", [1120, 420], { select: "title, rect, text", method: "mask",
        strength: 1.0, max_regions: 8 }, [360, 380]],
      masks: ["CoCo_LayoutMasks", [1560, 440], { select: "*" }, [320, 220]],
      maskview: ["PreviewImage", [1560, 740], {}, [320, 300]],
      encode: ["VAEEncode", [1120, 60], {}, [220, 80]],
      sampler: ["KSampler", [1560, 60], { seed: 42, control_after_generate: "fixed", steps: 25, cfg: 6.0,
        sampler_name: "dpmpp_2m", scheduler: "karras", denoise: 0.55 }, [320, 300]],
      decode: ["VAEDecode", [1960, 60], {}, [220, 80]],
      protect: ["CoCo_ProtectComposite", [1960, 240], { feather: 2 }, [320, 200]],
      save: ["SaveImage", [2360, 60], { filename_prefix: "CoCo_layout_guided" }, [420, 520]],
    },
    links: [["editor", "code", "render", "code"], ["render", "image", "encode", "pixels"],
      ["ckpt", "VAE", "encode", "vae"], ["ckpt", "CLIP", "pos", "clip"], ["ckpt", "CLIP", "neg", "clip"],
      ["ckpt", "CLIP", "regions", "clip"], ["pos", "CONDITIONING", "regions", "conditioning"],
      ["render", "layout", "regions", "layout"], ["render", "got_chain", "masks", "chain"],
      ["masks", "colour_mask", "maskview", "images"],
      ["ckpt", "MODEL", "sampler", "model"], ["regions", "conditioning", "sampler", "positive"],
      ["neg", "CONDITIONING", "sampler", "negative"], ["encode", "LATENT", "sampler", "latent_image"],
      ["sampler", "LATENT", "decode", "samples"], ["ckpt", "VAE", "decode", "vae"],
      ["decode", "IMAGE", "protect", "image"], ["render", "image", "protect", "draft"],
      ["render", "text_mask", "protect", "mask"], ["protect", "image", "save", "images"]],
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
    // Clear of the side bar, the workflow menu and the "Nodes 2.0" banner.
    const [left, top] = [100, 150];
    // "Nodes 2.0" draws the same graph about 1.2x larger: leave room for it.
    const vw = (el.clientWidth - left - 20) / 1.25, vh = (el.clientHeight - top - 20) / 1.25;
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
  try { await s?.set("Comfy.VueNodes.Enabled", false); } catch { /* older frontends: classic only */ }
  try { await s?.set("Comfy.TutorialCompleted", true); } catch { /* no first-run templates dialog */ }
});
await page.waitForTimeout(1000);
for (const sel of ["button[aria-label='Close']", ".p-message-close-button", ".p-dialog-close-button"]) {
  const b = await page.$(sel);
  if (b && await b.isVisible().catch(() => false)) await b.click().catch(() => {});
}
let failed = 0;
for (const [name, spec] of Object.entries(SPECS)) {
  if (ONLY && !ONLY.includes(name)) continue;
  const { wf, problems } = await build(page, name, spec);
  if (problems.length) { failed++; console.log(`SKIP ${name}: ${problems.join("; ")}`); continue; }
  const fitted = await fitAndSave(page, wf);
  writeFileSync(path.join(REPO, "example_workflows", `${spec.title}.json`), JSON.stringify(fitted, null, 1) + "\n");
  // Its API-format twin, as the frontend itself converts it (tests/test_server_e2e.py compares).
  const apiPrompt = await page.evaluate(async () => (await window.comfyAPI.app.app.graphToPrompt()).output);
  writeFileSync(path.join(REPO, "tests", "workflows", `${name}.api.json`), JSON.stringify(apiPrompt, null, 1) + "\n");
  await page.waitForTimeout(2500); // previews of the editors render
  await page.keyboard.press("Escape"); // a dialog the frontend opened (templates on a fresh user dir)
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(REPO, "example_workflows", `${spec.title}.jpg`), type: "jpeg", quality: 80,
    clip: { x: 60, y: 100, width: 1520, height: 880 } });
  console.log(`wrote example_workflows/${spec.title}.json (+ .jpg): ${wf.nodes.length} nodes, ${wf.links.length} links`);
}
await ctx.close();
rmSync(userDir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
