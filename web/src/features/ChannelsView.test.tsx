import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { ChannelsView } from "./ChannelsView";
import { AddChannelDialog, EditChannelDialog } from "./AddChannelDialog";
import { ApiError } from "@/lib/api";
import type { Channel, Job } from "@/lib/types";
import { testJob } from "@/test/jobs";

afterEach(cleanup);

const NOW = Date.parse("2026-11-26T20:00:00Z");

function channel(over: Partial<Channel> = {}): Channel {
  return {
    id: "01CHAN",
    url: "https://example.com/show/live",
    name: "The Show",
    prefix: "",
    name_format: "{channel} {date:%Y-%m-%d %H%M}",
    format: null,
    poll_interval_s: 120,
    enabled: true,
    created_at: "2026-11-26T19:00:00Z",
    updated_at: null,
    state: "offline",
    last_check_at: "2026-11-26T19:59:48Z",
    next_check_at: "2026-11-26T20:01:48Z",
    last_live_at: null,
    scheduled_start: null,
    last_error: null,
    last_result: null,
    failures: 0,
    active_job_id: null,
    last_job_id: null,
    skip_until_offline: false,
    ...over,
  };
}

const job = testJob;

function view(channels: Channel[], jobs: Job[] = []) {
  const handlers = {
    onOpenJob: vi.fn(),
    onPause: vi.fn().mockResolvedValue(undefined),
    onCheck: vi.fn().mockResolvedValue(undefined),
    onRemove: vi.fn().mockResolvedValue(undefined),
    onEdit: vi.fn().mockResolvedValue(undefined),
  };
  render(<ChannelsView channels={channels} jobs={jobs} now={NOW} {...handlers} />);
  return handlers;
}

describe("Channels view", () => {
  it("shows each channel's state, when it was checked and its recordings", () => {
    const { onOpenJob } = view(
      [channel({ state: "recording", active_job_id: "01B" })],
      [job("01B", { status: "recording" }), job("01A"), job("01X", { channel_id: "01OTHER" })],
    );
    const card = screen.getByTestId("channel-card");
    expect(within(card).getByTestId("channel-state").dataset.state).toBe("recording");
    expect(within(card).getByTestId("channel-checked").textContent).toBe("every 2 min · checked 12 s ago · next in 2 min");
    const recordings = within(card).getAllByTestId("channel-job");
    expect(recordings.map((r) => r.dataset.jobId)).toEqual(["01B", "01A"]);
    fireEvent.click(recordings[1]);
    expect(onOpenJob).toHaveBeenCalledWith("01A");
  });

  it("says why a check failed, and that a paused channel is paused", () => {
    view([
      channel({ id: "01E", state: "error", last_error: { code: "probe_timeout", message: "yt-dlp did not answer within 30 s" } }),
      channel({ id: "01P", url: "https://example.com/p", enabled: false }),
    ]);
    const [failing, paused] = screen.getAllByTestId("channel-card");
    expect(within(failing).getByTestId("channel-error-text").textContent).toMatch(/did not answer/);
    expect(within(paused).getByTestId("channel-state").textContent).toBe("paused");
    expect(within(paused).getByTestId("pause-channel").textContent).toMatch(/Resume/);
  });

  it("pauses, checks and removes after asking", async () => {
    const { onPause, onCheck, onRemove } = view([channel()]);
    fireEvent.click(screen.getByTestId("pause-channel"));
    await waitFor(() => expect(onPause).toHaveBeenCalledWith("01CHAN", false));
    fireEvent.click(screen.getByTestId("check-channel"));
    await waitFor(() => expect(onCheck).toHaveBeenCalledWith("01CHAN"));
    fireEvent.click(screen.getByTestId("remove-channel"));
    expect(onRemove).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId("confirm-remove"));
    await waitFor(() => expect(onRemove).toHaveBeenCalledWith("01CHAN"));
  });

  it("invites to add a channel when there is none", () => {
    view([]);
    expect(screen.getByTestId("channels-empty").textContent).toMatch(/every time it goes live/);
  });
});

