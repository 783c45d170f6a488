import type { Job } from "@/lib/types";

/** A finished job of a channel, as the API lists it; `over` changes what a test needs. */
export function testJob(id: string, over: Partial<Job> = {}): Job {
  return {
    id,
    url: "https://example.com/show/live",
    name: `The Show ${id}`,
    prefix: "",
    status: "completed",
    title: null,
    created_at: "2026-11-26T19:00:00Z",
    started_at: null,
    updated_at: null,
    heartbeat_at: null,
    finished_at: null,
    bytes: 3 * 1024 * 1024,
    duration_s: 61,
    stop_requested: false,
    error: null,
    recording: null,
    torrent: null,
    milestones: {},
    channel_id: "01CHAN",
    ...over,
  };
}
