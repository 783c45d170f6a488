// A new user's first hour in the dashboard, as the issues found it: the server going away and
// coming back while the details load, every view at phone widths, editing a channel, copying a
// job's id, and what a failure says. Usage: node firsthour.mjs BASE_URL ARTIFACT_DIR
// The Python side stops and starts serve: this script prints "stop-serve" / "start-serve" and
// waits for a line on stdin once it is done. Prints one JSON line of measurements at the end.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { launchChromium } from "./chromium.mjs";

const [base, artifacts] = process.argv.slice(2);
fs.mkdirSync(artifacts, { recursive: true });
const shot = (page, name) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: false });
const input = readline.createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
const ask = async (what) => {
  step = `asking the harness to ${what}`;
  console.log(what);
  const answer = await lines.next();
  assert.equal(answer.value, "done", `the test harness did not ${what}`);
};
const api = async (page, method, p, data) => {
  const r = await page.request.fetch(`${base}${p}`, { method, data });
  assert.ok(r.ok(), `${method} ${p}: ${r.status()} ${await r.text()}`);
  return r.json();
};

// However it goes wrong, the script ends in time and says where it was.
let step = "start";
setTimeout(() => {
  console.error(`firsthour: timed out at: ${step}`);
  process.exit(3);
}, 240_000).unref();

