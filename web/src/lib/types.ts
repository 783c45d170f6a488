export type JobStatus =
  | "pending"
  | "waiting"
  | "starting"
  | "recording"
  | "uploading"
  | "completed"
  | "failed"
  | "canceled";

export const STATUSES: JobStatus[] = ["pending", "waiting", "starting", "recording", "uploading", "completed", "failed", "canceled"];

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
  /** `detail`: the tool's own words, whole (the message is the short reason). */
  error: { code: string; message: string; detail?: string } | null;
  recording: { key: string; size: number; sha256: string; url: string } | null;
  torrent: Torrent | null;
  milestones: Partial<Record<JobStatus, string>>;
  interruptions?: Interruption[];
  /** Advertising left out of the recording: where it fell, and how long it was. */
  ad_breaks?: { at_s: number; duration_s: number }[];
  /** Advertising is recorded as the stream shows it. */
  keep_ads?: boolean;
  end_reason?: EndReason | null;
  last_media_at?: string | null;
  reconnect_window_s?: number | null;
  warnings?: string[];
  /** The channel whose live session this job records. */
  channel_id?: string | null;
  /** Waiting for the stream to go live: until when, the next check, and what the last one found. */
  wait_until?: string | null;
  next_check_at?: string | null;
  scheduled_start?: string | null;
  live_checks?: number;
  waiting_reason?: string | null;
  /** The quality asked for: a preset or a yt-dlp selector; null: the server's default. */
  format?: string | null;
  /** What was recorded, measured on the stored file. */
  media?: Media | null;
  /** The poster frame of a stored recording, or while it records a preview renewed every ~30 s (`live`). */
  thumbnail?: { key: string; url: string; live: boolean } | null;
  /** Kept by retention whatever its age or the storage budget. */
  pinned?: boolean;
  /** Retention deleted the recording's files then; the job stays. */
  recording_deleted_at?: string | null;
  /** The stream's titles while it recorded: the first at 0 s, then each change where it was seen. */
  titles?: { at_s: number; title: string }[];
  clips?: Clip[];
  /** HLS of everything recorded so far (signed when the server has a token); null before anything is recorded. */
  live_url?: string | null;
  /** The live chat recorded beside the video; null when there is none. */
  chat?: ChatLog | null;
}

export interface ChatLog {
  source: string;
  state: "recording" | "stored" | "failed";
  messages: number;
  bytes: number;
  url: string | null;
  error: { code: string; message: string } | null;
}

/** One line of a chat file: a message, or an event that changed what viewers saw. */
export interface ChatRecord {
  type: "message" | "delete" | "clear" | "notice" | "disconnected" | "connected" | string;
  at_s: number;
  at: string;
  id?: string | null;
  author?: string;
  login?: string | null;
  color?: string | null;
  badges?: string[];
  /** Ranges in code points of the text, inclusive. */
  emotes?: { id: string; start: number; end: number }[];
  text?: string | null;
  action?: boolean;
  bits?: number;
  paid?: string;
  kind?: string;
  system_text?: string;
  target_id?: string | null;
  reason?: string;
  in_gap?: boolean;
}

/** A part of a recording cut out as a file of its own. A stream copy begins on a keyframe: the cut bounds say where. */
export interface Clip {
  id: string;
  name: string;
  start_s: number;
  end_s: number;
  status: "cutting" | "ready" | "failed";
  cut_start_s: number | null;
  cut_end_s: number | null;
  size: number;
  sha256: string | null;
  url: string | null;
  error: { code: string; message: string } | null;
  created_at: string;
  /** Its slice of the recording's chat (at_s from the clip's start). */
  chat?: { messages: number; bytes: number; key: string; url: string | null } | null;
}

export interface Media {
  width: number | null;
  height: number | null;
  video_codec: string | null;
  audio_codec: string | null;
  fps: number | null;
  bitrate: number;
}

export const QUALITY_PRESETS = [
  { value: "best", label: "Best available" },
  { value: "1080p", label: "1080p or lower" },
  { value: "720p", label: "720p or lower" },
  { value: "480p", label: "480p or lower" },
  { value: "audio", label: "Audio only" },
] as const;

