// The dashboard over a long history, in Debian's Chromium against a real `chronicle serve` whose
// store holds thousands of finished jobs: the status counts are the server's (right past the
// first page), scrolling reaches the oldest job page by page, the search finds one job among
// them, a filter lists from the server, and the page stays responsive with every card loaded.
// Usage: node history.mjs BASE_URL OLDEST_JOB_ID NEEDLE_NAME TOTAL FAILED ARTIFACT_DIR
// Prints one JSON line of measurements; exits non-zero with the reason on failure.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { launchChromium } from "./chromium.mjs";

const [base, oldestId, needle, total, failed, artifacts] = process.argv.slice(2);
fs.mkdirSync(artifacts, { recursive: true });
const browser = await launchChromium();
const m = {};
try {
  const page = browser.page;
  let t0 = Date.now();
  await page.goto(base);
  await page.getByTestId("connection").and(page.locator("[data-state=connected]")).waitFor({ timeout: 15000 });
  await page.getByTestId("job-card").first().waitFor({ timeout: 15000 });
  m.first_cards_ms = Date.now() - t0;

  // The counts come from the server, not from the cards loaded.
  const count = async (f) => Number(await page.getByTestId(`count-${f}`).innerText());
  await page.waitForFunction((n) => document.querySelector("[data-testid=count-all]")?.textContent === n, total);
  assert.equal(await count("all"), Number(total));
  assert.equal(await count("failed"), Number(failed));
  assert.equal(await count("completed"), Number(total) - Number(failed));
  m.cards_first_page = await page.getByTestId("job-card").count();
  assert.ok(m.cards_first_page < Number(total), "the first screen reads one page, not the whole history");

  // Scrolling reaches the oldest job.
  t0 = Date.now();
  const oldest = page.locator(`[data-testid=job-card][data-job-id="${oldestId}"]`);
  while ((await oldest.count()) === 0) {
    assert.ok(Date.now() - t0 < 120000, "the oldest job never came into the list");
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.waitForTimeout(50);
  }
  m.scroll_to_oldest_ms = Date.now() - t0;
  m.cards_loaded = await page.getByTestId("job-card").count();
  assert.equal(m.cards_loaded, Number(total));
  await oldest.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(artifacts, "history-oldest-desktop.png") });

  // Responsive with every card loaded: the once-a-second tick and a click do not block the page.
  m.max_event_loop_delay_ms = await page.evaluate(
    () =>
      new Promise((resolve) => {
        let worst = 0;
        let last = performance.now();
        const end = last + 4000;
        const tick = () => {
          const t = performance.now();
          worst = Math.max(worst, t - last - 20);
          last = t;
          if (t < end) setTimeout(tick, 20);
          else resolve(Math.round(worst));
        };
        setTimeout(tick, 20);
      }),
  );
  assert.ok(m.max_event_loop_delay_ms < 250, `the page stalled for ${m.max_event_loop_delay_ms} ms`);
  t0 = Date.now();
  await oldest.click();
  await page.getByTestId("job-details").waitFor();
  m.open_details_ms = Date.now() - t0;
  await page.keyboard.press("Escape");

  // The search finds one job among all of them, on the server.
  await page.evaluate(() => window.scrollTo(0, 0));
  t0 = Date.now();
  await page.getByTestId("search").fill(needle);
  await page.waitForFunction(
    (name) => {
      const cards = document.querySelectorAll("[data-testid=job-card]");
      return cards.length === 1 && cards[0].textContent.includes(name);
    },
    needle,
    { timeout: 10000 },
  );
  m.search_ms = Date.now() - t0;
  // With a search the counts are those of the list, not of the whole history beside one result.
  assert.equal(await count("all"), 1);
  assert.equal(await page.getByTestId("count-failed").count(), 0, "no count that is not the search's");
  await page.screenshot({ path: path.join(artifacts, "history-search-desktop.png") });
  await page.getByTestId("search").fill("");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=job-card]").length >= 100);

  // A filter lists from the server: a page of failed jobs, more on scrolling.
  await page.getByTestId("filter-failed").click();
  await page.waitForFunction(() => {
    const badges = [...document.querySelectorAll("[data-testid=job-card] [data-testid=status-badge]")];
    return badges.length === 100 && badges.every((b) => b.getAttribute("data-status") === "failed");
  });
  m.failed_first_page = await page.getByTestId("job-card").count();
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=job-card]").length === 200);
  console.log(JSON.stringify(m));
} finally {
  await browser.close();
}
