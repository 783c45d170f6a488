// Debian's Chromium for the browser tests, in a profile of its own that is removed on close.
// CHROMIUM overrides the binary. The flags keep a headless run quiet and offline.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

export async function launchChromium() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "chronicle-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
  return {
    context,
    page: context.pages()[0] ?? (await context.newPage()),
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// The dashboard at `base`, connected, with the details drawer of job `jobId` open; returns the drawer.
export async function openJobDetails(page, base, jobId) {
  await page.goto(base);
  await page.getByTestId("connection").and(page.locator("[data-state=connected]")).waitFor({ timeout: 15000 });
  await page.locator(`[data-testid=job-card][data-job-id="${jobId}"]`).click();
  return page.getByTestId("job-details");
}