const browser = await launchChromium();
await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
const measurements = {};
try {
  const page = browser.page;
  await page.goto(base);
  const connection = page.getByTestId("connection");
  await connection.and(page.locator("[data-state=connected]")).waitFor({ timeout: 15000 });
  assert.equal(await connection.innerText(), "connected", "the header speaks of the link, not of a stream");
  const cards = page.getByTestId("job-card");
  await cards.first().waitFor();
  const jobs = (await api(page, "GET", "/api/v1/jobs")).jobs;
  const failed = jobs.find((j) => j.status === "failed");
  const completed = jobs.find((j) => j.status === "completed");
  assert.ok(failed && completed, "the harness made a failed and a completed job");

  // What a failure says on its card: a short reason, once, not the tool's whole text.
  const failedCard = page.locator(`[data-testid=job-card][data-job-id="${failed.id}"]`);
  const shortReason = await failedCard.getByTestId("job-error").innerText();
  assert.match(shortReason, /^not a recordable stream: the page answered 404/);
  assert.doesNotMatch(shortReason, /yt-dlp -U|report this issue/);
  measurements.failure_card_text = shortReason;

  // What the next retention pass deletes is shown before it does, on the list and the card.
  const doomedCard = page.locator(`[data-testid=job-card][data-job-id="${completed.id}"]`);
  await doomedCard.getByTestId("job-doomed").waitFor({ timeout: 10000 });
  const notice = page.getByTestId("retention-preview");
  assert.match(await notice.innerText(), /Retention deletes this recording within 60 min/);
  assert.equal(await notice.getByTestId("retention-doomed").getAttribute("data-job-id"), completed.id);
  await shot(page, "retention-preview-desktop");

  // The channels view once, so its code is here before the outage (the details' code is not).
  await page.getByTestId("view-channels").click();
  await page.getByTestId("channel-card").first().waitFor();
  await page.getByTestId("view-recordings").click();
  await cards.first().waitFor();

  // --- The outage: serve stops, a card is clicked, serve comes back. -------------------------
  await ask("stop-serve");
  const down = Date.now();
  await page.getByTestId("connection-banner").waitFor({ timeout: 20000 });
  measurements.banner_after_stop_ms = Date.now() - down;
  await connection.and(page.locator("[data-state=reconnecting]")).waitFor({ timeout: 10000 });
  assert.equal(await connection.innerText(), "reconnecting…");
  // The same banner on every view, and states there marked as possibly over.
  await page.getByTestId("view-channels").click();
  await page.getByTestId("connection-banner").waitFor();
  await page.locator("[data-testid=channel-state][data-stale]").first().waitFor();
  assert.match(await page.getByTestId("channel-checked").first().innerText(), /as of \d\d:\d\d:\d\d/);
  assert.doesNotMatch(await page.getByTestId("channel-checked").first().innerText(), /next/);
  await shot(page, "outage-channels-desktop");
  await page.getByTestId("view-recordings").click();
  await failedCard.click();
  // Whatever happens while the drawer's code cannot be fetched, the page stays.
  const blank = [];
  for (let i = 0; i < 6; ++i) {
    await page.waitForTimeout(500);
    if ((await page.locator("#root").evaluate((r) => r.childElementCount)) === 0) blank.push(i);
  }
  assert.deepEqual(blank, [], "the page never goes blank");
  assert.equal(await page.getByTestId("error-boundary").count(), 0, "a part waiting for the server is not an error");
  await shot(page, "outage-recordings-desktop");
  await ask("start-serve");
  const up = Date.now();
  // Nothing clicked again: the drawer opens by itself once its code can be fetched.
  const details = page.getByTestId("job-details");
  await details.waitFor({ timeout: 30000 });
  measurements.drawer_after_restart_ms = Date.now() - up;
  await connection.and(page.locator("[data-state=connected]")).waitFor({ timeout: 30000 });
  await page.getByTestId("connection-banner").waitFor({ state: "detached", timeout: 10000 });
  measurements.connected_after_restart_ms = Date.now() - up;

  // The drawer: the short reason, the tool's text folded away, the id copied in one click.
  assert.match(await details.getByTestId("job-error-message").innerText(), /^not a recordable stream/);
  assert.equal(await details.getByTestId("job-error-detail").isVisible(), false, "the tool's text is folded");
  await details.getByText("What the tool said").click();
  assert.match(await details.getByTestId("job-error-detail").innerText(), /404/);
  assert.equal(await details.getByTestId("job-id").innerText(), failed.id);
  await details.getByRole("button", { name: "Copy the job's id" }).click();
  await details.getByRole("button", { name: "Copied the job's id" }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), failed.id);
  await shot(page, "details-failed-desktop");
  // Escape gives the focus back to the card the drawer was opened from.
  await page.keyboard.press("Escape");
  await details.waitFor({ state: "detached" });
  await page
    .waitForFunction((id) => document.activeElement?.dataset.jobId === id, failed.id, { timeout: 3000 })
    .catch(async () =>
      assert.fail(`the focus is on ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120))}`));

  // Pinned from the notice, the recording leaves it.
  await notice.getByTestId("retention-doomed").click();
  await details.waitFor();
  await details.getByTestId("pin").click();
  await notice.waitFor({ state: "detached", timeout: 10000 });
  await page.keyboard.press("Escape");
  await details.waitFor({ state: "detached" });

  // --- Editing a channel, with the name its recordings will get. -----------------------------
  await page.getByTestId("view-channels").click();
  const channelCard = page.getByTestId("channel-card").first();
  const channelId = await channelCard.getAttribute("data-channel-id");
  await channelCard.getByTestId("edit-channel").click();
  await page.getByTestId("edit-channel-name").fill("Late show");
  await page.getByTestId("name-format").fill("{channel} – {date:%Y}");
  const year = String(new Date().getUTCFullYear());
  await page.getByTestId("name-preview").getByText(`Late show – ${year}`).waitFor({ timeout: 5000 });
  await page.getByTestId("name-format").fill("{channel} {when}");
  await page.getByTestId("name-preview").getByText(/not \{when\}/).waitFor({ timeout: 5000 });
  await page.getByTestId("name-format").fill("{channel} {title}");
  await page.getByTestId("name-preview").getByText("Late show Title of the stream").waitFor({ timeout: 5000 });
  await page.getByTestId("channel-interval").selectOption("300");
  await page.getByTestId("quality").selectOption("720p");
  await shot(page, "channel-edit-desktop");
  await page.getByTestId("submit-channel").click();
  await page.getByTestId("submit-channel").waitFor({ state: "detached" });
  const edited = await api(page, "GET", `/api/v1/channels/${channelId}`);
  assert.deepEqual([edited.name, edited.name_format, edited.poll_interval_s, edited.format],
                   ["Late show", "{channel} {title}", 300, "720p"]);
  await channelCard.getByText("Late show").waitFor();

  // --- The settings, and every view at phone widths without sideways scrolling. --------------
  await page.getByTestId("view-settings").click();
  const listen = page.locator("[data-testid=setting][data-key=listen]");
  await listen.waitFor();
  assert.match(await listen.getByTestId("setting-source").innerText(), /^flag --listen$/);
  await shot(page, "settings-desktop");

  const overflow = {};
  for (const width of [360, 390]) {
    await page.setViewportSize({ width, height: 800 });
    for (const view of ["recordings", "channels", "webhooks", "cookies", "settings"]) {
      await page.getByTestId(`view-${view}`).click();
      const ready = {
        recordings: "job-card",
        channels: "channel-card",
        webhooks: "webhook-row",
        cookies: "cookie-row",
        settings: "setting",
      }[view];
      await page.getByTestId(ready).first().waitFor();
      await page.waitForTimeout(100); // a layout pass after the view's data
      const sizes = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        client: document.documentElement.clientWidth,
        // What sticks out and is not inside something that scrolls or clips on its own.
        widest: [...document.querySelectorAll("body *")]
          .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
          .filter((e) => {
            for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
              if (getComputedStyle(a).overflowX !== "visible") return false;
            return true;
          })
          .slice(0, 4)
          .map((e) => `${e.tagName.toLowerCase()}.${String(e.className).slice(0, 60)}`),
      }));
      overflow[`${view}@${width}`] = sizes.scroll - sizes.client;
      assert.ok(sizes.scroll <= sizes.client,
                `${view} at ${width} px is ${sizes.scroll} px wide (${sizes.widest.join(" | ")})`);
      if (width === 360) await shot(page, `${view}-360`);
    }
  }
  measurements.overflow_px = overflow;
  // A cookies file for another site says so where it is listed.
  await page.getByTestId("view-cookies").click();
  assert.match(await page.getByTestId("cookie-warning").first().innerText(), /none of these cookies is for/);
  console.log(JSON.stringify(measurements));
} finally {
  input.close(); // an open stdin would keep the script alive
  await browser.close();
}
