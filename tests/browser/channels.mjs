// The Channels view in Debian's Chromium against a real `chronicle serve`: add a channel through
// the dialog, see it checked offline, then (once the test puts a live stream on the channel's page)
// see it turn to recording with its recording listed, pause and resume it, and remove it.
// Usage: node channels.mjs BASE_URL CHANNEL_URL ARTIFACT_DIR
// Prints "offline" once the channel was seen offline (the test then makes it live), and at the end
// one JSON line of measurements; exits non-zero with the reason on failure.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { launchChromium } from "./chromium.mjs";

const [base, channelUrl, artifacts] = process.argv.slice(2);
fs.mkdirSync(artifacts, { recursive: true });
const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: false });

const browser = await launchChromium();
const measurements = {};
try {
  const page = browser.page;
  await page.goto(`${base}/#channels`);
  await page.getByTestId("connection").and(page.locator("[data-state=connected]")).waitFor({ timeout: 15000 });
  await page.getByTestId("channels-empty").waitFor();

  // The dialog refuses a bad URL inline, then adds the channel.
  await page.getByTestId("add-channel").click();
  const url = page.getByLabel("Channel URL");
  await url.fill("-o/etc/passwd");
  await page.getByTestId("submit-channel").click();
  assert.match(await page.getByTestId("channel-error").innerText(), /cannot begin with '-'/);
  await url.fill(channelUrl);
  await page.getByLabel("Name (optional)").fill("browser channel");
  await shot(page, "channel-add-desktop");
  await page.getByTestId("submit-channel").click();

  const card = page.getByTestId("channel-card").first();
  await card.waitFor({ timeout: 10000 });
  const channelId = await card.getAttribute("data-channel-id");
  // A new channel is checked at once; its state arrives over the event stream.
  await card.locator("[data-testid=channel-state][data-state=offline]").waitFor({ timeout: 20000 });
  assert.match(await card.getByTestId("channel-checked").innerText(), /every 1 min · checked (just now|\d+ s ago)/);
  console.log("offline");

  // The test makes the page live now. "Check now" instead of waiting a minute for the next check.
  const t0 = Date.now();
  const recording = card.locator("[data-testid=channel-state][data-state=recording]");
  for (;;) {
    await card.getByTestId("check-channel").click();
    try {
      await recording.waitFor({ timeout: 3000 });
      break;
    } catch {
      assert.ok(Date.now() - t0 < 60000, "the channel never turned to recording");
    }
  }
  measurements.live_to_recording_ms = Date.now() - t0;
  const job = card.getByTestId("channel-job").first();
  await job.waitFor({ timeout: 10000 });
  measurements.job_id = await job.getAttribute("data-job-id");
  await job.locator("[data-testid=status-badge][data-status=recording]").waitFor({ timeout: 30000 });
  await shot(page, "channels-recording-desktop");

  // Its recording opens in the details drawer, and completes when the session ends.
  await job.click();
  const details = page.getByTestId("job-details");
  await details.waitFor();
  await details.locator("[data-testid=status-badge][data-status=completed]").waitFor({ timeout: 90000 });
  await page.keyboard.press("Escape");
  await job.locator("[data-testid=status-badge][data-status=completed]").waitFor({ timeout: 10000 });

  // Pause and resume, then remove after confirming; the recording stays.
  await card.getByTestId("pause-channel").click();
  await card.locator("[data-testid=channel-state][data-state=paused]").waitFor({ timeout: 10000 });
  await card.getByTestId("pause-channel").click();
  await card.locator("[data-testid=channel-state]:not([data-state=paused])").waitFor({ timeout: 10000 });

  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, "channels-phone");
  await page.setViewportSize({ width: 1280, height: 800 });

  await card.getByTestId("remove-channel").click();
  await card.getByTestId("confirm-remove").click();
  await page.getByTestId("channels-empty").waitFor({ timeout: 10000 });
  const listed = await (await page.request.get(`${base}/api/v1/channels`)).json();
  assert.deepEqual(listed.channels, []);
  const kept = await (await page.request.get(`${base}/api/v1/jobs/${measurements.job_id}`)).json();
  assert.equal(kept.status, "completed");
  assert.equal(kept.channel_id, channelId);
  measurements.recording_bytes = kept.recording.size;

  // The recordings view shows it too, with the other statuses' filters.
  await page.getByTestId("view-recordings").click();
  await page.locator(`[data-testid=job-card][data-job-id="${measurements.job_id}"]`).waitFor();
  console.log(JSON.stringify(measurements));
} finally {
  await browser.close();
}
