import { describe, expect, it } from "vitest";
import {
  endReasonText,
  formatBitrate,
  formatBytes,
  formatDuration,
  gapsSummary,
  heartbeatAge,
  mediaSilence,
  mediaText,
  qualityText,
  thumbnailSrc,
  validateName,
  validateUrl,
} from "./format";
import type { Job } from "./types";

describe("formatting", () => {
  it("shows sizes, durations and bitrates as a user reads them", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5.0 GiB");
    expect(formatDuration(3723.9)).toBe("01:02:03");
    expect(formatBitrate(250_000, 1)).toBe("2.00 Mbit/s");
    expect(formatBitrate(10_000, 1)).toBe("80 kbit/s");
    expect(formatBitrate(100, 0)).toBe("—");
  });

  it("flags a stale heartbeat", () => {
    const now = Date.parse("2026-11-24T10:00:30Z");
    expect(heartbeatAge("2026-11-24T10:00:28Z", now)).toEqual({ text: "2s ago", stale: false });
    expect(heartbeatAge("2026-11-24T09:59:00Z", now)).toEqual({ text: "1m ago", stale: true });
    expect(heartbeatAge(null, now)).toBeNull();
  });
});

describe("validation", () => {
  it("accepts stream URLs", () => {
    for (const u of ["https://example.com/live.m3u8", "http://10.0.0.2:8080/x", "rtmp://host/app/key"]) expect(validateUrl(u)).toBeNull();
  });
  it("explains what is wrong", () => {
    expect(validateUrl("")).toMatch(/Enter/);
    expect(validateUrl("-o /etc/passwd")).toMatch(/cannot begin with '-'/);
    expect(validateUrl("not a url")).toMatch(/does not look like a URL/);
    for (const u of ["twitch.tv/somebody", "youtube.com/@somebody"]) expect(validateUrl(u)).toBeNull();
    expect(validateUrl("ftp://host/x")).toMatch(/ftp is not supported/);
    expect(validateUrl("file:///etc/passwd")).toMatch(/file is not supported/);
    expect(validateName("../etc")).toMatch(/'\.\.'/);
    expect(validateName("a/b")).toMatch(/'\/'/);
    expect(validateName("fine name")).toBeNull();
  });
});

describe("gaps in a recording", () => {
  const job = (over: Partial<Job>) => ({ status: "recording", interruptions: [], ...over }) as unknown as Job;
  const now = Date.parse("2026-11-24T10:00:30Z");
  it("says when no data has arrived for a while, and that it is reconnecting", () => {
    expect(mediaSilence(job({ last_media_at: "2026-11-24T10:00:28Z" }), now)).toBeNull();
    expect(mediaSilence(job({ last_media_at: "2026-11-24T10:00:10Z" }), now)?.text).toBe("no data for 20 s");
    const waiting = job({
      last_media_at: "2026-11-24T10:00:10Z",
      interruptions: [{ at_s: 60, gap_s: null, started_at: "2026-11-24T10:00:10Z" }],
    });
    expect(mediaSilence(waiting, now)).toEqual({ text: "no data for 20 s, reconnecting…", reconnecting: true });
    expect(mediaSilence(job({ status: "completed", last_media_at: "2026-11-24T10:00:10Z" }), now)).toBeNull();
  });
  it("sums the gaps and explains the end", () => {
    const done = job({
      interruptions: [
        { at_s: 10, gap_s: 9.5, started_at: "a" },
        { at_s: 30, gap_s: 2.5, started_at: "b" },
      ],
    });
    expect(gapsSummary(done)).toBe("2 gaps, 12.0 s missing");
    expect(gapsSummary(job({}))).toBeNull();
    expect(endReasonText("stream_lost")).toMatch(/did not come back/);
  });
});

describe("the library", () => {
  it("says what was asked and what was recorded", () => {
    expect(qualityText(null)).toBe("best (default)");
    expect(qualityText("720p")).toBe("720p or lower");
    expect(qualityText("bv*+ba")).toBe("bv*+ba");
    expect(mediaText({ width: 1280, height: 720, video_codec: "h264", audio_codec: "aac", fps: 29.97, bitrate: 2_100_000 })).toBe(
      "1280×720 h264 29.97 fps + aac · 2.1 Mb/s",
    );
    expect(mediaText({ width: null, height: null, video_codec: null, audio_codec: "opus", fps: null, bitrate: 0 })).toBe("audio opus");
  });

  it("renews a live preview every 30 s and keeps a poster's address", () => {
    const job = { id: "01J", thumbnail: { key: "previews/01J.jpg", url: "http://h/api/v1/jobs/01J/thumbnail?exp=9&sig=ab", live: true } } as Job;
    const a = thumbnailSrc(job, 60_000);
    expect(a).toBe("/api/v1/jobs/01J/thumbnail?exp=9&sig=ab&t=2");
    expect(thumbnailSrc(job, 89_000)).toBe(a);
    expect(thumbnailSrc(job, 90_000)).not.toBe(a);
    const poster = { ...job, thumbnail: { key: "x.jpg", url: "http://h/api/v1/jobs/01J/thumbnail", live: false } } as Job;
    expect(thumbnailSrc(poster, 60_000)).toBe("/api/v1/jobs/01J/thumbnail");
    expect(thumbnailSrc({ ...job, thumbnail: null } as Job, 0)).toBeNull();
  });
});
