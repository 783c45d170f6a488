import { describe, expect, it } from "vitest";
import { endReasonText, formatBitrate, formatBytes, formatDuration, gapsSummary, heartbeatAge, mediaSilence, validateName, validateUrl } from "./format";
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
