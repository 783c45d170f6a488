import { useState } from "react";
import { Copy, Download, Magnet, Pin, PinOff, Square, Trash2 } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { api } from "@/lib/api";
import {
  endReasonText,
  formatBitrate,
  formatBytes,
  formatDuration,
  formatTime,
  heartbeatAge,
  isActive,
  mediaText,
  qualityText,
  thumbnailSrc,
  waitingText,
} from "@/lib/format";
import type { Job, JobStatus } from "@/lib/types";
import { copyText } from "@/lib/utils";
import { useServer } from "@/lib/server";
import { RecordingPlayer } from "./Player";
import { StatusBadge } from "./StatusBadge";

const TIMELINE: JobStatus[] = ["pending", "waiting", "starting", "recording", "uploading"];

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-[7rem_1fr] gap-2 py-1.5 text-sm">
      <dt className="text-muted">{label}</dt>
      <dd className="min-w-0 break-all">{children}</dd>
    </div>
  );
}

// A stored recording plays its file (Chromium plays chronicle's Matroska H.264/AAC from the
// Range-capable recording route); one still recording plays from its first second over the live
// playlist, except on the aws backend, whose recorders keep their segments to themselves: there the
// live preview stands in.
function Watch({ job, now }: { job: Job; now: number }) {
  const { backend } = useServer();
  const still = thumbnailSrc(job, now);
  const recording = job.status === "recording" || job.status === "uploading";
  if (job.recording || (recording && job.live_url && backend === "embedded"))
    return <RecordingPlayer job={job} poster={job.recording ? (still ?? undefined) : undefined} />;
  if (still && job.thumbnail?.live)
    return (
      <figure className="mt-5">
        <img src={still} alt="Live preview of the recording" className="aspect-video w-full rounded-md bg-black object-cover" data-testid="live-preview" />
        <figcaption className="mt-1 text-xs text-muted">Live preview, renewed about every 30 s</figcaption>
      </figure>
    );
  return null;
}

