import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { WebhooksView } from "./WebhooksView";
import { api } from "@/lib/api";
import type { Webhook } from "@/lib/types";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const guarded = <T,>(action: () => Promise<T>) => action();

const hook: Webhook = {
  id: "01JWEBHOOK0000000000000000",
  url: "https://ntfy.sh/chronicle-news",
  events: ["job.completed", "job.failed"],
  format: "ntfy",
  signed: false,
  created_at: "2026-11-20T10:00:00.000Z",
};

describe("Webhooks view", () => {
  it("adds a webhook with the chosen events, format and secret", async () => {
    const list = vi
      .spyOn(api, "listWebhooks")
      .mockResolvedValueOnce({ webhooks: [] })
      .mockResolvedValue({ webhooks: [{ ...hook, format: "json", signed: true }] });
    const add = vi.spyOn(api, "addWebhook").mockResolvedValue({ ...hook, format: "json", signed: true });
    render(<WebhooksView guarded={guarded} />);
    expect(await screen.findByTestId("webhooks-empty")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("URL"), { target: { value: " https://ntfy.sh/chronicle-news " } });
    fireEvent.click(screen.getByTestId("event-job.recording"));
    fireEvent.click(screen.getByTestId("event-channel.live"));
    fireEvent.change(screen.getByLabelText("Secret (optional)"), { target: { value: "k3y" } });
    fireEvent.submit(screen.getByTestId("add-webhook").closest("form")!);
    await waitFor(() =>
      expect(add).toHaveBeenCalledWith({
        url: "https://ntfy.sh/chronicle-news",
        format: "json",
        events: ["job.completed", "job.failed"],
        secret: "k3y",
      }),
    );
    await waitFor(() => expect(list).toHaveBeenCalledTimes(2));
    const row = await screen.findByTestId("webhook-row");
    expect(row.textContent).toMatch(/signed/);
    expect((await screen.findByTestId("webhook-notice")).textContent).toMatch(/ntfy\.sh receives it/);
  });

  it("sends no secret for Discord or ntfy, and says what is missing", async () => {
    vi.spyOn(api, "listWebhooks").mockResolvedValue({ webhooks: [] });
    const add = vi.spyOn(api, "addWebhook").mockResolvedValue(hook);
    render(<WebhooksView guarded={guarded} />);
    fireEvent.submit(screen.getByTestId("add-webhook").closest("form")!);
    expect((await screen.findByTestId("webhook-error")).textContent).toMatch(/URL/);
    fireEvent.change(screen.getByLabelText("URL"), { target: { value: "https://ntfy.sh/x" } });
    fireEvent.change(screen.getByLabelText("Format"), { target: { value: "ntfy" } });
    expect(screen.queryByLabelText("Secret (optional)")).toBeNull();
    for (const e of ["job.recording", "job.completed", "job.failed", "channel.live"]) fireEvent.click(screen.getByTestId(`event-${e}`));
    fireEvent.submit(screen.getByTestId("add-webhook").closest("form")!);
    expect((await screen.findByTestId("webhook-error")).textContent).toMatch(/at least one event/);
    fireEvent.click(screen.getByTestId("event-job.failed"));
    fireEvent.submit(screen.getByTestId("add-webhook").closest("form")!);
    await waitFor(() => expect(add).toHaveBeenCalledWith({ url: "https://ntfy.sh/x", format: "ntfy", events: ["job.failed"] }));
  });

  it("tests a webhook and shows its deliveries with what the receiver answered", async () => {
    vi.spyOn(api, "listWebhooks").mockResolvedValue({ webhooks: [hook] });
    const test = vi.spyOn(api, "testWebhook").mockResolvedValue({});
    vi.spyOn(api, "getWebhook").mockResolvedValue({
      ...hook,
      deliveries: [
        {
          id: "d2",
          event: "job.failed",
          state: "pending",
          attempts: 2,
          created_at: "2026-11-20T10:05:00.000Z",
          next_attempt_at: "2026-11-20T10:06:00.000Z",
          delivered_at: null,
          last_status: 503,
          last_error: "HTTP 503",
        },
        {
          id: "d1",
          event: "ping",
          state: "delivered",
          attempts: 1,
          created_at: "2026-11-20T10:01:00.000Z",
          next_attempt_at: null,
          delivered_at: "2026-11-20T10:01:01.000Z",
          last_status: 200,
          last_error: null,
        },
      ],
    });
    render(<WebhooksView guarded={guarded} />);
    fireEvent.click(await screen.findByTestId("test-webhook"));
    await waitFor(() => expect(test).toHaveBeenCalledWith(hook.id));
    const rows = await screen.findAllByTestId("delivery");
    expect(rows.map((r) => r.dataset.state)).toEqual(["pending", "delivered"]);
    expect(rows[0].textContent).toMatch(/attempt 2 failed: HTTP 503; next try/);
    expect(rows[1].textContent).toMatch(/delivered/);
  });
});
