import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Plus, Radio, TriangleAlert } from "lucide-react";
import { Button } from "@/components/ui/button";
import { api, ApiError, PAGE_SIZE, POLL_MS, subscribe, token, type Connection } from "@/lib/api";
import { STATUSES, type Channel, type Job, type JobStatus, type ServerInfo, type Stats } from "@/lib/types";
import { formatBytes, isActive, retentionTitle, storageText } from "@/lib/format";
import { JobCard } from "@/features/JobCard";

// What the first screen does not need is loaded when it is: the dialogs (and their dialog
// library), the details drawer and the channels view.
const AddChannelDialog = lazy(() => import("@/features/AddChannelDialog").then((m) => ({ default: m.AddChannelDialog })));
const ChannelsView = lazy(() => import("@/features/ChannelsView").then((m) => ({ default: m.ChannelsView })));
const JobDetails = lazy(() => import("@/features/JobDetails").then((m) => ({ default: m.JobDetails })));
const NewRecordingDialog = lazy(() =>
  import("@/features/NewRecordingDialog").then((m) => ({ default: m.NewRecordingDialog })),
);
const CookiesView = lazy(() => import("@/features/CookiesView").then((m) => ({ default: m.CookiesView })));
const WebhooksView = lazy(() => import("@/features/WebhooksView").then((m) => ({ default: m.WebhooksView })));
const TokenDialog = lazy(() => import("@/features/TokenDialog").then((m) => ({ default: m.TokenDialog })));

type Filter = JobStatus | "all" | "active";
type View = "recordings" | "channels" | "webhooks" | "cookies";
const VIEWS: View[] = ["recordings", "channels", "webhooks", "cookies"];

const viewFromHash = (): View => VIEWS.find((v) => v !== "recordings" && window.location.hash === `#${v}`) ?? "recordings";
const ACTIVE: JobStatus[] = ["pending", "waiting", "starting", "recording", "uploading"];

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
      .catch((e) => setLoadError(e instanceof ApiError ? e.message : String(e)))
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
      setLoadError(e instanceof ApiError ? e.message : String(e));
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
    loadList().catch((e) => setLoadError(e instanceof ApiError ? e.message : String(e)));
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
    const load = () =>
      api
        .info()
        .then(setInfo)
        .catch(() => setInfo(null))
        .finally(() => setInfoSettled(true));
    load();
    const t = setInterval(load, 30_000);
    return () => clearInterval(t);
  }, [stats?.jobs.total]);
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

  return (
    <div className="mx-auto max-w-7xl px-4 pb-16 sm:px-6">
      {/* One row at every width: what the status texts say never moves the button. */}
      <header className="flex items-center justify-between gap-4 py-6">
        <div className="min-w-0 flex-1">
          <div className="flex items-center gap-3">
            <Radio className="size-6 text-primary" aria-hidden />
            <h1 className="text-xl font-semibold tracking-tight">chronicle</h1>
            <span
              className={`flex items-center gap-1.5 text-xs ${connection === "live" ? "text-live" : "text-muted"}`}
              data-testid="connection"
              data-state={connection}
            >
              <span className={`size-2 rounded-full ${connection === "live" ? "live-dot bg-live" : "bg-muted"}`} />
              {connection === "live" ? "live" : connection === "polling" ? `polling every ${POLL_MS / 1000} s` : "connecting…"}
            </span>
          </div>
          {/* A line of its own, there before the numbers arrive: nothing moves when they do. */}
          <p className="mt-1 flex h-4 gap-3 overflow-hidden whitespace-nowrap pl-9 text-xs text-muted">
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
          <Suspense
            fallback={
              <Button disabled>
                <Plus /> {view === "channels" ? "Add channel" : "New recording"}
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
          </Suspense>
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

      {/* The warnings above arrive with /info: the views wait for its first answer (a local
          call, in parallel with the list) so that the banner never pushes the page down. */}
      {infoSettled && (
      <>
      <nav className="mb-4 flex gap-1 border-b border-border" aria-label="Views">
        {VIEWS.map((v) => (
          <button
            key={v}
            onClick={() => show(v)}
            aria-current={view === v ? "page" : undefined}
            data-testid={`view-${v}`}
            className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium capitalize ${
              view === v ? "border-primary text-foreground" : "border-transparent text-muted hover:text-foreground"
            }`}
          >
            {v}{" "}
            {(v === "recordings" || v === "channels") && <span className="opacity-70">{v === "channels" ? channels.size : (stats?.jobs.total ?? "")}</span>}
          </button>
        ))}
      </nav>

      {view === "cookies" ? (
        <Suspense fallback={null}>
          <CookiesView guarded={guarded} />
        </Suspense>
      ) : view === "webhooks" ? (
        <Suspense fallback={null}>
          <WebhooksView guarded={guarded} />
        </Suspense>
      ) : view === "channels" ? (
        <Suspense fallback={null}>
        <ChannelsView
          channels={channelList}
          jobs={newestFirst}
          now={now}
          onOpenJob={setSelected}
          onPause={async (id, enabled) => upsertChannel(await guarded(() => api.updateChannel(id, { enabled })))}
          onCheck={async (id) => upsertChannel(await guarded(() => api.checkChannel(id)))}
          onRemove={async (id) => {
            await guarded(() => api.removeChannel(id));
            setChannels((m) => ((m = new Map(m)), m.delete(id), m));
          }}
        />
        </Suspense>
      ) : (
        <>
          <div className="mb-3">
            <input
              type="search"
              value={searchText}
              onChange={(e) => setSearchText(e.target.value)}
              placeholder="Search name, title or URL"
              aria-label="Search recordings"
              maxLength={100}
              className="h-9 w-full max-w-sm rounded-md border border-border bg-background px-3 text-sm"
              data-testid="search"
            />
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
                {f}{" "}
                <span className="opacity-70" data-testid={`count-${f}`}>
                  {counts[f] ?? 0}
                </span>
              </Button>
            ))}
          </nav>

          {loadError && <p className="mb-6 rounded-md bg-danger-bg px-4 py-3 text-sm text-danger">{loadError}</p>}

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
              <section className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-label="Jobs">
                {visible.map((job) => (
                  // Only cards of active jobs show time passing: the others do not re-render each second.
                  <JobCard key={job.id} job={job} now={isActive(job.status) ? now : 0} onOpen={setSelected} />
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
        <Suspense fallback={null}>
      <JobDetails
        job={selectedJob}
        now={now}
        onClose={() => setSelected(null)}
        onStop={async (id) => upsert(await guarded(() => api.stop(id)))}
        onDelete={async (id) => {
          await guarded(() => api.remove(id));
          setSelected(null);
          setJobs((m) => ((m = new Map(m)), m.delete(id), m));
          setOrder((o) => o.filter((x) => x !== id));
          refreshStats();
        }}
        onPin={async (id, pinned) => upsert(await guarded(() => api.pin(id, pinned)))}
      />
        </Suspense>
      )}

      {askToken && (
        <Suspense fallback={null}>
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
        </Suspense>
      )}
    </div>
  );
}
