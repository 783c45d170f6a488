// The only module that knows the server's URLs.
import type {
  Channel,
  ChannelRequest,
  ChatRecord,
  Clip,
  CookieSummary,
  Job,
  RetentionPreview,
  ServerInfo,
  SettingsReport,
  Stats,
  Webhook,
  WebhookRequest,
} from "./types";

/** Jobs per page of the list; more are read as the list scrolls. */
export const PAGE_SIZE = 100;

const TOKEN_KEY = "chronicle.token";

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

export const token = {
  get: () => localStorage.getItem(TOKEN_KEY) ?? "",
  set: (t: string) => localStorage.setItem(TOKEN_KEY, t),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

// Whether the server answered the last request, and since when it has not: every view shows
// the same "cannot be reached" banner from this, whichever request noticed first.
type Reachability = { reachable: boolean; since: number };
let reachability: Reachability = { reachable: true, since: Date.now() };
const reachabilityListeners = new Set<(r: Reachability) => void>();
function noteReachable(reachable: boolean) {
  if (reachability.reachable === reachable) return;
  reachability = { reachable, since: Date.now() };
  for (const listener of reachabilityListeners) listener(reachability);
}
export function onReachability(listener: (r: Reachability) => void): () => void {
  reachabilityListeners.add(listener);
  listener(reachability);
  return () => reachabilityListeners.delete(listener);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const t = token.get();
  if (t) headers.Authorization = `Bearer ${t}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    noteReachable(false);
    throw new ApiError(0, "unreachable", "The chronicle server cannot be reached.");
  }
  // A proxy in front of a stopped server answers 502-504: as unreachable as no answer.
  noteReachable(res.status < 502 || res.status > 504);
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = data?.error;
    throw new ApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? `The server answered ${res.status}.`);
  }
  return data as T;
}

export const api = {
  listJobs: (q: { status?: string; q?: string; cursor?: string | null; limit?: number } = {}) => {
    const params = new URLSearchParams({ limit: String(q.limit ?? PAGE_SIZE) });
    if (q.status) params.set("status", q.status);
    if (q.q) params.set("q", q.q);
    if (q.cursor) params.set("cursor", q.cursor);
    return call<{ jobs: Job[]; next_cursor: string | null }>("GET", `/api/v1/jobs?${params}`);
  },
  stats: () => call<Stats>("GET", "/api/v1/stats"),
  retention: () => call<RetentionPreview>("GET", "/api/v1/retention"),
  settings: () => call<SettingsReport>("GET", "/api/v1/settings"),
  previewName: (name_format: string, name: string) =>
    call<{ name: string }>("POST", "/api/v1/channels/name_preview", { name_format, name }),
  listCookies: () => call<{ cookies: CookieSummary[] }>("GET", "/api/v1/cookies"),
  putCookies: (domain: string, cookies: string) =>
    call<CookieSummary>("PUT", `/api/v1/cookies/${encodeURIComponent(domain)}`, { cookies }),
  deleteCookies: (domain: string) => call<{ deleted: string }>("DELETE", `/api/v1/cookies/${encodeURIComponent(domain)}`),
  listWebhooks: () => call<{ webhooks: Webhook[] }>("GET", "/api/v1/webhooks"),
  getWebhook: (id: string) => call<Webhook>("GET", `/api/v1/webhooks/${encodeURIComponent(id)}`),
  addWebhook: (req: WebhookRequest) => call<Webhook>("POST", "/api/v1/webhooks", req),
  testWebhook: (id: string) => call<unknown>("POST", `/api/v1/webhooks/${encodeURIComponent(id)}/test`),
  removeWebhook: (id: string) => call<{ deleted: string }>("DELETE", `/api/v1/webhooks/${encodeURIComponent(id)}`),
  channelJobs: (channel: string, limit = 5) =>
    call<{ jobs: Job[]; next_cursor: string | null }>("GET", `/api/v1/jobs?channel=${encodeURIComponent(channel)}&limit=${limit}`),
  getJob: (id: string) => call<Job>("GET", `/api/v1/jobs/${encodeURIComponent(id)}`),
  submit: (req: SubmitRequest) => call<Job>("POST", "/api/v1/jobs", req),
  stop: (id: string) => call<Job>("POST", `/api/v1/jobs/${encodeURIComponent(id)}/stop`),
  remove: (id: string) => call<{ deleted: string }>("DELETE", `/api/v1/jobs/${encodeURIComponent(id)}`),
  pin: (id: string, pinned: boolean) => call<Job>("PATCH", `/api/v1/jobs/${encodeURIComponent(id)}`, { pinned }),
  info: () => call<ServerInfo>("GET", "/api/v1/info"),
  createClip: (id: string, req: { start_s: number; end_s: number; name?: string }) =>
    call<Clip>("POST", `/api/v1/jobs/${encodeURIComponent(id)}/clips`, req),
  removeClip: (id: string, clip: string) =>
    call<{ deleted: string }>("DELETE", `/api/v1/jobs/${encodeURIComponent(id)}/clips/${encodeURIComponent(clip)}`),
  listChannels: () => call<{ channels: Channel[] }>("GET", "/api/v1/channels"),
  addChannel: (req: ChannelRequest) => call<Channel>("POST", "/api/v1/channels", req),
  updateChannel: (id: string, req: ChannelRequest) => call<Channel>("PATCH", `/api/v1/channels/${encodeURIComponent(id)}`, req),
  removeChannel: (id: string) => call<{ deleted: string }>("DELETE", `/api/v1/channels/${encodeURIComponent(id)}`),
  checkChannel: (id: string) => call<Channel>("POST", `/api/v1/channels/${encodeURIComponent(id)}/check`),
  // Same-origin paths, with the signature the server put on the job's links when it has a token
  // (a plain link would need the token, which a download cannot send).
  liveUrl: (id: string, signed?: string) => `/api/v1/jobs/${encodeURIComponent(id)}/live.m3u8${signature(signed)}`,
  clipUrl: (id: string, clip: string, signed?: string) =>
    `/api/v1/jobs/${encodeURIComponent(id)}/clips/${encodeURIComponent(clip)}/file${signature(signed)}`,
  clipChatUrl: (id: string, clip: string, signed?: string) =>
    `/api/v1/jobs/${encodeURIComponent(id)}/clips/${encodeURIComponent(clip)}/chat${signature(signed)}`,
  chatUrl: (id: string, signed?: string) => `/api/v1/jobs/${encodeURIComponent(id)}/chat${signature(signed)}`,
  /** The chat's lines with from_s <= at_s < to_s (NDJSON: a line the browser cannot parse is left out). */
  chatWindow: async (id: string, from_s: number, to_s: number, signed?: string): Promise<ChatRecord[]> => {
    const base = api.chatUrl(id, signed);
    const path = `${base}${base.includes("?") ? "&" : "?"}from_s=${from_s}&to_s=${to_s}`;
    const headers: Record<string, string> = {};
    const t = token.get();
    if (t) headers.Authorization = `Bearer ${t}`;
    const res = await fetch(path, { headers });
    if (!res.ok) {
      const data = await res.json().catch(() => null);
      throw new ApiError(res.status, data?.error?.code ?? `http_${res.status}`, data?.error?.message ?? `The server answered ${res.status}.`);
    }
    const out: ChatRecord[] = [];
    for (const line of (await res.text()).split("\n")) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as ChatRecord);
      } catch {
        // a line cut short while it was being written: the next fetch has it whole
      }
    }
    return out;
  },
  recordingUrl: (id: string, signed?: string) => `/api/v1/jobs/${encodeURIComponent(id)}/recording${signature(signed)}`,
  torrentUrl: (id: string, signed?: string) => `/api/v1/jobs/${encodeURIComponent(id)}/torrent${signature(signed)}`,
  // `renew`: a live preview changes every ~30 s under the same URL; a new value asks for the new one.
  thumbnailUrl: (id: string, signed?: string, renew?: number) => {
    const query = signature(signed);
    const bust = renew === undefined ? "" : `${query ? "&" : "?"}t=${renew}`;
    return `/api/v1/jobs/${encodeURIComponent(id)}/thumbnail${query}${bust}`;
  },
};

function signature(url: string | undefined): string {
  if (!url) return "";
  try {
    return new URL(url, window.location.href).search;
  } catch {
    return "";
  }
}

export interface SubmitRequest {
  url: string;
  name?: string;
  prefix?: string;
  /** Wait this long for a stream that is not live yet. */
  wait_for_live_s?: number;
  /** A quality preset (QUALITY_PRESETS) or a yt-dlp format selector. */
  format?: string;
}

/**
 * connected: the event stream is open. polling: it is not, but the server answers the polls.
 * reconnecting: the server does not answer; what is shown is how things were when it last did.
 */
export type Connection = "connecting" | "connected" | "polling" | "reconnecting";

// Build-time setting: VITE_POLL_INTERVAL_MS=10000 npm run build
export const POLL_MS = Number(import.meta.env.VITE_POLL_INTERVAL_MS ?? 5000) || 5000;

// Live updates over SSE. While the stream is down the list is polled every `pollMs`, so the page
// never goes stale, and the stream is opened again: EventSource retries a dropped connection by
// itself, but gives up for good when an answer is not an event stream (a proxy's 502 while the
// server restarts), so a closed one is replaced.
export function subscribe(
  handlers: {
    onJob: (job: Job) => void;
    onDeleted: (id: string) => void;
    onResync: () => void;
    onChannel?: (channel: Channel) => void;
    onChannelDeleted?: (id: string) => void;
  },
  onConnection: (c: Connection) => void,
  pollMs = POLL_MS,
): () => void {
  let poll: ReturnType<typeof setInterval> | undefined;
  let reopen: ReturnType<typeof setTimeout> | undefined;
  let source: EventSource | undefined;
  let open = false;
  let stopped = false;
  const report = () => onConnection(open ? "connected" : !reachability.reachable ? "reconnecting" : poll ? "polling" : "connecting");
  const stopWatching = onReachability(() => report());
  const startPolling = () => {
    if (!poll) {
      poll = setInterval(handlers.onResync, pollMs);
      handlers.onResync(); // at once: whether the server itself is gone shows now, not a period later
    }
    report();
  };
  const stopPolling = () => {
    if (poll) clearInterval(poll);
    poll = undefined;
  };
  const connect = () => {
    if (stopped) return;
    // EventSource cannot send an Authorization header: the token goes as access_token.
    const t = token.get();
    const es = new EventSource(t ? `/api/v1/events?access_token=${encodeURIComponent(t)}` : "/api/v1/events");
    source = es;
    es.onopen = () => {
      open = true;
      stopPolling();
      noteReachable(true);
      report();
      handlers.onResync(); // catch up on anything missed while disconnected
    };
    es.onerror = () => {
      open = false;
      startPolling();
      if (es.readyState === EventSource.CLOSED && !reopen)
        reopen = setTimeout(() => {
          reopen = undefined;
          connect();
        }, pollMs);
    };
    es.addEventListener("job", (e) => handlers.onJob(JSON.parse((e as MessageEvent).data)));
    es.addEventListener("job_deleted", (e) => handlers.onDeleted(JSON.parse((e as MessageEvent).data).id));
    es.addEventListener("channel", (e) => handlers.onChannel?.(JSON.parse((e as MessageEvent).data)));
    es.addEventListener("channel_deleted", (e) =>
      handlers.onChannelDeleted?.(JSON.parse((e as MessageEvent).data).id),
    );
  };
  if (typeof EventSource === "undefined") {
    startPolling();
  } else {
    report();
    connect();
  }
  return () => {
    stopped = true;
    source?.close();
    if (reopen) clearTimeout(reopen);
    stopPolling();
    stopWatching();
  };
}