export function JobDetails({
  job,
  now,
  onClose,
  onStop,
  onDelete,
  onPin,
  returnFocus,
}: {
  job: Job | null;
  now: number;
  onClose: () => void;
  /** Where the focus goes back to when the drawer closes (the card it was opened from). */
  returnFocus?: () => void;
  onStop: (id: string) => Promise<void>;
  onDelete: (id: string) => Promise<void>;
  onPin?: (id: string, pinned: boolean) => Promise<void>;
}) {
  const [confirm, setConfirm] = useState<"stop" | "delete" | null>(null);
  const [copied, setCopied] = useState(false);
  const [idCopied, setIdCopied] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!job) return null;
  const final: JobStatus = job.status === "failed" || job.status === "canceled" ? job.status : "completed";
  // `waiting` is shown only for jobs that waited.
  const steps = [...TIMELINE, final].filter((s) => s !== "waiting" || job.milestones?.waiting || job.status === "waiting");
  const hb = isActive(job.status) ? heartbeatAge(job.heartbeat_at, now) : null;

  const act = async (what: "stop" | "delete") => {
    setError(null);
    try {
      if (what === "stop") await onStop(job.id);
      else await onDelete(job.id);
      setConfirm(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <Dialog open onOpenChange={(o) => !o && (setConfirm(null), onClose())}>
      <DialogContent
        side="right"
        // Room for the chat beside the player on a wide screen.
        className={job.chat ? "lg:max-w-5xl" : undefined}
        data-testid="job-details"
        // Opened from a card, not from a trigger of its own: the focus goes back to that card, not
        // to the top of the page.
        onCloseAutoFocus={(e) => {
          if (!returnFocus) return;
          e.preventDefault();
          returnFocus();
        }}
      >
        <div className="flex items-center gap-3 pr-6">
          <DialogTitle className="truncate">{job.name || job.title || job.id}</DialogTitle>
          <StatusBadge status={job.status} />
        </div>
        <DialogDescription className="mt-1 break-all">{job.url}</DialogDescription>
        {/* The id the CLI takes (its first characters are enough): shown whole, one click to copy. */}
        <p className="mt-1 flex items-center gap-1 text-xs text-muted">
          <span>id</span>
          <code className="font-mono" data-testid="job-id">
            {job.id}
          </code>
          <Button
            variant="ghost"
            size="sm"
            className="h-6 px-1.5"
            aria-label={idCopied ? "Copied the job's id" : "Copy the job's id"}
            title="Copy the job's id (chronicle show, watch, stop and download take it)"
            onClick={() => copyText(job.id).then(() => setIdCopied(true), () => undefined)}
          >
            <Copy className="size-3.5" /> {idCopied ? "Copied" : ""}
          </Button>
        </p>

        <Watch job={job} now={now} />

        <ol className="mt-6 space-y-3" aria-label="Timeline">
          {steps.map((s) => {
            const at = job.milestones?.[s];
            return (
              <li key={s} className="flex items-center gap-3 text-sm">
                <span className={`size-2.5 rounded-full ${at ? (s === "failed" ? "bg-danger" : "bg-primary") : "bg-border"}`} />
                <span className={at ? "" : "text-muted"}>{s}</span>
                <span className="ml-auto text-xs text-muted">{at ? formatTime(at) : ""}</span>
              </li>
            );
          })}
        </ol>

        {job.status === "waiting" && (
          <p className="mt-5 rounded-md bg-info/10 px-3 py-2 text-sm text-info" data-testid="waiting">
            {waitingText(job, now)}
            {job.waiting_reason && <span className="block text-xs opacity-80">last check: {job.waiting_reason}</span>}
          </p>
        )}
        {job.error && (
          <div className="mt-5 rounded-md bg-danger-bg px-3 py-2 text-sm text-danger">
            <p data-testid="job-error-message">{job.error.message}</p>
            {/* The tool's own words, whole, for whoever digs further: folded away. */}
            {job.error.detail && (
              <details className="mt-1 text-xs">
                <summary className="cursor-pointer">What the tool said</summary>
                <pre className="mt-1 whitespace-pre-wrap break-words font-mono" data-testid="job-error-detail">
                  {job.error.detail}
                </pre>
              </details>
            )}
          </div>
        )}
        {job.end_reason && (
          <p className="mt-5 text-sm" data-testid="end-reason">
            {endReasonText(job.end_reason)}
          </p>
        )}
        {!!job.interruptions?.length && (
          <ul className="mt-3 space-y-1 text-sm text-warning" aria-label="Interruptions" data-testid="interruptions">
            {job.interruptions.map((i) => (
              <li key={i.started_at}>
                at {formatDuration(i.at_s)}:{" "}
                {i.gap_s === null ? "waiting for the stream to come back…" : `${i.gap_s.toFixed(1)} s missing (the stream was not delivering)`}
              </li>
            ))}
          </ul>
        )}
        {!!job.ad_breaks?.length && (
          <ul className="mt-3 space-y-1 text-sm" aria-label="Ad breaks" data-testid="ad-breaks">
            {job.ad_breaks.map((b) => (
              <li key={b.at_s}>
                at {formatDuration(b.at_s)}: an ad break of {b.duration_s.toFixed(1)} s left out
              </li>
            ))}
          </ul>
        )}
        {job.warnings?.map((w) => (
          <p key={w} className="mt-3 text-sm text-warning">
            {w}
          </p>
        ))}

        <dl className="mt-6 border-t border-border pt-4">
          <Row label="Size">{formatBytes(job.recording?.size ?? job.bytes)}</Row>
          <Row label="Duration">{formatDuration(job.duration_s)}</Row>
          <Row label="Bitrate">{formatBitrate(job.bytes, job.duration_s)}</Row>
          <Row label="Quality">{qualityText(job.format)}</Row>
          {job.media && <Row label="Recorded">{mediaText(job.media)}</Row>}
          {hb && <Row label="Heartbeat">{hb.text}</Row>}
          {job.recording && (
            <>
              <Row label="File">{job.recording.key}</Row>
              <Row label="SHA-256">
                <span className="font-mono text-xs">{job.recording.sha256}</span>
              </Row>
            </>
          )}
          {job.torrent?.seeding && (
            <Row label="Seeding">
              {job.torrent.seeding.state}, {job.torrent.seeding.peers} peers, {formatBytes(job.torrent.seeding.uploaded)} up, ratio{" "}
              {job.torrent.seeding.ratio.toFixed(2)}
            </Row>
          )}
        </dl>

        <div className="mt-6 flex flex-wrap gap-2">
          {job.recording && (
            <Button asChild variant="outline" size="sm">
              <a href={api.recordingUrl(job.id, job.recording.url)} download data-testid="download-recording">
                <Download /> Recording
              </a>
            </Button>
          )}
          {onPin && !job.recording_deleted_at && (
            <Button
              variant="outline"
              size="sm"
              aria-pressed={!!job.pinned}
              title={job.pinned ? "Retention keeps this recording" : "Keep this recording whatever its age or the storage budget"}
              onClick={() => onPin(job.id, !job.pinned).catch((e) => setError(e instanceof Error ? e.message : String(e)))}
              data-testid="pin"
            >
              {job.pinned ? <PinOff /> : <Pin />} {job.pinned ? "Unpin" : "Pin"}
            </Button>
          )}
          {job.torrent && (
            <>
              <Button asChild variant="outline" size="sm">
                <a href={api.torrentUrl(job.id, job.torrent.url)} download data-testid="download-torrent">
                  <Magnet /> .torrent
                </a>
              </Button>
              <Button
                variant="outline"
                size="sm"
                onClick={() => copyText(job.torrent!.magnet).then(() => setCopied(true), () => undefined)}
              >
                <Copy /> {copied ? "Copied" : "Copy magnet"}
              </Button>
            </>
          )}
        </div>

        <div className="mt-8 border-t border-border pt-4">
          {confirm ? (
            <div className="space-y-3" role="alertdialog">
              <p className="text-sm">
                {confirm === "stop"
                  ? job.status === "pending" || job.status === "waiting"
                    ? "Cancel this job?"
                    : "Stop recording? What was recorded so far is kept."
                  : "Delete this job and its files? This cannot be undone."}
              </p>
              <div className="flex gap-2">
                <Button variant="destructive" size="sm" onClick={() => act(confirm)} data-testid="confirm">
                  Yes, {confirm}
                </Button>
                <Button variant="ghost" size="sm" onClick={() => setConfirm(null)}>
                  Keep it
                </Button>
              </div>
            </div>
          ) : isActive(job.status) ? (
            <Button variant="destructive" size="sm" onClick={() => setConfirm("stop")} disabled={job.stop_requested} data-testid="stop">
              <Square /> {job.stop_requested ? "Stopping…" : job.status === "pending" || job.status === "waiting" ? "Cancel" : "Stop"}
            </Button>
          ) : (
            <Button variant="destructive" size="sm" onClick={() => setConfirm("delete")} data-testid="delete">
              <Trash2 /> Delete
            </Button>
          )}
          {error && <p className="mt-3 text-sm text-danger">{error}</p>}
        </div>
      </DialogContent>
    </Dialog>
  );
}
