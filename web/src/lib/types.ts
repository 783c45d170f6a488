export type JobStatus = "pending" | "starting" | "recording" | "uploading" | "completed" | "failed" | "canceled";

export const STATUSES: JobStatus[] = ["pending", "starting", "recording", "uploading", "completed", "failed", "canceled"];

export interface Seeding {
  state: string;
  peers: number;
  uploaded: number;
  ratio: number;
  announced?: boolean;
}

export interface Torrent {
  key: string;
  infohash_v1: string | null;
  infohash_v2: string | null;
  magnet: string;
  url: string;
  trackers: string[];
  web_seeds: string[];
  piece_size: number;
  seeding?: Seeding;
}

export interface Job {
  id: string;
  url: string;
  name: string;
  prefix: string;
  status: JobStatus;
  title: string | null;
  created_at: string;
  started_at: string | null;
  updated_at: string | null;
  heartbeat_at: string | null;
  finished_at: string | null;
  bytes: number;
  duration_s: number;
  stop_requested: boolean;
  error: { code: string; message: string } | null;
  recording: { key: string; size: number; sha256: string; url: string } | null;
  torrent: Torrent | null;
  milestones: Partial<Record<JobStatus, string>>;
  interruptions?: Interruption[];
  end_reason?: EndReason | null;
  last_media_at?: string | null;
  reconnect_window_s?: number | null;
  warnings?: string[];
}

export type EndReason = "stream_ended" | "stopped" | "stream_lost" | "recorder_lost" | "disk_full" | "forbidden_address";

/** A stretch where the stream delivered nothing; gap_s is null while the recorder still waits. */
export interface Interruption {
  at_s: number;
  gap_s: number | null;
  started_at: string;
}

export interface ServerInfo {
  version: string;
  tools: Record<string, string>;
  disk?: { free: number; total: number; reserve: number; floor: number };
  stall_timeout_s: number;
  reconnect_window_s: number;
}
