import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { NewRecordingDialog } from "./NewRecordingDialog";
import { ApiError } from "@/lib/api";
import type { Job } from "@/lib/types";

afterEach(cleanup);

function open(submit = vi.fn()) {
  const onSubmitted = vi.fn();
  render(<NewRecordingDialog submit={submit} onSubmitted={onSubmitted} />);
  fireEvent.click(screen.getByTestId("new-recording"));
  return { submit, onSubmitted, url: screen.getByLabelText("Stream URL") as HTMLInputElement };
}

describe("New recording modal", () => {
  it("refuses an invalid URL inline without calling the server", async () => {
    const { submit, url } = open();
    fireEvent.change(url, { target: { value: "ftp://example.com/x" } });
    fireEvent.submit(url.closest("form")!);
    expect((await screen.findByTestId("form-error")).textContent).toMatch(/ftp is not supported/);
    expect(url.getAttribute("aria-invalid")).toBe("true");
    expect(submit).not.toHaveBeenCalled();
  });

  it("shows the server's error inline", async () => {
    const submit = vi.fn().mockRejectedValue(new ApiError(400, "forbidden_address", "'10.0.0.1' resolves to a private-network address"));
    const { url } = open(submit);
    fireEvent.change(url, { target: { value: "http://10.0.0.1/live.m3u8" } });
    fireEvent.submit(url.closest("form")!);
    expect((await screen.findByTestId("form-error")).textContent).toMatch(/private-network/);
  });

  it("submits with Enter and closes", async () => {
    const job = { id: "01ABC" } as Job;
    const submit = vi.fn().mockResolvedValue(job);
    const { url, onSubmitted } = open(submit);
    fireEvent.change(url, { target: { value: " https://example.com/live.m3u8 " } });
    fireEvent.change(screen.getByLabelText("Name (optional)"), { target: { value: "news" } });
    fireEvent.submit(url.closest("form")!);
    await waitFor(() => expect(onSubmitted).toHaveBeenCalledWith(job));
    expect(submit).toHaveBeenCalledWith({ url: "https://example.com/live.m3u8", name: "news", prefix: undefined });
    await waitFor(() => expect(screen.queryByLabelText("Stream URL")).toBeNull());
  });

  it("asks the server to wait for a stream that has not started", async () => {
    const submit = vi.fn().mockResolvedValue({ id: "01W" } as Job);
    const { url } = open(submit);
    fireEvent.change(url, { target: { value: "https://example.com/soon.m3u8" } });
    fireEvent.click(screen.getByTestId("wait-for-live"));
    fireEvent.change(screen.getByTestId("wait-seconds"), { target: { value: "7200" } });
    fireEvent.submit(url.closest("form")!);
    await waitFor(() => expect(submit).toHaveBeenCalled());
    expect(submit).toHaveBeenCalledWith({ url: "https://example.com/soon.m3u8", name: undefined, prefix: undefined, wait_for_live_s: 7200 });
  });

  it("asks for a quality: a preset, or a yt-dlp selector for experts", async () => {
    const submit = vi.fn().mockResolvedValue({ id: "01Q" } as Job);
    const { url } = open(submit);
    fireEvent.change(url, { target: { value: "https://example.com/master.m3u8" } });
    fireEvent.change(screen.getByTestId("quality"), { target: { value: "720p" } });
    fireEvent.submit(url.closest("form")!);
    await waitFor(() => expect(submit).toHaveBeenCalled());
    expect(submit.mock.calls[0][0]).toMatchObject({ format: "720p" });

    fireEvent.click(screen.getByTestId("new-recording"));
    const again = screen.getByLabelText("Stream URL");
    fireEvent.change(again, { target: { value: "https://example.com/master.m3u8" } });
    fireEvent.change(screen.getByTestId("quality"), { target: { value: "custom" } });
    fireEvent.change(screen.getByTestId("quality-selector"), { target: { value: "bv*[fps>30]+ba" } });
    fireEvent.submit(again.closest("form")!);
    await waitFor(() => expect(submit).toHaveBeenCalledTimes(2));
    expect(submit.mock.calls[1][0]).toMatchObject({ format: "bv*[fps>30]+ba" });
  });
});
