import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { RecordingPlayer, markersOf, positionText } from "./Player";
import type { Job } from "@/lib/types";
import { testJob } from "@/test/jobs";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const stored = {
  ...testJob("01M95W3V54ABCDEFGHJKMNPQRS", { name: "The Show" }),
  status: "completed",
  duration_s: 600,
  recording: { key: "the-show.mkv", size: 1000, sha256: "ab", url: "http://x/api/v1/jobs/01M95W3V54ABCDEFGHJKMNPQRS/recording" },
  interruptions: [{ at_s: 120, gap_s: 9.7, started_at: "2026-01-01T00:00:00Z" }],
  ad_breaks: [{ at_s: 300, duration_s: 30 }],
  titles: [
    { at_s: 0, title: "Opening" },
    { at_s: 450, title: "Q&A" },
  ],
  clips: [
    {
      id: "c0000abcd",
      name: "the goal",
      start_s: 61,
      end_s: 71,
      status: "ready",
      cut_start_s: 60.5,
      cut_end_s: 71.02,
      size: 2048,
      sha256: "cd",
      url: "http://x/api/v1/jobs/01M95W3V54ABCDEFGHJKMNPQRS/clips/c0000abcd/file?exp=1&sig=2",
      error: null,
      created_at: "2026-01-01T00:00:00Z",
    },
  ],
} as unknown as Job;

describe("the recording's player", () => {
  it("marks gaps, ad breaks and title changes in order", () => {
    expect(markersOf(stored).map((m) => [m.at_s, m.kind, m.label])).toEqual([
      [120, "gap", "No data for 9.7 s"],
      [300, "ad", "Ad break of 30.0 s left out"],
      [450, "title", "Title: Q&A"],
    ]);
    expect(positionText(3723.44)).toBe("1:02:03.4");
    expect(positionText(65)).toBe("1:05.0");
  });

  it("plays a stored recording's file and lists its clips with their real bounds and a signed download", () => {
    render(<RecordingPlayer job={stored} />);
    const player = screen.getByTestId("player") as HTMLVideoElement;
    expect(player.getAttribute("src")).toBe("/api/v1/jobs/01M95W3V54ABCDEFGHJKMNPQRS/recording");
    expect(player.dataset.mode).toBe("stored");
    expect(screen.getAllByTestId(/^marker-/)).toHaveLength(3);
    const row = screen.getByTestId("clip-row");
    expect(row.textContent).toContain("the goal");
    expect(row.textContent).toContain("1:00.5–1:11.0");
    expect(screen.getByTestId("clip-download").getAttribute("href")).toBe(
      "/api/v1/jobs/01M95W3V54ABCDEFGHJKMNPQRS/clips/c0000abcd/file?exp=1&sig=2",
    );
    expect(screen.queryByTestId("live-button")).toBeNull();
  });

  it("sends the in and out points it was given, and shows the server's objection", async () => {
    const fetch = vi.fn().mockResolvedValue(
      new Response(JSON.stringify({ error: { code: "invalid_body", message: "end_s (900.0) is past the end of the recording (600.0 s)" } }), {
        status: 400,
      }),
    );
    vi.stubGlobal("fetch", fetch);
    render(<RecordingPlayer job={stored} />);
    const player = screen.getByTestId("player") as HTMLVideoElement;
    const at = (t: number) => {
      Object.defineProperty(player, "currentTime", { value: t, configurable: true, writable: true });
      fireEvent.timeUpdate(player);
    };
    expect((screen.getByTestId("clip-make") as HTMLButtonElement).disabled).toBe(true);
    at(62.5);
    fireEvent.click(screen.getByTestId("clip-in"));
    at(75);
    fireEvent.click(screen.getByTestId("clip-out"));
    fireEvent.change(screen.getByLabelText("Clip name"), { target: { value: "  the save " } });
    fireEvent.click(screen.getByTestId("clip-make"));
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe("/api/v1/jobs/01M95W3V54ABCDEFGHJKMNPQRS/clips");
    expect(JSON.parse(init.body)).toEqual({ start_s: 62.5, end_s: 75, name: "the save" });
    await waitFor(() => expect(screen.getByTestId("clip-error").textContent).toContain("past the end of the recording"));
  });
});
