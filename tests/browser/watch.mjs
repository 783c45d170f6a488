// Watching a recording while it records, in Debian's Chromium against a real `chronicle serve`: the
// drawer's player (hls.js over live.m3u8) plays from the first second, seeks, jumps to the live
// edge, and a clip set with In and Out on the player is cut and downloads.
// Usage: node watch.mjs BASE_URL JOB_ID ARTIFACT_DIR CLIP_PATH
// Prints one JSON line of measurements; exits non-zero with the reason on failure.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { launchChromium, openJobDetails } from "./chromium.mjs";

const [base, jobId, artifacts, clipPath] = process.argv.slice(2);
fs.mkdirSync(artifacts, { recursive: true });
const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: false });

const browser = await launchChromium();
const m = {};
try {
  const page = browser.page;
  const details = await openJobDetails(page, base, jobId);
  const video = details.locator("[data-testid=player][data-mode=live]");
  await video.waitFor({ timeout: 15000 });

  // From the first second, not the live edge.
  const started = await video.evaluate(async (v) => {
    v.muted = true;
    const t0 = performance.now();
    while (v.readyState < 3 && performance.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 50));
    const first = v.currentTime;
    await v.play();
    while (v.currentTime < first + 1 && performance.now() - t0 < 30000) await new Promise((r) => setTimeout(r, 50));
    return { first, now: v.currentTime, width: v.videoWidth, ms: performance.now() - t0, duration: v.duration };
  });
  assert.ok(started.first < 1.5 && started.now >= started.first + 1, `plays from the start: ${JSON.stringify(started)}`);
  assert.equal(started.width, 640);
  m.started = started;
  await details.getByTestId("live-button").waitFor({ timeout: 10000 });
  m.behind_live = await details.getByTestId("behind-live").innerText();

  // Seeks anywhere in what is recorded.
  const seekTo = async (target) =>
    video.evaluate(
      (v, target) =>
        new Promise((resolve, reject) => {
          v.addEventListener("seeked", () => resolve(v.currentTime), { once: true });
          v.addEventListener("error", () => reject(new Error(`media error ${v.error?.code}`)), { once: true });
          v.currentTime = target;
        }),
      target,
    );
  const seeked = await seekTo(8);
  assert.ok(Math.abs(seeked - 8) < 1, `seeking lands where asked (${seeked})`);
  m.seeked = seeked;
  await shot(page, "details-live-player-desktop");

  // In and Out on the player, then Clip.
  await seekTo(2);
  await page.waitForFunction(() => document.querySelector("[data-testid=player-position]")?.textContent?.startsWith("0:02"));
  await details.getByTestId("clip-in").click();
  await seekTo(7);
  await page.waitForFunction(() => document.querySelector("[data-testid=player-position]")?.textContent?.startsWith("0:07"));
  await details.getByTestId("clip-out").click();
  await details.getByLabel("Clip name").fill("from the player");
  await details.getByTestId("clip-make").click();
  const row = details.locator("[data-testid=clip-row][data-status=ready]", { hasText: "from the player" });
  await row.waitFor({ timeout: 60000 });
  const [download] = await Promise.all([page.waitForEvent("download"), row.getByTestId("clip-download").click()]);
  await download.saveAs(clipPath);
  m.clip_bytes = fs.statSync(clipPath).size;
  assert.ok(m.clip_bytes > 10000);
  m.clip_row = await row.innerText();

  // LIVE: back to the edge.
  const t0 = Date.now();
  await details.getByTestId("live-button").click();
  await details.getByTestId("at-live").waitFor({ timeout: 15000 });
  m.live_after_ms = Date.now() - t0;
  m.at_live = await video.evaluate((v) => ({ currentTime: v.currentTime, end: v.seekable.length ? v.seekable.end(v.seekable.length - 1) : 0 }));
  assert.ok(m.at_live.currentTime > 15, `at the live edge (${JSON.stringify(m.at_live)})`);
  console.log(JSON.stringify(m));
} finally {
  await browser.close();
}
