// The only module that knows the server's URLs.
import type { Channel, ChannelRequest, CookieSummary, Job, ServerInfo, Stats, Webhook, WebhookRequest } from "./types";

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

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const t = token.get();
  if (t) headers.Authorization = `Bearer ${t}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "unreachable", "The chronicle server cannot be reached.");
  }
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
  listChannels: () => call<{ channels: Channel[] }>("GET", "/api/v1/channels"),
  addChannel: (req: ChannelRequest) => call<Channel>("POST", "/api/v1/channels", req),
  updateChannel: (id: string, req: ChannelRequest) => call<Channel>("PATCH", `/api/v1/channels/${encodeURIComponent(id)}`, req),
  removeChannel: (id: string) => call<{ deleted: string }>("DELETE", `/api/v1/channels/${encodeURIComponent(id)}`),
  checkChannel: (id: string) => call<Channel>("POST", `/api/v1/channels/${encodeURIComponent(id)}/check`),
  // Same-origin paths, with the signature the server put on the job's links when it has a token
  // (a plain link would need the token, which a download cannot send).
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

export type Connection = "live" | "polling" | "connecting";

// Build-time setting: VITE_POLL_INTERVAL_MS=10000 npm run build
export const POLL_MS = Number(import.meta.env.VITE_POLL_INTERVAL_MS ?? 5000) || 5000;

// Live updates over SSE; EventSource reconnects by itself. While it is down, the list is
// polled every `pollMs` so the page never goes stale.
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
  const startPolling = () => {
    if (poll) return;
    onConnection("polling");
    poll = setInterval(handlers.onResync, pollMs);
  };
  const stopPolling = () => {
    if (poll) clearInterval(poll);
    poll = undefined;
  };
  if (typeof EventSource === "undefined") {
    startPolling();
    return stopPolling;
  }
  // EventSource cannot send an Authorization header: the token goes as access_token.
  const t = token.get();
  const source = new EventSource(t ? `/api/v1/events?access_token=${encodeURIComponent(t)}` : "/api/v1/events");
  onConnection("connecting");
  source.onopen = () => {
    stopPolling();
    onConnection("live");
    handlers.onResync(); // catch up on anything missed while disconnected
  };
  source.onerror = () => startPolling();
  source.addEventListener("job", (e) => handlers.onJob(JSON.parse((e as MessageEvent).data)));
  source.addEventListener("job_deleted", (e) => handlers.onDeleted(JSON.parse((e as MessageEvent).data).id));
  source.addEventListener("channel", (e) => handlers.onChannel?.(JSON.parse((e as MessageEvent).data)));
  source.addEventListener("channel_deleted", (e) => handlers.onChannelDeleted?.(JSON.parse((e as MessageEvent).data).id));
  return () => {
    source.close();
    stopPolling();
  };
}
