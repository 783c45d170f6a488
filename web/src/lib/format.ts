import { api } from "./api";
import { QUALITY_PRESETS, type Channel, type EndReason, type Job, type JobStatus, type Media, type Storage } from "./types";

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

export function formatBitrate(bytes: number, seconds: number): string {
  if (seconds <= 0.05 || bytes <= 0) return "—";
  const bits = (bytes * 8) / seconds;
  return bits >= 1e6 ? `${(bits / 1e6).toFixed(2)} Mbit/s` : `${Math.round(bits / 1e3)} kbit/s`;
}

// A heartbeat older than this is shown as stale (the server recovers it at 30 s by default).
export const STALE_AFTER_S = 15;

export function heartbeatAge(iso: string | null, now: number): { text: string; stale: boolean } | null {
  if (!iso) return null;
  const age = Math.max(0, (now - Date.parse(iso)) / 1000);
  const text = age < 60 ? `${Math.floor(age)}s ago` : `${Math.floor(age / 60)}m ago`;
  return { text, stale: age > STALE_AFTER_S };
}

export function formatTime(iso: string | null): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString();
}

// The same rules the server applies first (it also checks where the host points).
export function validateUrl(raw: string): string | null {
  const url = raw.trim();
  if (!url) return "Enter the address of a live stream.";
  if (url.startsWith("-")) return "A URL cannot begin with '-'.";
  if (url.length > 2048) return "That URL is longer than 2048 characters.";
  let parsed: URL;
  try {
    // Without a scheme an address is taken as https, as the server does ("twitch.tv/somebody").
    parsed = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`);
  } catch {
    return "That does not look like a URL (e.g. https://example.com/live.m3u8).";
  }
  if (!["http:", "https:", "rtmp:", "rtmps:"].includes(parsed.protocol))
    return `${parsed.protocol.replace(":", "")} is not supported; use http, https, rtmp or rtmps.`;
  if (!parsed.hostname) return "The URL has no host.";
  return null;
}

export function validateName(name: string): string | null {
  if (name.includes("..")) return "A name cannot contain '..'.";
  if (/[\/\\]/.test(name)) return "A name cannot contain '/' or '\\'.";
  if (/[\x00-\x1f\x7f]/.test(name)) return "A name cannot contain control characters.";
  if (name.length > 120) return "A name is at most 120 characters.";
  return null;
}

export const ACTIVE: JobStatus[] = ["pending", "waiting", "starting", "recording", "uploading"];
export const isActive = (s: JobStatus) => ACTIVE.includes(s);

/** Seconds without new media while recording, once it is worth telling (5 s and more). */
export function mediaSilence(job: Job, now: number): { text: string; reconnecting: boolean } | null {
  if (job.status !== "recording" || !job.last_media_at) return null;
  const seconds = Math.floor((now - Date.parse(job.last_media_at)) / 1000);
  if (!(seconds >= 5)) return null;
  const open = job.interruptions?.length ? job.interruptions[job.interruptions.length - 1].gap_s === null : false;
  return { text: `no data for ${seconds} s${open ? ", reconnecting…" : ""}`, reconnecting: open };
}

const END_REASONS: Record<EndReason, string> = {
  stream_ended: "The stream ended.",
  stopped: "Stopped on request.",
  stream_lost: "The stream dropped and did not come back within the reconnect window.",
  forbidden_address: "The stream led to an address chronicle may not connect to; nothing was kept.",
  recorder_lost: "The recorder was lost; what it had recorded was kept.",
  disk_full: "The disk was nearly full; what fit was stored.",
  recording_overrun: "The stream gave more media than time allows (it repeats itself); what was recorded was kept.",
  recording_failed: "The recorder could not go on; see the error.",
};

export function endReasonText(reason: EndReason | null | undefined): string | null {
  return reason ? END_REASONS[reason] ?? reason : null;
}

/** "2 gaps, 12.4 s missing" */
export function gapsSummary(job: Job): string | null {
  const closed = (job.interruptions ?? []).filter((i) => i.gap_s !== null);
  if (!closed.length) return null;
  const missing = closed.reduce((sum, i) => sum + (i.gap_s ?? 0), 0);
  return `${closed.length} ${closed.length === 1 ? "gap" : "gaps"}, ${missing.toFixed(1)} s missing`;
}

/** "in 12 s", "in 3 min", "4 min ago": a moment the server gave, relative to now. */
export function relativeTime(iso: string | null | undefined, now: number): string {
  if (!iso) return "never";
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (seconds === 0) return "just now";
  const size = Math.abs(seconds);
  const text = size < 60 ? `${size} s` : size < 3600 ? `${Math.round(size / 60)} min` : `${(size / 3600).toFixed(1)} h`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

/** "every 2 min" */
export function intervalText(seconds: number): string {
  if (seconds < 60) return `every ${seconds} s`;
  if (seconds < 3600) return `every ${+(seconds / 60).toFixed(1)} min`;
  return `every ${+(seconds / 3600).toFixed(1)} h`;
}

/** What a waiting job is waiting for: the next check, and what the last one found. */
export function waitingText(job: Job, now: number): string | null {
  if (job.status !== "waiting") return null;
  const parts = [job.scheduled_start ? `announced for ${formatTime(job.scheduled_start)}` : "waiting for the stream to go live"];
  if (job.next_check_at) parts.push(`next check ${relativeTime(job.next_check_at, now)}`);
  if (job.wait_until) parts.push(`gives up ${relativeTime(job.wait_until, now)}`);
  return parts.join(" · ");
}

/** A channel's state as shown: a paused channel says so whatever it last found. */
export function channelState(channel: Channel): Channel["state"] | "paused" {
  return channel.enabled ? channel.state : "paused";
}

/** The choices of how long a new recording waits for its stream. */
export const WAIT_CHOICES: { label: string; seconds: number }[] = [
  { label: "15 minutes", seconds: 900 },
  { label: "1 hour", seconds: 3600 },
  { label: "2 hours", seconds: 7200 },
  { label: "6 hours", seconds: 21600 },
  { label: "1 day", seconds: 86400 },
];

/** "1280×720 h264 25 fps + aac · 2.1 Mb/s" for what a recording holds. */
export function mediaText(media: Media | null | undefined): string | null {
  if (!media) return null;
  const parts: string[] = [];
  if (media.height) {
    let video = `${media.width}×${media.height}`;
    if (media.video_codec) video += ` ${media.video_codec}`;
    if (media.fps) video += ` ${Number(media.fps.toFixed(2))} fps`;
    parts.push(video);
  }
  if (media.audio_codec) parts.push(media.height ? `+ ${media.audio_codec}` : `audio ${media.audio_codec}`);
  let text = parts.join(" ");
  if (media.bitrate > 0) text += ` · ${(media.bitrate / 1e6).toFixed(1)} Mb/s`;
  return text || null;
}

/** What a job asked for, in words. */
export function qualityText(format: string | null | undefined): string {
  if (!format) return "best (default)";
  return QUALITY_PRESETS.find((p) => p.value === format)?.label ?? format;
}

/** Where a job's still is, renewed every 30 s while it is a live preview. */
export function thumbnailSrc(job: Job, now: number): string | null {
  if (!job.thumbnail) return null;
  return api.thumbnailUrl(job.id, job.thumbnail.url, job.thumbnail.live ? Math.floor(now / 30000) : undefined);
}

/** "2.1 GiB in 14 recordings of a 50.0 GiB budget" */
export function storageText(storage: Storage): string | null {
  if (storage.recordings_bytes === null) return storage.budget ? `budget ${formatBytes(storage.budget)}` : null;
  let text = `recordings ${formatBytes(storage.recordings_bytes)}`;
  if (storage.budget) text += ` of ${formatBytes(storage.budget)}`;
  return text;
}

export function retentionTitle(storage: Storage): string {
  const parts: string[] = [];
  if (storage.retention_days) parts.push(`recordings older than ${storage.retention_days} days are deleted`);
  if (storage.budget) parts.push(`the oldest are deleted while recordings take more than ${formatBytes(storage.budget)}`);
  if (storage.pinned_bytes) parts.push(`${formatBytes(storage.pinned_bytes)} pinned (kept)`);
  return parts.length ? parts.join("; ") : "recordings are kept until deleted";
}

/** A status as a person reads it: a local disk is not uploaded to. */
export function statusLabel(status: JobStatus | "all" | "active", backend: string | null): string {
  return status === "uploading" && backend === "embedded" ? "storing" : status;
}

/** A time of day, to the second ("16:40:12"). */
export function formatClock(ms: number | null): string {
  if (ms === null) return "";
  return new Date(ms).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}
