// The Webhooks page in Debian's Chromium against a real `chronicle serve` and a receiver on
// loopback: add a signed webhook for two events, send a test, follow its delivery to "delivered"
// in the list of last deliveries, then remove it.
// Usage: node webhooks.mjs BASE_URL RECEIVER_URL SECRET ARTIFACT_DIR
// Prints one JSON line ({"webhook": id, "delivered_after_ms": n}); exits non-zero with the reason.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { launchChromium } from "./chromium.mjs";

const [base, receiverUrl, secret, artifacts] = process.argv.slice(2);
fs.mkdirSync(artifacts, { recursive: true });
const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: false });

const browser = await launchChromium();
const measurements = {};
try {
  const page = browser.page;
  await page.goto(`${base}/#webhooks`);
  await page.getByTestId("webhooks-empty").waitFor({ timeout: 15000 });
  assert.equal(await page.getByTestId("view-webhooks").getAttribute("aria-current"), "page");

  // A mistake first: no event chosen.
  await page.getByLabel("URL").fill(receiverUrl);
  for (const e of ["job.recording", "job.completed", "job.failed", "channel.live"]) await page.getByTestId(`event-${e}`).uncheck();
  await page.getByTestId("add-webhook").click();
  assert.match(await page.getByTestId("webhook-error").innerText(), /at least one event/);

  await page.getByTestId("event-job.completed").check();
  await page.getByTestId("event-job.failed").check();
  await page.getByLabel("Secret (optional)").fill(secret);
  await page.getByTestId("add-webhook").click();
  const row = page.getByTestId("webhook-row");
  await row.waitFor({ timeout: 10000 });
  measurements.webhook = await row.getAttribute("data-id");
  assert.match(await row.innerText(), /signed/);
  assert.match(await row.innerText(), /Recording completed, Recording failed/);
  const listed = await (await page.request.get(`${base}/api/v1/webhooks`)).json();
  assert.deepEqual(listed.webhooks.map((w) => [w.url, w.events, w.signed]), [[receiverUrl, ["job.completed", "job.failed"], true]]);
  assert.ok(!JSON.stringify(listed).includes(secret), "the secret is never shown");

  const t0 = Date.now();
  await row.getByTestId("test-webhook").click();
  await row.locator("[data-testid=delivery][data-state=delivered]").waitFor({ timeout: 20000 });
  measurements.delivered_after_ms = Date.now() - t0;
  assert.match(await row.getByTestId("delivery").first().innerText(), /ping/);
  await shot(page, "webhooks-desktop");

  await row.getByTestId("delete-webhook").click();
  await page.getByTestId("webhooks-empty").waitFor({ timeout: 10000 });
  console.log(JSON.stringify(measurements));
} finally {
  await browser.close();
}
