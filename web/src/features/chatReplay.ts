// What the chat replay shows at a place in the recording, kept apart from React so it is tested
// as plain functions: the chat is fetched in windows of CHUNK_S seconds of the timeline, and what
// is shown is every line up to the playback position from the run of loaded windows that holds it.
import type { ChatRecord } from "@/lib/types";

export const CHUNK_S = 60;

export interface ChatChunk {
  records: ChatRecord[];
  /** Nothing more will be written into this window (the recording is past it, or over). */
  complete: boolean;
  fetchedAt: number;
}

export const chunkOf = (at_s: number) => Math.max(0, Math.floor(at_s / CHUNK_S));

/** The lines of the loaded windows that run without a hole up to `position`'s window, in timeline order. */
export function contiguousRecords(chunks: Map<number, ChatChunk>, position: number): ChatRecord[] {
  let first = chunkOf(position);
  if (!chunks.has(first)) return [];
  while (chunks.has(first - 1)) first -= 1;
  const out: ChatRecord[] = [];
  for (let k = first; k <= chunkOf(position); k++) for (const r of chunks.get(k)!.records) out.push(r);
  return out;
}

/** How many of `records` (sorted by at_s) are at or before `position`. */
export function countUpTo(records: ChatRecord[], position: number): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (records[mid].at_s <= position) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The lines the list shows (messages, notices, lost and regained connections, clears), with whether
 * a moderator had removed the message by then (CLEARMSG, a timeout or ban, a cleared chat). */
export interface ChatRow {
  record: ChatRecord;
  deleted: boolean;
}

export function rowsOf(records: ChatRecord[], count: number): ChatRow[] {
  const deletedIds = new Set<string>();
  const clearedLogins = new Map<string, number>();
  let clearedAll = -1;
  for (let i = 0; i < count; i++) {
    const r = records[i];
    if (r.type === "delete" && r.target_id) deletedIds.add(r.target_id);
    else if (r.type === "clear") {
      if (r.login) clearedLogins.set(r.login, r.at_s);
      else clearedAll = r.at_s;
    }
  }
  const rows: ChatRow[] = [];
  for (let i = 0; i < count; i++) {
    const r = records[i];
    if (r.type === "delete") continue;
    if (r.type !== "message" && r.type !== "notice" && r.type !== "disconnected" && r.type !== "connected" && r.type !== "clear")
      continue;
    const byLogin = r.login ? clearedLogins.get(r.login) : undefined;
    const deleted =
      r.type === "message" &&
      ((!!r.id && deletedIds.has(r.id)) || (byLogin !== undefined && r.at_s <= byLogin) || r.at_s <= clearedAll);
    rows.push({ record: r, deleted });
  }
  return rows;
}

const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F]/g;

/** Text as a viewer may see it safely: control characters drawn as their symbols (␛), tabs and
 * line breaks as spaces, very long text cut with what was left out said. Rendered as text (React
 * escapes it) and inside <bdi>, so a bidi override cannot reorder what is around it. */
export function displayText(text: string, limit = 500): string {
  let t = text.replace(/[\t\n\r]/g, " ").replace(CONTROL, (c) => (c === "\u007F" ? "\u2421" : String.fromCharCode(0x2400 + c.charCodeAt(0))));
  if (t.length > limit) {
    const more = t.length - limit;
    t = `${t.slice(0, limit)}… (${more >= 1024 ? `${(more / 1024).toFixed(1)} K` : more} more characters)`;
  }
  return t;
}

/** The text cut into plain parts and emotes (by their code point ranges). */
export function textParts(text: string, emotes: ChatRecord["emotes"]): { text: string; emote?: string }[] {
  const points = Array.from(text);
  const ranges = [...(emotes ?? [])]
    .filter((e) => e.start >= 0 && e.end >= e.start && e.end < points.length)
    .sort((a, b) => a.start - b.start);
  const parts: { text: string; emote?: string }[] = [];
  let at = 0;
  for (const e of ranges) {
    if (e.start < at) continue; // overlapping ranges: the first wins
    if (e.start > at) parts.push({ text: points.slice(at, e.start).join("") });
    parts.push({ text: points.slice(e.start, e.end + 1).join(""), emote: e.id });
    at = e.end + 1;
  }
  if (at < points.length) parts.push({ text: points.slice(at).join("") });
  return parts;
}

const PALETTE = ["#e05d5d", "#d9822b", "#c9a227", "#4caf50", "#2bb3a3", "#3d8bfd", "#8e6cf1", "#d55fb5"];

/** The author's colour: the one they chose (a plain #rrggbb only), else one of a palette by name. */
export function authorColour(r: ChatRecord): string {
  if (r.color && /^#[0-9a-fA-F]{6}$/.test(r.color)) return r.color;
  const name = r.login || r.author || "";
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length];
}
