import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Radio } from "lucide-react";
import { Button } from "@/components/ui/button";
import { api, ApiError, POLL_MS, subscribe, token, type Connection } from "@/lib/api";
import { STATUSES, type Channel, type Job, type JobStatus, type ServerInfo } from "@/lib/types";
import { formatBytes, isActive, retentionTitle, storageText } from "@/lib/format";
import { AddChannelDialog } from "@/features/AddChannelDialog";
import { ChannelsView } from "@/features/ChannelsView";
import { JobCard } from "@/features/JobCard";
import { JobDetails } from "@/features/JobDetails";
import { NewRecordingDialog } from "@/features/NewRecordingDialog";
import { TokenDialog } from "@/features/TokenDialog";

type Filter = JobStatus | "all" | "active";
type View = "recordings" | "channels";

const viewFromHash = (): View => (window.location.hash === "#channels" ? "channels" : "recordings");

export default function App() {
  const [jobs, setJobs] = useState<Map<string, Job>>(new Map());
  const [filter, setFilter] = useState<Filter>("all");
  const [selected, setSelected] = useState<string | null>(null);
  const [connection, setConnection] = useState<Connection>("connecting");
  const [loadError, setLoadError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  const [askToken, setAskToken] = useState(false);
  const [info, setInfo] = useState<ServerInfo | null>(null);
  const retry = useRef<(() => Promise<unknown>) | null>(null);

  const [channels, setChannels] = useState<Map<string, Channel>>(new Map());
  const [view, setView] = useState<View>(viewFromHash);
  useEffect(() => {
    const follow = () => setView(viewFromHash());
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  const show = (v: View) => {
    window.location.hash = v === "channels" ? "channels" : "";
    setView(v);
  };

  const upsert = useCallback((job: Job) => setJobs((m) => new Map(m).set(job.id, job)), []);
  const upsertChannel = useCallback((c: Channel) => setChannels((m) => new Map(m).set(c.id, c)), []);
  // Bumped when a token is saved, so the event stream reconnects with it.
  const [tokenVersion, setTokenVersion] = useState(0);
  const resync = useCallback(() => {
    // A backend without channels answers 501: the channels view then stays empty. Each channel's
    // latest recordings are read too, however far back in the history they are, and merged into
    // the list after it arrived (so the list never drops them).
    const channelPages = api
      .listChannels()
      .then(async ({ channels }) => {
        setChannels(new Map(channels.map((c) => [c.id, c])));
        return (await Promise.all(channels.map((c) => api.channelJobs(c.id)))).flatMap((p) => p.jobs);
      })
      .catch(() => [] as Job[]);
    api
      .listJobs()
      .then(async ({ jobs }) => {
        const merged = new Map(jobs.map((j) => [j.id, j]));
        for (const j of await channelPages) if (!merged.has(j.id)) merged.set(j.id, j);
        setJobs(merged);
        setLoadError(null);
      })
      .catch((e) => {
        setLoadError(e instanceof ApiError ? e.message : String(e));
        // A server with a token shows nothing without it: ask, then load again.
        if (e instanceof ApiError && e.status === 401) {
          retry.current = () => api.listJobs();
          setAskToken(true);
        }
      });
  }, []);

  useEffect(() => {
    resync();
    return subscribe(
      {
        onJob: upsert,
        onDeleted: (id) => setJobs((m) => ((m = new Map(m)), m.delete(id), m)),
        onResync: resync,
        onChannel: upsertChannel,
        onChannelDeleted: (id) => setChannels((m) => ((m = new Map(m)), m.delete(id), m)),
      },
      setConnection,
    );
  }, [resync, upsert, upsertChannel, tokenVersion]);

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  // Free space changes slowly: read it every 30 s, and after every change of the job list.
  useEffect(() => {
    const load = () => api.info().then(setInfo).catch(() => setInfo(null));
    load();
    const t = setInterval(load, 30_000);
    return () => clearInterval(t);
  }, [jobs.size]);
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

  const visible = useMemo(() => {
    const all = [...jobs.values()].sort((a, b) => (a.id < b.id ? 1 : -1)); // ids sort by creation time
    if (filter === "all") return all;
    if (filter === "active") return all.filter((j) => isActive(j.status));
    return all.filter((j) => j.status === filter);
  }, [jobs, filter]);

  const counts = useMemo(() => {
    const c: Record<string, number> = { all: jobs.size, active: 0 };
    for (const j of jobs.values()) {
      c[j.status] = (c[j.status] ?? 0) + 1;
      if (isActive(j.status)) c.active++;
    }
    return c;
  }, [jobs]);

  const selectedJob = selected ? (jobs.get(selected) ?? null) : null;
  const channelList = useMemo(() => [...channels.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), [channels]);
  const newestFirst = useMemo(() => [...jobs.values()].sort((a, b) => (a.id < b.id ? 1 : -1)), [jobs]);

  return (
    <div className="mx-auto max-w-7xl px-4 pb-16 sm:px-6">
      <header className="flex flex-wrap items-center justify-between gap-4 py-6">
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
          {info?.disk && (
            <span
              className={`text-xs ${lowSpace ? "text-danger" : "text-muted"}`}
              data-testid="disk-space"
              title={`chronicle keeps ${formatBytes(info.disk.reserve)} free; below that new recordings are refused`}
            >
              {formatBytes(info.disk.free)} free{lowSpace ? " — below the reserve, new recordings are refused" : ""}
            </span>
          )}
          {info?.storage && storageText(info.storage) && (
            <span className="text-xs text-muted" data-testid="storage" title={retentionTitle(info.storage)}>
              {storageText(info.storage)}
            </span>
          )}
        </div>
        <div className="flex gap-2">
          {view === "channels" ? (
            <AddChannelDialog add={(req) => guarded(() => api.addChannel(req))} onAdded={upsertChannel} />
          ) : (
            <NewRecordingDialog
              submit={(req) => guarded(() => api.submit(req))}
              onSubmitted={(job) => (upsert(job), setSelected(null))}
            />
          )}
        </div>
      </header>

      <nav className="mb-4 flex gap-1 border-b border-border" aria-label="Views">
        {(["recordings", "channels"] as View[]).map((v) => (
          <button
            key={v}
            onClick={() => show(v)}
            aria-current={view === v ? "page" : undefined}
            data-testid={`view-${v}`}
            className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium capitalize ${
              view === v ? "border-primary text-foreground" : "border-transparent text-muted hover:text-foreground"
            }`}
          >
            {v} <span className="opacity-70">{v === "channels" ? channels.size : jobs.size}</span>
          </button>
        ))}
      </nav>

      {view === "channels" ? (
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
      ) : (
        <>
          <nav className="mb-6 flex gap-2 overflow-x-auto pb-1" aria-label="Filter by status">
            {(["all", "active", ...STATUSES] as Filter[]).map((f) => (
              <Button
                key={f}
                variant={filter === f ? "default" : "outline"}
                size="sm"
                onClick={() => setFilter(f)}
                aria-pressed={filter === f}
              >
                {f} <span className="opacity-70">{counts[f] ?? 0}</span>
              </Button>
            ))}
          </nav>

          {loadError && <p className="mb-6 rounded-md bg-danger-bg px-4 py-3 text-sm text-danger">{loadError}</p>}

          {visible.length === 0 ? (
            <div className="rounded-xl border border-dashed border-border px-6 py-20 text-center" data-testid="empty-state">
              <p className="font-medium">{jobs.size === 0 ? "Nothing recorded yet" : `No ${filter} jobs`}</p>
              <p className="mt-1 text-sm text-muted">
                {jobs.size === 0 ? "Paste a live URL into “New recording” and chronicle takes it from there." : "Try another filter."}
              </p>
            </div>
          ) : (
            <section className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-label="Jobs">
              {visible.map((job) => (
                <JobCard key={job.id} job={job} now={now} onOpen={() => setSelected(job.id)} />
              ))}
            </section>
          )}
        </>
      )}

      <JobDetails
        job={selectedJob}
        now={now}
        onClose={() => setSelected(null)}
        onStop={async (id) => upsert(await guarded(() => api.stop(id)))}
        onDelete={async (id) => {
          await guarded(() => api.remove(id));
          setSelected(null);
          setJobs((m) => ((m = new Map(m)), m.delete(id), m));
        }}
        onPin={async (id, pinned) => upsert(await guarded(() => api.pin(id, pinned)))}
      />

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
    </div>
  );
}
