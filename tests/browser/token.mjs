// The dashboard against a server with a token: it asks for the token once, then lists, follows
// and downloads (the download links are signed, so they work without the token).
// Usage: node token.mjs BASE_URL TOKEN JOB_ID ARTIFACT_DIR
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { launchChromium } from "./chromium.mjs";

const [base, token, jobId, artifacts] = process.argv.slice(2);
fs.mkdirSync(artifacts, { recursive: true });
const browser = await launchChromium();
try {
  const page = browser.page;
  await page.goto(base);
  const input = page.locator("input#token");
  await input.waitFor({ timeout: 15000 });
  await page.screenshot({ path: path.join(artifacts, "token-dialog-desktop.png") });
  await input.fill(token);
  await page.getByRole("button", { name: "Save" }).click();
  const card = page.locator(`[data-testid=job-card][data-job-id="${jobId}"]`);
  await card.waitFor({ timeout: 15000 });
  await page.getByTestId("connection").and(page.locator("[data-state=connected]")).waitFor({ timeout: 15000 });
  await card.click();
  const details = page.getByTestId("job-details");
  const href = await details.getByTestId("download-recording").getAttribute("href");
  assert.match(href, /[?&]sig=/);
  // A fresh context: no token anywhere, only the signed link.
  const anonymous = await (await import("playwright-core")).request.newContext();
  const rec = await anonymous.get(new URL(href, base).toString());
  assert.equal(rec.status(), 200);
  const plain = await anonymous.get(`${base}/api/v1/jobs/${jobId}`);
  assert.equal(plain.status(), 401);
  console.log(JSON.stringify({ recording_bytes: (await rec.body()).length }));
} finally {
  await browser.close();
}
