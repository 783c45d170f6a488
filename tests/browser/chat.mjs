// The chat beside the player, in Debian's Chromium against a real `chronicle serve` recording a
// Twitch stand-in (a local HLS stream) with its chat (a local IRC-over-WebSocket server): the chat
// follows playback, a seek jumps it, at the live edge new messages stream in, a removed message is
// struck through, and what a chat may hold (terminal escapes, bidi overrides, markup, invalid
// UTF-8, a 30 KiB line) is shown as text.
// Usage: node chat.mjs BASE_URL JOB_ID ARTIFACT_DIR
// Prints one JSON line of measurements; exits non-zero with the reason on failure.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { launchChromium, openJobDetails } from "./chromium.mjs";

const [base, jobId, artifacts] = process.argv.slice(2);
fs.mkdirSync(artifacts, { recursive: true });

const browser = await launchChromium();
const m = {};
try {
  const page = browser.page;
  const details = await openJobDetails(page, base, jobId);
  const video = details.locator("[data-testid=player][data-mode=live]");
  const chat = details.getByTestId("chat-replay");
  await video.waitFor({ timeout: 15000 });
  await chat.waitFor({ timeout: 15000 });

  // Beside the player on a wide screen.
  const [vbox, cbox] = [await video.boundingBox(), await chat.boundingBox()];
  assert.ok(cbox.x >= vbox.x + vbox.width - 1, `the chat is beside the player (${JSON.stringify({ vbox, cbox })})`);

  // What the chat shows against where the player is: every row at or before it, the newest close to it.
  const state = () =>
    page.evaluate(() => {
      const v = document.querySelector("[data-testid=player]");
      const rows = [...document.querySelectorAll("[data-testid=chat-replay] [data-at]")].map((r) => Number(r.dataset.at));
      return { position: v.currentTime, newest: rows.length ? Math.max(...rows) : null, rows: rows.length };
    });
  // Polled from here, not in the page: the dashboard's CSP forbids evaluating strings there.
  const waitState = async (test, what, timeout = 15000) => {
    const until = Date.now() + timeout;
    for (;;) {
      const s = await state();
      if (test(s)) return s;
      if (Date.now() > until) throw new Error(`${what}: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  // Playing from the start: the chat moves with the video.
  await video.evaluate(async (v) => {
    v.muted = true;
    const t0 = performance.now();
    while (v.readyState < 3 && performance.now() - t0 < 20000) await new Promise((r) => setTimeout(r, 50));
    await v.play();
  });
  const early = await waitState((s) => s.position >= 3 && s.newest !== null && s.newest <= s.position + 0.3, "plays with the chat");
  const later = await waitState((s) => s.position >= early.position + 2 && s.newest > early.newest, "the chat follows playback");
  assert.ok(later.newest <= later.position + 0.3 && later.position - later.newest < 1.5, `newest row near the position: ${JSON.stringify(later)}`);
  m.follows = { early, later };

  // Seeking jumps it: forward, then back.
  const seekTo = (target) =>
    video.evaluate(
      (v, target) =>
        new Promise((resolve) => {
          v.addEventListener("seeked", () => resolve(v.currentTime), { once: true });
          v.currentTime = target;
        }),
      target,
    );
  await video.evaluate((v) => v.pause());
  await seekTo(16);
  const forward = await waitState((s) => s.position > 15.5 && s.newest !== null && s.newest > 14.5 && s.newest <= s.position + 0.3, "a seek forward jumps the chat");
  await seekTo(6);
  const back = await waitState((s) => s.position < 6.5 && s.newest !== null && s.newest <= s.position + 0.3 && s.newest > 4.5, "a seek back jumps the chat back");
  m.seeks = { forward, back };

  // The first messages, where the removed one (CLEARMSG of msg-3, sent right after message 5) and the
  // odd ones (12-15) are: playback just past message 16, the list scrolled to its top (which stops
  // following; only the rows in view exist in the page).
  const lines = await page.evaluate(
    async (id) => (await (await fetch(`/api/v1/jobs/${id}/chat?from_s=0&to_s=60`)).text()).split("\n").filter(Boolean).map(JSON.parse),
    jobId,
  );
  const past16 = lines.find((r) => r.id === "msg-16").at_s + 0.05;
  await seekTo(past16);
  await waitState((s) => Math.abs(s.position - past16) < 0.3, "a seek past message 16");
  const scroller = chat.getByTestId("chat-scroller");
  await scroller.evaluate((el) => {
    el.scrollTop = 0;
    el.dispatchEvent(new Event("scroll"));
  });
  await chat.getByTestId("chat-follow").waitFor({ timeout: 5000 });
  const removed = chat.locator("[data-testid=chat-row][data-id=msg-3]");
  await removed.waitFor({ timeout: 5000 });
  assert.equal(await removed.getAttribute("data-deleted"), "true");
  assert.match(await removed.evaluate((e) => getComputedStyle(e).textDecorationLine), /line-through/);

  // What a chat may hold is shown as text: no element made from it, escapes drawn as symbols.
  await chat.locator("[data-testid=chat-row][data-id=msg-15]").waitFor({ timeout: 5000 });
  const odd = await chat.evaluate((root) => {
    const text = (id) => root.querySelector(`[data-id=${id}] [data-testid=chat-text]`)?.textContent ?? null;
    return {
      escapes: text("msg-12"),
      markup: text("msg-13"),
      invalid: text("msg-14"),
      long: text("msg-15"),
      elements: root.querySelectorAll("script, img, b, iframe").length,
      bdi: root.querySelector("[data-id=msg-13] bdi") !== null,
    };
  });
  assert.ok(odd.escapes?.includes("\u241b[31mred") && odd.escapes.includes("\u2407bell"), `escapes as symbols: ${JSON.stringify(odd.escapes)}`);
  assert.ok(odd.markup?.includes("<b>bold</b>") && odd.markup.includes("<img src=x"), `markup as text: ${odd.markup}`);
  assert.equal(odd.elements, 0, "no element made from a message");
  assert.ok(odd.bdi, "a message is isolated (bidi)");
  assert.ok(odd.invalid?.includes("\ufffd"), `invalid UTF-8 replaced: ${odd.invalid}`);
  assert.ok(odd.long && odd.long.length < 700 && odd.long.includes("more characters"), `a 30 KiB line is cut: ${odd.long?.length}`);
  m.odd = { escapes: odd.escapes, markup: odd.markup, invalid: odd.invalid, long_shown: odd.long.length };
  await page.screenshot({ path: path.join(artifacts, "details-chat-desktop.png") });
  // "Follow playback" brings the newest rows back.
  await chat.getByTestId("chat-follow").click();
  await chat.getByTestId("chat-follow").waitFor({ state: "detached", timeout: 5000 });

  // At the live edge of the recording in progress, new messages stream in.
  await video.evaluate((v) => v.play());
  await details.getByTestId("live-button").click();
  const atLive = await waitState((s) => s.newest !== null && s.position > 20, "at the live edge");
  const streamed = await waitState((s) => s.newest > atLive.newest + 2, "new messages stream in at the live edge", 20000);
  m.live = { atLive, streamed };

  console.log(JSON.stringify(m));
} catch (e) {
  console.error(e.stack || String(e));
  process.exitCode = 1;
} finally {
  await browser.close();
}
