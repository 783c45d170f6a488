// Lighthouse (mobile profile, its default) against the dashboard in Debian's Chromium. Prints one
// JSON line: each category's score and the audits that lost points; exits non-zero when a
// category is below MIN_SCORE (0.95) in one run and in the median of three.
// Usage: node lighthouse.mjs URL [REPORT_JSON_PATH]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";

const [url, reportPath] = process.argv.slice(2);
const MIN_SCORE = 0.95;
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "chronicle-lighthouse-"));
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  userDataDir,
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
});
let failed = false;
try {
  const audit = () =>
    lighthouse(url, {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: ["performance", "accessibility", "best-practices"],
    });
  // Lighthouse's performance score varies from run to run with the machine's load; its own advice
  // is the median of several runs. One run when it passes; otherwise the median of three.
  let result = await audit();
  const short = (r) => Object.values(r.lhr.categories).some((c) => c.score === null || c.score < MIN_SCORE);
  if (short(result)) {
    const runs = [result, await audit(), await audit()];
    runs.sort((a, b) => a.lhr.categories.performance.score - b.lhr.categories.performance.score);
    result = runs[1];
  }
  const lhr = result.lhr;
  if (reportPath) {
    fs.mkdirSync(path.dirname(reportPath), { recursive: true });
    fs.writeFileSync(reportPath, result.report);
  }
  const scores = Object.fromEntries(Object.entries(lhr.categories).map(([k, c]) => [k, c.score]));
  const lost = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode !== "informative" && a.scoreDisplayMode !== "manual")
    .map((a) => `${a.id}: ${a.score}${a.displayValue ? ` (${a.displayValue})` : ""}`);
  const metrics = Object.fromEntries(
    ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift", "speed-index"]
      .map((id) => [id, lhr.audits[id]?.displayValue]),
  );
  failed = Object.values(scores).some((s) => s === null || s < MIN_SCORE);
  console.log(JSON.stringify({ scores, metrics, lost }));
} finally {
  await chrome.kill();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
