// Drives the dashboard in Debian's Chromium against a real `chronicle serve` recording a real
// live stream. Usage: node dashboard.mjs BASE_URL STREAM_URL ARTIFACT_DIR
// Prints one JSON line of measurements; exits non-zero with the reason on failure.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { launchChromium } from "./chromium.mjs";

const [base, streamUrl, artifacts] = process.argv.slice(2);
fs.mkdirSync(artifacts, { recursive: true });
const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: false });

const browser = await launchChromium();
const measurements = {};
try {
  const page = browser.page;
  await page.goto(base);
  await page.getByTestId("connection").and(page.locator("[data-state=connected]")).waitFor({ timeout: 15000 });
  await page.getByTestId("empty-state").waitFor();
  // A stale yt-dlp (Debian's is from 2023) is named in a banner, with what to do about it.
  const info = await (await page.request.get(`${base}/api/v1/info`)).json();
  if (info.warnings.length > 0) {
    const banner = page.getByTestId("tool-warnings");
    await banner.waitFor({ timeout: 10000 });
    assert.match(await banner.innerText(), /yt-dlp [0-9.]+ is [0-9]+ days old/);
    measurements.tool_warnings = info.warnings.length;
  } else {
    assert.equal(await page.getByTestId("tool-warnings").count(), 0);
  }
  await shot(page, "empty-desktop");

  // The modal refuses a bad URL inline, then takes a real one with Enter.
  await page.getByTestId("new-recording").click();
  const url = page.getByLabel("Stream URL");
  await url.fill("ftp://example.com/live");
  await url.press("Enter");
  const formError = page.getByTestId("form-error");
  await formError.waitFor();
  assert.match(await formError.innerText(), /ftp is not supported/);
  await shot(page, "modal-desktop");
  await url.fill(streamUrl);
  await page.getByLabel("Name (optional)").fill("browser test");
  const t0 = Date.now();
  await url.press("Enter");

  const card = page.getByTestId("job-card").first();
  await card.waitFor({ timeout: 10000 });
  measurements.submit_to_card_ms = Date.now() - t0;
  const jobId = await card.getAttribute("data-job-id");
  const badge = card.getByTestId("status-badge");
  await card.locator('[data-testid=status-badge][data-status=recording]').waitFor({ timeout: 30000 });
  measurements.submit_to_recording_ms = Date.now() - t0;

  // Bytes grow on the card while it records, pushed over the event stream.
  const bytes = async () => Number(await card.getByTestId("job-bytes").getAttribute("data-bytes"));
  const first = await bytes();
  await page.waitForFunction(
    ([id, b]) => Number(document.querySelector(`[data-job-id="${id}"] [data-testid=job-bytes]`)?.dataset.bytes) > b,
    [jobId, first], { timeout: 15000 });
  const second = await bytes();
  await page.waitForFunction(
    ([id, b]) => Number(document.querySelector(`[data-job-id="${id}"] [data-testid=job-bytes]`)?.dataset.bytes) > b,
    [jobId, second], { timeout: 15000 });
  measurements.bytes_seen = [first, second, await bytes()];
  assert.ok(await card.getByTestId("heartbeat").isVisible(), "heartbeat age is shown while recording");
  await shot(page, "list-recording-desktop");

  // Details drawer: timeline, then stop with confirmation.
  await card.click();
  const details = page.getByTestId("job-details");
  await details.waitFor();
  await shot(page, "details-recording-desktop");
  await details.getByTestId("stop").click();
  await details.getByTestId("confirm").click();
  const tStop = Date.now();
  await details.locator("[data-testid=status-badge][data-status=completed]").waitFor({ timeout: 60000 });
  measurements.stop_to_completed_ms = Date.now() - tStop;
  await details.getByTestId("download-torrent").waitFor({ timeout: 10000 });
  await shot(page, "details-completed-desktop");

  // The download buttons work: fetch what they point at.
  const job = await (await page.request.get(`${base}/api/v1/jobs/${jobId}`)).json();
  assert.equal(job.status, "completed");
  const recHref = await details.getByTestId("download-recording").getAttribute("href");
  const rec = await page.request.get(new URL(recHref, base).toString());
  assert.equal(rec.status(), 200);
  assert.equal((await rec.body()).length, job.recording.size);
  const torHref = await details.getByTestId("download-torrent").getAttribute("href");
  const tor = await page.request.get(new URL(torHref, base).toString());
  assert.equal(tor.status(), 200);
  assert.equal(tor.headers()["content-type"], "application/x-bittorrent");
  assert.ok((await tor.body()).length > 100);
  measurements.recording_bytes = job.recording.size;
  measurements.job_id = jobId;
  await page.keyboard.press("Escape");

  // Phone width.
  const phone = await browser.context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(base);
  await phone.getByTestId("job-card").first().waitFor();
  await shot(phone, "list-phone");
  await phone.getByTestId("new-recording").click();
  await shot(phone, "modal-phone");
  await phone.keyboard.press("Escape");
  await phone.getByTestId("job-card").first().click();
  await phone.getByTestId("job-details").waitFor();
  await shot(phone, "details-phone");
  console.log(JSON.stringify(measurements));
} finally {
  await browser.close();
}
