import { useEffect, useRef, useState } from "react";
import { Download, Radio, Scissors, X } from "lucide-react";
import type HlsType from "hls.js";
import { Button } from "@/components/ui/button";
import { api } from "@/lib/api";
import { formatBytes } from "@/lib/format";
import type { Clip, Job } from "@/lib/types";
import { ChatReplay } from "./ChatReplay";

/** A place on the recording's timeline worth marking: a gap, an ad break left out, a new title. */
export interface Marker {
  at_s: number;
  kind: "gap" | "ad" | "title";
  label: string;
}

export function markersOf(job: Job): Marker[] {
  const marks: Marker[] = [];
  for (const i of job.interruptions ?? [])
    marks.push({
      at_s: i.at_s,
      kind: "gap",
      label: i.gap_s === null ? "The stream went away here" : `No data for ${i.gap_s.toFixed(1)} s`,
    });
  for (const b of job.ad_breaks ?? []) marks.push({ at_s: b.at_s, kind: "ad", label: `Ad break of ${b.duration_s.toFixed(1)} s left out` });
  for (const t of (job.titles ?? []).slice(1)) marks.push({ at_s: t.at_s, kind: "title", label: `Title: ${t.title}` });
  return marks.sort((a, b) => a.at_s - b.at_s);
}

/** 3723.4 -> "1:02:03.4": positions people set clips by. */
export function positionText(seconds: number): string {
  const tenths = Math.round(Math.max(0, seconds) * 10);
  const s = Math.floor(tenths / 10);
  const pad = (n: number) => String(n).padStart(2, "0");
  const rest = `${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}.${tenths % 10}`;
  return s >= 3600 ? `${Math.floor(s / 3600)}:${rest}` : rest.replace(/^0/, "");
}

// Behind the live edge by more than this (a few segments), the player says so and offers LIVE.
const LIVE_SLACK_S = 6;

/**
 * A recording in the drawer: a stored one plays its file; one still recording plays from its first
 * second through hls.js over the server's live playlist, seeks anywhere in what is recorded and
 * jumps to the live edge. Under it, the timeline marks gaps, ad breaks and title changes, and in
 * and out points make a clip.
 */