describe("Add channel dialog", () => {
  it("checks the URL inline, then sends the interval chosen", async () => {
    const added = channel();
    const add = vi.fn().mockResolvedValue(added);
    const onAdded = vi.fn();
    render(<AddChannelDialog add={add} onAdded={onAdded} />);
    fireEvent.click(screen.getByTestId("add-channel"));
    const url = screen.getByLabelText("Channel URL");
    fireEvent.change(url, { target: { value: "-o/etc/passwd" } });
    fireEvent.submit(url.closest("form")!);
    expect((await screen.findByTestId("channel-error")).textContent).toMatch(/cannot begin with '-'/);
    expect(add).not.toHaveBeenCalled();
    fireEvent.change(url, { target: { value: "https://example.com/show/live" } });
    fireEvent.change(screen.getByLabelText("Check"), { target: { value: "300" } });
    fireEvent.submit(url.closest("form")!);
    await waitFor(() => expect(onAdded).toHaveBeenCalledWith(added));
    expect(add).toHaveBeenCalledWith({ url: "https://example.com/show/live", name: undefined, prefix: undefined, poll_interval_s: 300 });
  });

  it("shows the name a recording would get as the naming format is typed, and the server's objection", async () => {
    const preview = vi.fn(async (format: string, name: string) => {
      if (format.includes("{nope}")) throw new ApiError(400, "invalid_body", "name_format knows {channel}, {title} and {date:%Y-%m-%d %H%M}, not {nope}");
      return { name: format.replace("{channel}", name).replace("{title}", "Title of the stream") };
    });
    render(<AddChannelDialog add={vi.fn()} onAdded={vi.fn()} preview={preview} />);
    fireEvent.click(screen.getByTestId("add-channel"));
    fireEvent.change(screen.getByLabelText("Name (optional)"), { target: { value: "Late news" } });
    fireEvent.change(screen.getByTestId("name-format"), { target: { value: "{channel} - {title}" } });
    await waitFor(() => expect(screen.getByTestId("name-preview").textContent).toBe("A recording starting now: Late news - Title of the stream"));
    fireEvent.change(screen.getByTestId("name-format"), { target: { value: "{nope}" } });
    await waitFor(() => expect(screen.getByTestId("name-preview").textContent).toMatch(/not \{nope\}/));
  });
});

describe("Edit channel dialog", () => {
  it("sends only what changed, and keeps an interval that is none of the choices", async () => {
    const save = vi.fn().mockResolvedValue(undefined);
    render(<EditChannelDialog channel={channel({ poll_interval_s: 45 })} save={save} preview={async () => ({ name: "x" })} />);
    fireEvent.click(screen.getByTestId("edit-channel"));
    expect((screen.getByLabelText("Channel URL") as HTMLInputElement).readOnly).toBe(true);
    expect((screen.getByTestId("channel-interval") as HTMLSelectElement).value).toBe("45");
    fireEvent.change(screen.getByTestId("edit-channel-name"), { target: { value: "The Late Show" } });
    fireEvent.change(screen.getByTestId("quality"), { target: { value: "720p" } });
    fireEvent.submit(screen.getByTestId("edit-channel-name").closest("form")!);
    await waitFor(() => expect(save).toHaveBeenCalledWith({ name: "The Late Show", format: "720p" }));
  });

  it("shows the server's refusal", async () => {
    const add = vi.fn().mockRejectedValue(new ApiError(409, "conflict", "channel 01CHAN already watches https://example.com/show/live"));
    render(<AddChannelDialog add={add} onAdded={vi.fn()} />);
    fireEvent.click(screen.getByTestId("add-channel"));
    const url = screen.getByLabelText("Channel URL");
    fireEvent.change(url, { target: { value: "https://example.com/show/live" } });
    fireEvent.submit(url.closest("form")!);
    expect((await screen.findByTestId("channel-error")).textContent).toMatch(/already watches/);
  });
});