export type ChannelState = "unknown" | "offline" | "upcoming" | "live" | "recording" | "error";

export interface Channel {
  id: string;
  url: string;
  name: string;
  prefix: string;
  /** Each recording's name: {channel}, {title}, {date:%Y-%m-%d %H%M}. */
  name_format: string;
  /** Its recordings' quality; null: the server's default. */
  format: string | null;
  poll_interval_s: number;
  enabled: boolean;
  chat?: boolean;
  created_at: string;
  updated_at: string | null;
  state: ChannelState;
  last_check_at: string | null;
  next_check_at: string | null;
  last_live_at: string | null;
  scheduled_start: string | null;
  last_error: { code: string; message: string } | null;
  /** What the last check found, in words. */
  last_result: string | null;
  failures: number;
  active_job_id: string | null;
  last_job_id: string | null;
  skip_until_offline: boolean;
}

export interface ChannelRequest {
  url?: string;
  name?: string;
  prefix?: string;
  name_format?: string;
  format?: string;
  poll_interval_s?: number;
  enabled?: boolean;
  chat?: boolean;
}

export type EndReason =
  | "stream_ended"
  | "stopped"
  | "stream_lost"
  | "recorder_lost"
  | "disk_full"
  | "forbidden_address"
  | "recording_overrun"
  | "recording_failed";

/** A stretch where the stream delivered nothing; gap_s is null while the recorder still waits. */
export interface Interruption {
  at_s: number;
  gap_s: number | null;
  started_at: string;
}

/** A domain's stored cookies, as the server shows them: never their content. */
export interface CookieSummary {
  domain: string;
  count: number;
  expires_at: string | null;
  /** Why recordings from this domain would not use these cookies, when they would not. */
  warning?: string;
}

export type WebhookEvent = "job.recording" | "job.completed" | "job.failed" | "channel.live";
export type WebhookFormat = "json" | "discord" | "ntfy";

/** One attempt at telling a webhook of an event, as the outbox keeps it. */
export interface Delivery {
  id: string;
  event: string;
  state: "pending" | "delivered" | "failed";
  attempts: number;
  created_at: string;
  next_attempt_at: string | null;
  delivered_at: string | null;
  last_status: number | null;
  last_error: string | null;
}

export interface Webhook {
  id: string;
  url: string;
  events: WebhookEvent[];
  format: WebhookFormat;
  signed: boolean;
  created_at: string;
  deliveries?: Delivery[];
}

export interface WebhookRequest {
  url: string;
  events?: WebhookEvent[];
  format?: WebhookFormat;
  secret?: string;
}

/** How many jobs there are, by status (GET /api/v1/stats). */
export interface Stats {
  jobs: { total: number; by_status: Partial<Record<JobStatus, number>> };
}

export interface Storage {
  retention_days: number;
  budget: number;
  recordings_bytes: number | null;
  pinned_bytes?: number;
  recordings?: number;
  /** Why the recordings still exceed the budget: retention spares what is young or a channel's newest. */
  warning?: string;
}

export interface ServerInfo {
  version: string;
  /** "embedded" (SQLite, a local directory) or "aws". */
  backend?: string;
  tools: Record<string, string>;
  disk?: { free: number; total: number; reserve: number; floor: number };
  /** What the recordings take, from the last retention pass (null before the first), and the policy. */
  storage?: Storage;
  stall_timeout_s: number;
  reconnect_window_s: number;
  /** What the operator must fix (a stale yt-dlp, an old ffmpeg), each saying how. */
  warnings?: string[];
}

export interface PlannedDeletion {
  id: string;
  name: string;
  bytes: number;
  reason: string;
}

/** GET /api/v1/retention: what the next pass will delete, as of one interval from now. */
export interface RetentionPreview {
  active: boolean;
  retention_days: number;
  budget: number;
  min_age_s: number;
  interval_s: number;
  as_of: string;
  deletions: PlannedDeletion[];
  stored_bytes?: number;
  recordings?: number;
  warning?: string;
}

export interface Setting {
  key: string;
  env: string;
  flag: string;
  type: string;
  help: string;
  default: string;
  secret: boolean;
  value: string;
  source: string;
}

export interface SettingsReport {
  settings: Setting[];
  file: string | null;
}
