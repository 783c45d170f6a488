// The library in Debian's Chromium against a real `chronicle serve`: two recordings submitted
// through the modal with a quality each (720p, 480p) from master playlists; their cards show a live
// preview while they record and a poster once stored; the completed recording plays in the
// details drawer and seeks.
// Usage: node library.mjs BASE_URL MASTER_URL_720 MASTER_URL_480 ARTIFACT_DIR
// Prints one JSON line of measurements ({"720p": job id, "480p": job id, ...}); exits non-zero with
// the reason on failure.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { launchChromium } from "./chromium.mjs";

const [base, url720, url480, artifacts] = process.argv.slice(2);
fs.mkdirSync(artifacts, { recursive: true });
const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: false });

const browser = await launchChromium();
const measurements = {};
try {
  const page = browser.page;
  await page.goto(base);
  await page.getByTestId("connection").and(page.locator("[data-state=connected]")).waitFor({ timeout: 15000 });

  for (const [quality, url] of [["720p", url720], ["480p", url480]]) {
    await page.getByTestId("new-recording").click();
    await page.getByLabel("Stream URL").fill(url);
    await page.getByLabel("Name (optional)").fill(`quality ${quality}`);
    await page.getByTestId("quality").selectOption(quality);
    if (quality === "720p") await shot(page, "modal-quality-desktop");
    await page.getByTestId("submit-recording").click();
    await page.getByLabel("Stream URL").waitFor({ state: "detached" });
    const card = page.locator("[data-testid=job-card]", { hasText: `quality ${quality}` });
    await card.waitFor();
    measurements[quality] = await card.getAttribute("data-job-id");
  }

  // Thumbnails load: the live preview while recording, the poster once stored.
  const loaded = async (img) => img.evaluate((el) => el.complete && el.naturalWidth > 0 && el.naturalHeight > 0);
  const card720 = page.locator(`[data-testid=job-card][data-job-id="${measurements["720p"]}"]`);
  const t0 = Date.now();
  await card720.getByTestId("job-thumbnail").waitFor({ timeout: 30000 });
  if ((await card720.getByTestId("status-badge").getAttribute("data-status")) === "recording") {
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await card720.getByTestId("job-thumbnail").elementHandle());
    measurements.preview_after_ms = Date.now() - t0;
    await shot(page, "list-preview-desktop");
  }
  for (const quality of ["720p", "480p"]) {
    const card = page.locator(`[data-testid=job-card][data-job-id="${measurements[quality]}"]`);
    await card.locator("[data-testid=status-badge][data-status=completed]").waitFor({ timeout: 90000 });
    const img = card.getByTestId("job-thumbnail");
    await img.waitFor();
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: 10000 });
    assert.ok(await loaded(img), `the ${quality} card's poster loads`);
    measurements[`poster_${quality}`] = await img.evaluate((el) => [el.naturalWidth, el.naturalHeight]);
  }
  await shot(page, "list-thumbnails-desktop");

  // The completed recording plays in the drawer, and seeks.
  await card720.click();
  const details = page.getByTestId("job-details");
  await details.waitFor();
  const video = details.getByTestId("player");
  await video.waitFor();
  assert.match(await details.innerText(), /720p or lower/);
  assert.match(await details.innerText(), /1280×720 h264/);
  const played = await video.evaluate(async (v) => {
    v.muted = true;
    await v.play();
    const start = performance.now();
    while (v.currentTime < 1.0 && performance.now() - start < 10000) await new Promise((r) => setTimeout(r, 100));
    return { currentTime: v.currentTime, width: v.videoWidth, height: v.videoHeight, duration: v.duration };
  });
  assert.ok(played.currentTime >= 1.0, `the video plays (currentTime ${played.currentTime})`);
  assert.equal(played.width, 1280);
  measurements.played = played;
  const seeked = await video.evaluate(async (v) => {
    v.pause();
    const target = Math.min(5, v.duration - 1);
    await new Promise((resolve, reject) => {
      v.addEventListener("seeked", resolve, { once: true });
      v.addEventListener("error", () => reject(new Error(`media error ${v.error?.code}`)), { once: true });
      v.currentTime = target;
    });
    return { target, currentTime: v.currentTime };
  });
  assert.ok(Math.abs(seeked.currentTime - seeked.target) < 0.5, `seeking lands where asked (${JSON.stringify(seeked)})`);
  measurements.seeked = seeked;
  await shot(page, "details-player-desktop");

  // Pinning keeps it from retention; the server says so, and the card shows it.
  await details.getByTestId("pin").click();
  await details.locator("[data-testid=pin][aria-pressed=true]").waitFor({ timeout: 10000 });
  const pinned = await (await page.request.get(`${base}/api/v1/jobs/${measurements["720p"]}`)).json();
  assert.equal(pinned.pinned, true);
  await page.keyboard.press("Escape");
  await card720.getByTestId("pinned").waitFor();
  // What the recordings take, beside the free space.
  await page.waitForTimeout(5500);  // the next measurement after the jobs changed
  await page.reload();
  assert.match(await page.getByTestId("storage").innerText({ timeout: 10000 }), /^recordings [1-9][\d.]* MiB/);
  console.log(JSON.stringify(measurements));
} finally {
  await browser.close();
}
