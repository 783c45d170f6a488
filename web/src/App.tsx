import { Suspense, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { CloudOff, Plus, Radio, TriangleAlert, X } from "lucide-react";
import { Button } from "@/components/ui/button";
import { ErrorBoundary } from "@/components/ErrorBoundary";
import { api, ApiError, onReachability, PAGE_SIZE, POLL_MS, subscribe, token, type Connection } from "@/lib/api";
import {
  STATUSES,
  type Channel,
  type Job,
  type JobStatus,
  type RetentionPreview,
  type ServerInfo,
  type Stats,
} from "@/lib/types";
import { formatBytes, formatClock, isActive, retentionTitle, statusLabel, storageText } from "@/lib/format";
import { lazyWithRetry } from "@/lib/lazy";
import { ServerContext } from "@/lib/server";
import { JobCard } from "@/features/JobCard";

// What the first screen does not need is loaded when it is: the dialogs (and their dialog
// library), the details drawer and the other views. A load that fails while the server is away
// is tried again when it is back (lazyWithRetry).
const AddChannelDialog = lazyWithRetry(() =>
  import("@/features/AddChannelDialog").then((m) => ({ default: m.AddChannelDialog })),
);
const ChannelsView = lazyWithRetry(() => import("@/features/ChannelsView").then((m) => ({ default: m.ChannelsView })));
const JobDetails = lazyWithRetry(() => import("@/features/JobDetails").then((m) => ({ default: m.JobDetails })));
const NewRecordingDialog = lazyWithRetry(() =>
  import("@/features/NewRecordingDialog").then((m) => ({ default: m.NewRecordingDialog })),
);
const CookiesView = lazyWithRetry(() => import("@/features/CookiesView").then((m) => ({ default: m.CookiesView })));
const WebhooksView = lazyWithRetry(() => import("@/features/WebhooksView").then((m) => ({ default: m.WebhooksView })));
const SettingsView = lazyWithRetry(() => import("@/features/SettingsView").then((m) => ({ default: m.SettingsView })));
const TokenDialog = lazyWithRetry(() => import("@/features/TokenDialog").then((m) => ({ default: m.TokenDialog })));

// A part of the page that loads on its own: while it loads, `fallback`; if it fails, a message in
// its place (never an empty page).
function Part({ what, fallback = null, children }: { what: string; fallback?: ReactNode; children: ReactNode }) {
  return (
    <ErrorBoundary what={what}>
      <Suspense fallback={fallback}>{children}</Suspense>
    </ErrorBoundary>
  );
}

type Filter = JobStatus | "all" | "active";
type View = "recordings" | "channels" | "webhooks" | "cookies" | "settings";
const VIEWS: View[] = ["recordings", "channels", "webhooks", "cookies", "settings"];

const viewFromHash = (): View => VIEWS.find((v) => v !== "recordings" && window.location.hash === `#${v}`) ?? "recordings";
const ACTIVE: JobStatus[] = ["pending", "waiting", "starting", "recording", "uploading"];

// A failed read in words; one the server did not answer is the connection banner's to say.
const errorText = (e: unknown): string | null =>
  e instanceof ApiError ? (e.status === 0 ? null : e.message) : String(e);

// Whether a job belongs in the list as filtered and searched (the server decides for what it
// lists; this keeps live updates in line with it).
function matchesView(job: Job, filter: Filter, search: string): boolean {
  if (filter === "active" ? !isActive(job.status) : filter !== "all" && job.status !== filter) return false;
  if (!search) return true;
  const needle = search.toLowerCase();
  return [job.name, job.title ?? "", job.url].some((t) => t.toLowerCase().includes(needle));
}

// The list for a filter and search: a page from the server (the active statuses are few: all of
// them at once).
async function firstPage(filter: Filter, search: string): Promise<{ jobs: Job[]; next_cursor: string | null }> {
  if (filter !== "active") return api.listJobs({ status: filter === "all" ? undefined : filter, q: search || undefined });
  const pages = await Promise.all(ACTIVE.map((status) => api.listJobs({ status, q: search || undefined, limit: 500 })));
  return { jobs: pages.flatMap((p) => p.jobs).sort((a, b) => (a.id < b.id ? 1 : -1)), next_cursor: null };
}

export default function App() {
  // Every job read so far (the list's pages, channels' recent recordings, live updates), and the
  // ids the list shows for the current filter and search, newest first, with where it goes on.
  const [jobs, setJobs] = useState<Map<string, Job>>(new Map());
  const [order, setOrder] = useState<string[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [listed, setListed] = useState(false);
  const [filter, setFilter] = useState<Filter>("all");
  const [searchText, setSearchText] = useState("");
  const [search, setSearch] = useState("");
  const [stats, setStats] = useState<Stats | null>(null);
  const view_ = useRef({ filter: "all" as Filter, search: "" });
  const [selected, setSelected] = useState<string | null>(null);
  const [connection, setConnection] = useState<Connection>("connecting");
  const [unreachableSince, setUnreachableSince] = useState<number | null>(null);
  useEffect(() => onReachability((r) => setUnreachableSince(r.reachable ? null : r.since)), []);
  // The card a drawer was opened from, to give the focus back to.
  const openedFrom = useRef<HTMLElement | null>(null);
  const openJob = useCallback((id: string, from?: HTMLElement) => {
    openedFrom.current = from ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
    setSelected(id);
  }, []);
  const [retention, setRetention] = useState<RetentionPreview | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  const [askToken, setAskToken] = useState(false);
  const [info, setInfo] = useState<ServerInfo | null>(null);
  const [infoSettled, setInfoSettled] = useState(false);
  const retry = useRef<(() => Promise<unknown>) | null>(null);

  const [channels, setChannels] = useState<Map<string, Channel>>(new Map());
  const [view, setView] = useState<View>(viewFromHash);
  useEffect(() => {
    const follow = () => setView(viewFromHash());
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  const show = (v: View) => {
    window.location.hash = v === "recordings" ? "" : v;
    setView(v);
  };

  const upsert = useCallback((job: Job) => setJobs((m) => new Map(m).set(job.id, job)), []);
  const upsertChannel = useCallback((c: Channel) => setChannels((m) => new Map(m).set(c.id, c)), []);
  // Bumped when a token is saved, so the event stream reconnects with it.
  const [tokenVersion, setTokenVersion] = useState(0);
  const merge = useCallback((list: Job[]) => {
    setJobs((m) => {
      const next = new Map(m);
      for (const j of list) next.set(j.id, j);
      return next;
    });
  }, []);

  // Counts come from the server (kept by its store), so they are right for any history. Read
  // again after changes, at most once a second.
  const statsTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refreshStats = useCallback(() => {
    if (statsTimer.current) return;
    statsTimer.current = setTimeout(() => {
      statsTimer.current = null;
      api.stats().then(setStats).catch(() => undefined);
    }, 1000);
  }, []);

  const loadList = useCallback(() => {
    const { filter: f, search: q } = view_.current;
    return firstPage(f, q).then(({ jobs: page, next_cursor }) => {
      if (view_.current.filter !== f || view_.current.search !== q) return; // a newer view asked meanwhile
      merge(page);
      setOrder(page.map((j) => j.id));
      setNextCursor(next_cursor);
      setListed(true);
      setLoadError(null);
    });
  }, [merge]);

  const loadMore = useCallback(() => {
    if (!nextCursor || loadingMore) return;
    const { filter: f, search: q } = view_.current;
    setLoadingMore(true);
    api
      .listJobs({ status: f === "all" || f === "active" ? undefined : f, q: q || undefined, cursor: nextCursor })
      .then(({ jobs: page, next_cursor }) => {
        if (view_.current.filter !== f || view_.current.search !== q) return;
        merge(page);
        setOrder((o) => [...o, ...page.map((j) => j.id).filter((id) => !o.includes(id))]);
        setNextCursor(next_cursor);
      })
      .catch((e) => setLoadError(errorText(e)))
      .finally(() => setLoadingMore(false));
  }, [nextCursor, loadingMore, merge]);

  const resync = useCallback(() => {
    // A backend without channels answers 501: the channels view then stays empty. Each channel's
    // latest recordings are read too, however far back in the history they are.
    api
      .listChannels()
      .then(async ({ channels }) => {
        setChannels(new Map(channels.map((c) => [c.id, c])));
        merge((await Promise.all(channels.map((c) => api.channelJobs(c.id)))).flatMap((p) => p.jobs));
      })
      .catch(() => undefined);
    api.stats().then(setStats).catch(() => undefined);
    loadList().catch((e) => {
      setLoadError(errorText(e));
      // A server with a token shows nothing without it: ask, then load again.
      if (e instanceof ApiError && e.status === 401) {
        retry.current = () => api.stats();
        setAskToken(true);
      }
    });
  }, [loadList, merge]);

  // A new filter or search lists again from the server.
  useEffect(() => {
    view_.current = { filter, search };
    setOrder([]);
    setNextCursor(null);
    setListed(false);
    loadList().catch((e) => setLoadError(errorText(e)));
  }, [filter, search, loadList]);
  useEffect(() => {
    const t = setTimeout(() => setSearch(searchText.trim()), 300);
    return () => clearTimeout(t);
  }, [searchText]);

  const nextCursorRef = useRef<string | null>(null);
  nextCursorRef.current = nextCursor;
  const onJob = useCallback(
    (job: Job) => {
      upsert(job);
      refreshStats();
      const { filter: f, search: q } = view_.current;
      if (!matchesView(job, f, q)) return;
      // A job that belongs in the list and is not in it: newer than the last one listed (or the
      // list is complete) goes in at its place.
      setOrder((o) => {
        if (o.includes(job.id)) return o;
        const last = o[o.length - 1];
        if (last && job.id < last && nextCursorRef.current) return o;
        const at = o.findIndex((id) => id < job.id);
        return at < 0 ? [...o, job.id] : [...o.slice(0, at), job.id, ...o.slice(at)];
      });
    },
    [upsert, refreshStats],
  );
  useEffect(() => {
    resync();
    return subscribe(
      {
        onJob,
        onDeleted: (id) => {
          setJobs((m) => ((m = new Map(m)), m.delete(id), m));
          setOrder((o) => o.filter((x) => x !== id));
          refreshStats();
        },
        onResync: resync,
        onChannel: upsertChannel,
        onChannelDeleted: (id) => setChannels((m) => ((m = new Map(m)), m.delete(id), m)),
      },
      setConnection,
    );
  }, [resync, onJob, refreshStats, upsertChannel, tokenVersion]);

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  // Free space changes slowly: read it every 30 s, and after every change of the job list.
  useEffect(() => {
    const load = () => {
      // What the next retention pass deletes changes with the same things: read beside it.
      api
        .retention()
        .then(setRetention)
        .catch(() => undefined);
      return api
        .info()
        .then(setInfo)
        // A server that went away keeps what it last said (marked stale by the banner).
        .catch((e) => e instanceof ApiError && e.status === 0 ? undefined : setInfo(null))
        .finally(() => setInfoSettled(true));
    };
    load();
    const t = setInterval(load, 30_000);
    return () => clearInterval(t);
  }, [stats?.jobs.total, stats?.jobs.by_status?.completed]);
  const doomed = useMemo(() => new Map((retention?.deletions ?? []).map((d) => [d.id, d.reason])), [retention]);
  const lowSpace = info?.disk ? info.disk.free < info.disk.reserve : false;

  // Any change the server refuses for lack of a token asks for it once, then retries.
  const guarded = useCallback(async <T,>(action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        retry.current = action;
        setAskToken(true);
      }
      throw e;
    }
  }, []);

  const visible = useMemo(
    () => order.map((id) => jobs.get(id)).filter((j): j is Job => !!j && matchesView(j, filter, search)),
    [order, jobs, filter, search],
  );

  // The server counts the whole history; with a search only what was found is known, so the
  // numbers beside the filters would contradict the list: there the list's own count is shown.
  const counts = useMemo(() => {
    const by = stats?.jobs.by_status ?? {};
    const c: Record<string, number> = { all: stats?.jobs.total ?? 0, active: 0 };
    for (const s of STATUSES) c[s] = by[s] ?? 0;
    for (const s of ACTIVE) c.active += by[s] ?? 0;
    return c;
  }, [stats]);

  // The next page as the end of the list comes into view.
  // Held in state (a callback ref), not a ref object: the list mounts after the first answers
  // arrive, and the observer must be set up on the element that is actually there.
  const [sentinel, setSentinel] = useState<HTMLDivElement | null>(null);
  useEffect(() => {
    const el = sentinel;
    if (!el || !nextCursor || typeof IntersectionObserver === "undefined") return;
    const seen = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadMore(), {
      rootMargin: "600px",
    });
    seen.observe(el);
    return () => seen.disconnect();
  }, [sentinel, nextCursor, loadMore, view]);

  const selectedJob = selected ? (jobs.get(selected) ?? null) : null;
  const channelList = useMemo(() => [...channels.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), [channels]);
  const newestFirst = useMemo(() => [...jobs.values()].sort((a, b) => (a.id < b.id ? 1 : -1)), [jobs]);

  const server = useMemo(() => ({ unreachableSince, backend: info?.backend ?? null }), [unreachableSince, info?.backend]);

  return (
    <ServerContext.Provider value={server}>
    <div className="mx-auto max-w-7xl px-4 pb-16 sm:px-6">
      {/* One row at every width: what the status texts say never moves the button. */}
      <header className="flex items-center justify-between gap-4 py-6">
        <div className="min-w-0 flex-1">
          <div className="flex items-center gap-3">
            <Radio className="size-6 text-primary" aria-hidden />
            <h1 className="text-xl font-semibold tracking-tight">chronicle</h1>
            {/* The link to the server, not a stream: "connected" while changes arrive as they happen. */}
            <span
              className={`flex items-center gap-1.5 whitespace-nowrap text-xs ${
                connection === "connected" ? "text-muted" : connection === "reconnecting" ? "text-warning" : "text-muted"
              }`}
              data-testid="connection"
              data-state={connection}
              title={
                connection === "connected"
                  ? "Changes arrive as they happen"
                  : connection === "polling"
                    ? `The event stream is down: the page asks the server every ${POLL_MS / 1000} s`
                    : connection === "reconnecting"
                      ? "The server cannot be reached; the page reconnects by itself"
                      : undefined
              }
            >
              <span
                className={`size-2 rounded-full ${
                  connection === "connected" ? "bg-primary" : connection === "reconnecting" ? "bg-warning" : "bg-muted"
                }`}
              />
              {connection === "connected"
                ? "connected"
                : connection === "polling"
                  ? `polling every ${POLL_MS / 1000} s`
                  : connection === "reconnecting"
                    ? "reconnecting…"
                    : "connecting…"}
            </span>
          </div>
          {/* A line of its own, there before the numbers arrive: nothing moves when they do. */}
          <p className="mt-1 flex h-4 gap-3 overflow-hidden whitespace-nowrap pl-9 text-xs text-muted max-sm:pl-0">
            {info?.disk && (
              <span
                className={lowSpace ? "text-danger" : undefined}
                data-testid="disk-space"
                title={`chronicle keeps ${formatBytes(info.disk.reserve)} free; below that new recordings are refused`}
              >
                {formatBytes(info.disk.free)} free{lowSpace ? " — below the reserve, new recordings are refused" : ""}
              </span>
            )}
            {info?.storage && storageText(info.storage) && (
              <span
                data-testid="storage"
                className={info.storage.warning ? "text-danger" : undefined}
                title={info.storage.warning ?? retentionTitle(info.storage)}
              >
                {storageText(info.storage)}
                {info.storage.warning ? " — over the budget, nothing young deleted" : ""}
              </span>
            )}
          </p>
        </div>
        <div className="flex shrink-0 gap-2">
          {(view === "recordings" || view === "channels") && (
          <Part
            what="form"
            fallback={
              <Button disabled>
                <Plus /> <span className="max-[400px]:sr-only">{view === "channels" ? "Add channel" : "New recording"}</span>
              </Button>
            }
          >
            {view === "channels" ? (
              <AddChannelDialog add={(req) => guarded(() => api.addChannel(req))} onAdded={upsertChannel} />
            ) : (
              <NewRecordingDialog
                submit={(req) => guarded(() => api.submit(req))}
                onSubmitted={(job) => (onJob(job), setSelected(null))}
              />
            )}
          </Part>
          )}
        </div>
      </header>

      {info?.warnings && info.warnings.length > 0 && (
        <div
          role="alert"
          data-testid="tool-warnings"
          className="mb-4 flex gap-2 rounded-md border border-warning/40 bg-warning/10 px-4 py-3 text-sm text-warning"
        >
          <TriangleAlert className="mt-0.5 size-4 shrink-0" aria-hidden />
          <div className="space-y-1">
            {info.warnings.map((w) => (
              <p key={w}>{w}</p>
            ))}
          </div>
        </div>
      )}

      {unreachableSince !== null && (
        <div
          role="status"
          data-testid="connection-banner"
          className="mb-4 flex gap-2 rounded-md border border-warning/40 bg-warning/10 px-4 py-3 text-sm text-warning"
        >
          <CloudOff className="mt-0.5 size-4 shrink-0" aria-hidden />
          <p>
            The chronicle server cannot be reached since {formatClock(unreachableSince)}. What this page shows is how
            things were then (dashed states may have changed); it reconnects by itself.
          </p>
        </div>
      )}

      {/* The warnings above arrive with /info: the views wait for its first answer (a local
          call, in parallel with the list) so that the banner never pushes the page down. */}
      {infoSettled && (
      <>
      {/* On a narrow screen the tabs scroll sideways on their own; the page never does. */}
      <nav className="mb-4 flex gap-1 overflow-x-auto border-b border-border" aria-label="Views">
        {VIEWS.map((v) => (
          <button
            key={v}
            onClick={() => show(v)}
            aria-current={view === v ? "page" : undefined}
            data-testid={`view-${v}`}
            className={`-mb-px shrink-0 whitespace-nowrap border-b-2 px-3 py-2 text-sm font-medium capitalize max-sm:px-2 ${
              view === v ? "border-primary text-foreground" : "border-transparent text-muted hover:text-foreground"
            }`}
          >
            {v}{" "}
            {(v === "recordings" || v === "channels") && <span className="opacity-70">{v === "channels" ? channels.size : (stats?.jobs.total ?? "")}</span>}
          </button>
        ))}
      </nav>

      {view === "settings" ? (
        <Part what="settings view">
          <SettingsView />
        </Part>
      ) : view === "cookies" ? (
        <Part what="cookies view">
          <CookiesView guarded={guarded} />
        </Part>
      ) : view === "webhooks" ? (
        <Part what="webhooks view">
          <WebhooksView guarded={guarded} />
        </Part>
      ) : view === "channels" ? (
        <Part what="channels view">
        <ChannelsView
          channels={channelList}
          jobs={newestFirst}
          now={now}
          onOpenJob={openJob}
          onEdit={async (id, req) => upsertChannel(await guarded(() => api.updateChannel(id, req)))}
          onPause={async (id, enabled) => upsertChannel(await guarded(() => api.updateChannel(id, { enabled })))}
          onCheck={async (id) => upsertChannel(await guarded(() => api.checkChannel(id)))}
          onRemove={async (id) => {
            await guarded(() => api.removeChannel(id));
            setChannels((m) => ((m = new Map(m)), m.delete(id), m));
          }}
        />
        </Part>
      ) : (
        <>
          <div className="relative mb-3 max-w-sm">
            <input
              type="search"
              value={searchText}
              onChange={(e) => setSearchText(e.target.value)}
              onKeyDown={(e) => e.key === "Escape" && searchText && (e.preventDefault(), setSearchText(""))}
              placeholder="Search name, title or URL"
              aria-label="Search recordings"
              maxLength={100}
              className="h-9 w-full rounded-md border border-border bg-background pl-3 pr-9 text-sm [&::-webkit-search-cancel-button]:appearance-none"
              data-testid="search"
            />
            {searchText && (
              <button
                type="button"
                onClick={() => setSearchText("")}
                aria-label="Clear the search"
                className="absolute right-1 top-1 flex size-7 items-center justify-center rounded text-muted hover:text-foreground"
                data-testid="search-clear"
              >
                <X className="size-4" />
              </button>
            )}
          </div>
          <nav className="mb-6 flex gap-2 overflow-x-auto pb-1" aria-label="Filter by status">
            {(["all", "active", ...STATUSES] as Filter[]).map((f) => (
              <Button
                key={f}
                variant={filter === f ? "default" : "outline"}
                size="sm"
                onClick={() => setFilter(f)}
                aria-pressed={filter === f}
                data-testid={`filter-${f}`}
              >
                {statusLabel(f, info?.backend ?? null)}
                {/* With a search, only the list's own count is known (and only where it is complete). */}
                {(!search || (filter === f && !nextCursor)) && (
                  <>
                    {" "}
                    <span className="opacity-70" data-testid={`count-${f}`}>
                      {search ? visible.length : (counts[f] ?? 0)}
                    </span>
                  </>
                )}
              </Button>
            ))}
          </nav>

          {loadError && <p className="mb-6 rounded-md bg-danger-bg px-4 py-3 text-sm text-danger">{loadError}</p>}

          {retention && retention.deletions.length > 0 && (
            <div
              role="status"
              data-testid="retention-preview"
              className="mb-6 rounded-md border border-warning/40 bg-warning/10 px-4 py-3 text-sm"
            >
              <p className="text-warning">
                Retention deletes {retention.deletions.length === 1 ? "this recording" : `these ${retention.deletions.length} recordings`}{" "}
                within {Math.max(1, Math.round(retention.interval_s / 60))} min (
                {formatBytes(retention.deletions.reduce((n, d) => n + d.bytes, 0))}).{" "}
                {retention.deletions.length === 1 ? "Pin it to keep it" : "Pin one to keep it"}, or download it first.
              </p>
              <ul className="mt-2 space-y-1">
                {retention.deletions.slice(0, 10).map((d) => (
                  <li key={d.id} className="flex min-w-0 gap-2">
                    <button
                      className="min-w-0 truncate text-left underline decoration-dotted underline-offset-2 hover:text-foreground"
                      onClick={(e) => openJob(d.id, e.currentTarget)}
                      title={d.reason}
                      data-testid="retention-doomed"
                      data-job-id={d.id}
                    >
                      {d.name || d.id}
                    </button>
                    <span className="shrink-0 font-mono text-xs text-muted">{formatBytes(d.bytes)}</span>
                  </li>
                ))}
                {retention.deletions.length > 10 && (
                  <li className="text-xs text-muted">and {retention.deletions.length - 10} more</li>
                )}
              </ul>
            </div>
          )}

          {visible.length === 0 ? (
            listed && (
              <div className="rounded-xl border border-dashed border-border px-6 py-20 text-center" data-testid="empty-state">
                <p className="font-medium">
                  {counts.all === 0 ? "Nothing recorded yet" : search ? `Nothing matches “${search}”` : `No ${filter} jobs`}
                </p>
                <p className="mt-1 text-sm text-muted">
                  {counts.all === 0 ? "Paste a live URL into “New recording” and chronicle takes it from there." : "Try another filter or search."}
                </p>
              </div>
            )
          ) : (
            <>
              <section className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-label="Jobs">
                {visible.map((job) => (
                  // Only cards of active jobs show time passing: the others do not re-render each second.
                  <JobCard
                    key={job.id}
                    job={job}
                    now={isActive(job.status) ? now : 0}
                    onOpen={openJob}
                    doomed={doomed.get(job.id)}
                  />
                ))}
              </section>
              <div ref={setSentinel} className="mt-6 flex justify-center" data-testid="list-end">
                {nextCursor ? (
                  <Button variant="outline" size="sm" onClick={loadMore} disabled={loadingMore} data-testid="load-more">
                    {loadingMore ? "Loading…" : "Load older recordings"}
                  </Button>
                ) : (
                  visible.length > PAGE_SIZE && <p className="text-xs text-muted">That is the oldest.</p>
                )}
              </div>
            </>
          )}
        </>
      )}
      </>
      )}

      {selectedJob && (
        <Part what="details">
      <JobDetails
        job={selectedJob}
        now={now}
        onClose={() => setSelected(null)}
        returnFocus={() => {
          const from = openedFrom.current;
          const card = document.querySelector<HTMLElement>(`[data-testid=job-card][data-job-id="${selectedJob.id}"]`);
          (from?.isConnected ? from : card)?.focus();
        }}
        onStop={async (id) => upsert(await guarded(() => api.stop(id)))}
        onDelete={async (id) => {
          await guarded(() => api.remove(id));
          setSelected(null);
          setJobs((m) => ((m = new Map(m)), m.delete(id), m));
          setOrder((o) => o.filter((x) => x !== id));
          refreshStats();
        }}
        onPin={async (id, pinned) => {
          upsert(await guarded(() => api.pin(id, pinned)));
          api.retention().then(setRetention, () => undefined);
        }}
      />
        </Part>
      )}

      {askToken && (
        <Part what="token form">
      <TokenDialog
        open={askToken}
        onCancel={() => setAskToken(false)}
        onSave={(t) => {
          token.set(t);
          setAskToken(false);
          setTokenVersion((v) => v + 1);
          retry.current?.().then(resync).catch(() => undefined);
        }}
      />
        </Part>
      )}
    </div>
    </ServerContext.Provider>
  );
}
