import { describe, expect, it } from "vitest";
import type { ChatRecord } from "@/lib/types";
import { authorColour, contiguousRecords, countUpTo, displayText, rowsOf, textParts, type ChatChunk } from "./chatReplay";

const msg = (at_s: number, id: string, extra: Partial<ChatRecord> = {}): ChatRecord => ({
  type: "message",
  at_s,
  at: "",
  id,
  author: "A",
  login: "a",
  text: id,
  ...extra,
});
const chunk = (records: ChatRecord[]): ChatChunk => ({ records, complete: true, fetchedAt: 0 });

describe("chat replay", () => {
  it("shows the run of loaded windows that holds the position, up to the position", () => {
    const chunks = new Map([
      [0, chunk([msg(1, "a")])],
      [2, chunk([msg(125, "b")])],
      [3, chunk([msg(181, "c"), msg(200, "d")])],
    ]);
    const records = contiguousRecords(chunks, 190);
    expect(records.map((r) => r.id)).toEqual(["b", "c", "d"]); // window 1 is not loaded: 0 is not joined on
    expect(countUpTo(records, 190)).toBe(2);
    expect(countUpTo(records, 124.9)).toBe(0);
    expect(contiguousRecords(chunks, 70)).toEqual([]);
  });

  it("strikes what a moderator removed once playback reaches the removal", () => {
    const records = [
      msg(1, "m1", { login: "x" }),
      msg(2, "m2", { login: "y" }),
      msg(3, "m3", { login: "x" }),
      { type: "delete", at_s: 4, at: "", target_id: "m2" },
      { type: "clear", at_s: 5, at: "", login: "x" },
      msg(6, "m4", { login: "x" }),
    ] as ChatRecord[];
    const before = rowsOf(records, countUpTo(records, 3.5));
    expect(before.map((r) => r.deleted)).toEqual([false, false, false]);
    const after = rowsOf(records, countUpTo(records, 6));
    expect(after.map((r) => [r.record.id ?? r.record.type, r.deleted])).toEqual([
      ["m1", true],
      ["m2", true],
      ["m3", true],
      ["clear", false],
      ["m4", false],
    ]);
    const cleared = rowsOf([msg(1, "a"), { type: "clear", at_s: 2, at: "" }, msg(3, "b")], 3);
    expect(cleared.map((r) => r.deleted)).toEqual([true, false, false]);
  });

  it("shows control characters as symbols and cuts very long text", () => {
    expect(displayText("a\u001b[31mb\u0000\u007f\nc")).toBe("a\u241b[31mb\u2400\u2421 c");
    const long = displayText("x".repeat(30 * 1024));
    expect(long.length).toBeLessThan(600);
    expect(long).toContain("more characters");
    expect(displayText("\u202Eevil")).toBe("\u202Eevil"); // kept, and isolated by <bdi> where shown
  });

  it("cuts text into emotes by code point ranges, ignoring ranges that do not fit", () => {
    expect(textParts("hé Kappa x", [{ id: "25", start: 3, end: 7 }])).toEqual([
      { text: "hé " },
      { text: "Kappa", emote: "25" },
      { text: " x" },
    ]);
    expect(textParts("😀 Kappa", [{ id: "25", start: 2, end: 6 }])).toEqual([{ text: "😀 " }, { text: "Kappa", emote: "25" }]);
    expect(textParts("short", [{ id: "1", start: 3, end: 40 }, { id: "2", start: -1, end: 2 }])).toEqual([{ text: "short" }]);
  });

  it("uses an author's own colour only when it is a plain #rrggbb", () => {
    expect(authorColour(msg(0, "a", { color: "#FF00aa" }))).toBe("#FF00aa");
    const fallback = authorColour(msg(0, "a", { color: "red;background:url(x)" }));
    expect(fallback).toMatch(/^#[0-9a-f]{6}$/);
    expect(authorColour(msg(0, "b", { color: null }))).toBe(authorColour(msg(5, "c", { color: null })));
  });
});