export function RecordingPlayer({ job, poster }: { job: Job; poster?: string }) {
  const videoRef = useRef<HTMLVideoElement | null>(null);
  const hlsRef = useRef<HlsType | null>(null);
  // Where the viewer was when the recording got stored: the stored file opens there.
  const resumeAt = useRef(0);
  const [position, setPosition] = useState(0);
  const [length, setLength] = useState(0);
  const [liveEdge, setLiveEdge] = useState<number | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const stored = !!job.recording;
  const live = !stored && !!job.live_url && (job.status === "recording" || job.status === "uploading");
  const src = stored ? api.recordingUrl(job.id, job.recording!.url) : live ? api.liveUrl(job.id, job.live_url!) : null;

  useEffect(() => {
    const video = videoRef.current;
    if (!video || !live || !src) return;
    let cancelled = false;
    setFailure(null);
    // hls.js is loaded only for a recording in progress: the rest of the dashboard does without it.
    import("hls.js").then(({ default: Hls }) => {
      if (cancelled) return;
      if (!Hls.isSupported()) {
        if (video.canPlayType("application/vnd.apple.mpegurl")) video.src = src;
        else setFailure("This browser cannot play HLS: watch it once it is stored.");
        return;
      }
      // From the first second, not the live edge: the point of watching an archive in progress.
      const hls = new Hls({ startPosition: 0, liveDurationInfinity: false, backBufferLength: 60 });
      hlsRef.current = hls;
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) setFailure(`The recording in progress cannot be played here (${data.details}).`);
      });
      hls.on(Hls.Events.LEVEL_UPDATED, (_event, data) => {
        setLength(data.details.totalduration);
        setLiveEdge(hls.liveSyncPosition ?? data.details.totalduration);
      });
      hls.loadSource(src);
      hls.attachMedia(video);
    }, () => !cancelled && setFailure("The player could not be loaded."));
    return () => {
      cancelled = true;
      resumeAt.current = video.currentTime;
      hlsRef.current?.destroy();
      hlsRef.current = null;
    };
  }, [live, src]);

  const seek = (at: number) => {
    const video = videoRef.current;
    if (!video) return;
    video.currentTime = Math.max(0, at);
  };
  const goLive = () => {
    const video = videoRef.current;
    if (!video || liveEdge === null) return;
    video.currentTime = Math.max(0, liveEdge);
    void video.play().catch(() => undefined);
  };

  if (!src) return null;
  if (stored && job.recording!.key.endsWith(".ts"))
    return (
      <p className="mt-5 text-sm text-muted" data-testid="no-player">
        This recording was kept as MPEG-TS, which browsers do not play: download it to watch.
      </p>
    );
  const audioOnly = stored && job.media && !job.media.height;
  const total = Math.max(length, job.duration_s, position);
  const behind = live && liveEdge !== null ? Math.max(0, liveEdge - position) : 0;
  const onTime = (e: React.SyntheticEvent<HTMLMediaElement>) => setPosition(e.currentTarget.currentTime);
  const onMetadata = (e: React.SyntheticEvent<HTMLMediaElement>) => {
    if (Number.isFinite(e.currentTarget.duration)) setLength(e.currentTarget.duration);
    if (stored && resumeAt.current > 0) {
      e.currentTarget.currentTime = resumeAt.current;
      resumeAt.current = 0;
    }
  };
  const media = audioOnly ? (
    <audio
      ref={videoRef as React.RefObject<HTMLAudioElement | null>}
      className="mt-5 w-full"
      controls
      preload="metadata"
      src={src}
      onTimeUpdate={onTime}
      onLoadedMetadata={onMetadata}
      data-testid="player"
    />
  ) : (
    <video
      key={stored ? "stored" : "live"}
      ref={videoRef}
      className="mt-5 aspect-video w-full rounded-md bg-black"
      controls
      playsInline
      preload="metadata"
      poster={poster}
      src={stored ? src : undefined}
      onTimeUpdate={onTime}
      onSeeked={onTime}
      onLoadedMetadata={onMetadata}
      onDurationChange={onMetadata}
      data-testid="player"
      data-mode={stored ? "stored" : "live"}
    />
  );
  const chat = job.chat ? <ChatReplay job={job} position={position} onSeek={seek} /> : null;
  return (
    <section aria-label="Player" className={chat ? "lg:grid lg:grid-cols-[minmax(0,1fr)_22rem] lg:gap-4" : undefined}>
      <div className="min-w-0">
        {media}
        {failure && (
          <p className="mt-2 text-sm text-warning" data-testid="player-error">
            {failure}
          </p>
        )}
        <div className="mt-2 flex items-center gap-2 text-xs text-muted">
          <span data-testid="player-position">
            {positionText(position)} / {positionText(total)}
          </span>
          {live &&
            (behind > LIVE_SLACK_S ? (
              <Button variant="outline" size="sm" className="ml-auto h-7" onClick={goLive} data-testid="live-button" title="Jump to the live edge">
                <Radio /> LIVE <span data-testid="behind-live">({Math.round(behind)} s behind)</span>
              </Button>
            ) : (
              <span className="ml-auto inline-flex items-center gap-1 font-semibold text-danger" data-testid="at-live">
                <span className="size-2 rounded-full bg-danger" /> LIVE
              </span>
            ))}
        </div>
        <Timeline job={job} total={total} position={position} onSeek={seek} />
        <ClipMaker job={job} position={position} />
      </div>
      {chat && <div className="mt-4 flex flex-col lg:mt-5 lg:h-[min(75vh,40rem)]">{chat}</div>}
    </section>
  );
}

