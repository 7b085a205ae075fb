// Opens an evaluation report (a local HTML file) in Debian's Chromium through playwright-core,
// checks that it renders on its own (every image decoded, no console errors: the page's CSP
// forbids any load), and saves screenshots. Run by tests/evaluation/test_eval_e2e.py.
//
//   node tests/evaluation/report_shot.mjs --report out/report.html --out test-artifacts/evaluation \
//        [--docshot docs/evaluation_report.png]
// Prints one JSON line: {ok, images, broken, errors, title, tables, text}.
import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith("--") ? all[i + 1] : "1"]);
  return acc;
}, []));
const OUT = path.resolve(args.out || "test-artifacts/evaluation");
mkdirSync(OUT, { recursive: true });
const CHROMIUM = process.env.COCO_CHROMIUM || "/usr/bin/chromium";

const context = await chromium.launchPersistentContext(mkdtempSync(path.join(tmpdir(), "coco-report-")), {
  executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 1000 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const errors = [];
const requests = [];
try {
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("request", (r) => { if (!r.url().startsWith("data:") && !r.url().startsWith("file:")) requests.push(r.url()); });
  await page.goto(pathToFileURL(path.resolve(args.report)).href, { waitUntil: "load" });
  const info = await page.evaluate(() => {
    const imgs = [...document.images];
    return {
      images: imgs.length,
      broken: imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).length,
      title: document.title,
      tables: document.querySelectorAll("table").length,
      text: document.body.innerText.slice(0, 4000),
    };
  });
  await page.screenshot({ path: path.join(OUT, "report_top.png") });
  await page.screenshot({ path: path.join(OUT, "report_full.png"), fullPage: true });
  if (args.docshot) {
    await page.setViewportSize({ width: 1300, height: 900 });
    const h = await page.evaluate(() => Math.min(document.body.scrollHeight, 1650));
    await page.screenshot({ path: path.resolve(args.docshot), fullPage: true, clip: { x: 0, y: 0, width: 1300, height: h } });
  }
  console.log(JSON.stringify({ ok: true, errors, requests, ...info }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e), errors, requests }));
} finally {
  await context.close();
}