function Timeline({ job, total, position, onSeek }: { job: Job; total: number; position: number; onSeek: (at: number) => void }) {
  const marks = markersOf(job);
  if (total <= 0) return null;
  const left = (at: number) => `${Math.min(100, Math.max(0, (at / total) * 100))}%`;
  const colour = { gap: "bg-warning", ad: "bg-info", title: "bg-primary" } as const;
  return (
    <div className="mt-2" data-testid="timeline">
      <div className="relative h-3 rounded bg-border/60" aria-hidden="true">
        <div className="absolute inset-y-0 left-0 rounded bg-primary/30" style={{ width: left(position) }} />
        {(job.clips ?? []).map((c) => (
          <div
            key={c.id}
            className="absolute inset-y-0 bg-primary/50"
            style={{ left: left(c.cut_start_s ?? c.start_s), width: `calc(${left(c.cut_end_s ?? c.end_s)} - ${left(c.cut_start_s ?? c.start_s)})` }}
          />
        ))}
      </div>
      {marks.length > 0 && (
        <ul className="relative mt-1 h-5" aria-label="Marks on the timeline">
          {marks.map((m) => (
            <li key={`${m.kind}-${m.at_s}`} className="absolute -translate-x-1/2" style={{ left: left(m.at_s) }}>
              <button
                type="button"
                className={`block size-3 rounded-full ${colour[m.kind]}`}
                title={`${positionText(m.at_s)}: ${m.label}`}
                aria-label={`${positionText(m.at_s)}: ${m.label}`}
                onClick={() => onSeek(m.at_s)}
                data-testid={`marker-${m.kind}`}
              />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ClipMaker({ job, position }: { job: Job; position: number }) {
  const [mark, setMark] = useState<{ in: number | null; out: number | null }>({ in: null, out: null });
  const [name, setName] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const clips = job.clips ?? [];
  const canClip = job.status === "completed" || job.status === "recording" || job.status === "uploading";
  if (!canClip && clips.length === 0) return null;
  const ready = mark.in !== null && mark.out !== null && mark.out > mark.in;
  const make = async () => {
    if (!ready) return;
    setSending(true);
    setError(null);
    try {
      await api.createClip(job.id, { start_s: mark.in!, end_s: mark.out!, ...(name.trim() ? { name: name.trim() } : {}) });
      setMark({ in: null, out: null });
      setName("");
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setSending(false);
    }
  };
  return (
    <div className="mt-3 rounded-md border border-border p-3" data-testid="clip-maker">
      {canClip && (
        <div className="flex flex-wrap items-center gap-2 text-sm">
          <Button variant="outline" size="sm" onClick={() => setMark((m) => ({ ...m, in: position }))} data-testid="clip-in">
            In {mark.in !== null && <span className="font-mono">{positionText(mark.in)}</span>}
          </Button>
          <Button variant="outline" size="sm" onClick={() => setMark((m) => ({ ...m, out: position }))} data-testid="clip-out">
            Out {mark.out !== null && <span className="font-mono">{positionText(mark.out)}</span>}
          </Button>
          <input
            className="h-8 min-w-0 flex-1 rounded-md border border-border bg-transparent px-2 text-sm"
            placeholder="Clip name (optional)"
            aria-label="Clip name"
            value={name}
            maxLength={120}
            onChange={(e) => setName(e.target.value)}
          />
          <Button size="sm" onClick={make} disabled={!ready || sending} data-testid="clip-make" title="Cut the part between In and Out">
            <Scissors /> Clip
          </Button>
        </div>
      )}
      {mark.in !== null && mark.out !== null && mark.out <= mark.in && (
        <p className="mt-2 text-xs text-warning">Out must come after In.</p>
      )}
      {error && (
        <p className="mt-2 text-sm text-danger" data-testid="clip-error">
          {error}
        </p>
      )}
      {clips.length > 0 && (
        <ul className="mt-2 space-y-1 text-sm" aria-label="Clips">
          {clips.map((c) => (
            <ClipRow key={c.id} jobId={job.id} clip={c} onError={setError} />
          ))}
        </ul>
      )}
    </div>
  );
}

function ClipRow({ jobId, clip, onError }: { jobId: string; clip: Clip; onError: (e: string) => void }) {
  const bounds =
    clip.cut_start_s !== null && clip.cut_end_s !== null
      ? `${positionText(clip.cut_start_s)}–${positionText(clip.cut_end_s)}`
      : `${positionText(clip.start_s)}–${positionText(clip.end_s)}`;
  return (
    <li className="flex items-center gap-2" data-testid="clip-row" data-status={clip.status}>
      <span className="min-w-0 flex-1 truncate" title={clip.name}>
        {clip.name}
      </span>
      <span className="font-mono text-xs text-muted">{bounds}</span>
      {clip.status === "ready" && (
        <a
          className="inline-flex items-center gap-1 text-xs text-primary underline-offset-2 hover:underline"
          href={api.clipUrl(jobId, clip.id, clip.url ?? undefined)}
          download
          data-testid="clip-download"
        >
          <Download className="size-3.5" /> {formatBytes(clip.size)}
        </a>
      )}
      {clip.status === "ready" && clip.chat?.url && (
        <a
          className="text-xs text-primary underline-offset-2 hover:underline"
          href={api.clipChatUrl(jobId, clip.id, clip.chat.url)}
          download
          title={`${clip.chat.messages} chat messages (NDJSON)`}
          data-testid="clip-chat"
        >
          chat
        </a>
      )}
      {clip.status === "cutting" && <span className="text-xs text-muted">cutting…</span>}
      {clip.status === "failed" && <span className="text-xs text-danger">{clip.error?.message ?? "failed"}</span>}
      <button
        type="button"
        className="rounded p-1 text-muted hover:text-danger"
        aria-label={`Delete the clip ${clip.name}`}
        onClick={() => api.removeClip(jobId, clip.id).catch((e) => onError(e instanceof Error ? e.message : String(e)))}
      >
        <X className="size-3.5" />
      </button>
    </li>
  );
}
