import { memo } from "react";
import { Pin } from "lucide-react";
import { Card } from "@/components/ui/card";
import {
  endReasonText,
  formatClock,
  formatBitrate,
  formatBytes,
  formatDuration,
  gapsSummary,
  heartbeatAge,
  isActive,
  mediaSilence,
  thumbnailSrc,
  waitingText,
} from "@/lib/format";
import { useServer } from "@/lib/server";
import type { Job } from "@/lib/types";
import { StatusBadge } from "./StatusBadge";

// Memoized: the list re-renders each second for the heartbeat ages, and only cards whose job or
// `now` changed (the active ones) render again.
export const JobCard = memo(function JobCard({
  job,
  now,
  onOpen,
  doomed,
}: {
  job: Job;
  now: number;
  onOpen: (id: string, card: HTMLElement) => void;
  /** Why the next retention pass deletes this recording, when it does. */
  doomed?: string;
}) {
  const { unreachableSince } = useServer();
  // While the server cannot be reached, a heartbeat's age says nothing about the recorder.
  const stale = unreachableSince !== null && isActive(job.status);
  const hb = isActive(job.status) && job.status !== "waiting" && !stale ? heartbeatAge(job.heartbeat_at, now) : null;
  const waiting = waitingText(job, now);
  const label = job.name || job.title || job.url;
  const silence = mediaSilence(job, now);
  const gaps = gapsSummary(job);
  const ending = job.end_reason && job.end_reason !== "stream_ended" ? endReasonText(job.end_reason) : null;
  const still = thumbnailSrc(job, now);
  return (
    <Card
      role="button"
      tabIndex={0}
      onClick={(e) => onOpen(job.id, e.currentTarget)}
      onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && onOpen(job.id, e.currentTarget)}
      className="cursor-pointer p-4 transition-colors [contain-intrinsic-size:auto_200px] [content-visibility:auto] hover:bg-card-hover"
      data-testid="job-card"
      data-job-id={job.id}
    >
      {still && (
        <div className="relative -mx-4 -mt-4 mb-3 aspect-video overflow-hidden rounded-t-[inherit] bg-black">
          <img
            src={still}
            alt=""
            loading="lazy"
            decoding="async"
            width={640}
            height={360}
            className="size-full object-cover"
            data-testid="job-thumbnail"
          />
          {job.thumbnail?.live && (
            <span className="absolute left-2 top-2 rounded bg-danger px-1.5 py-0.5 text-[10px] font-semibold uppercase text-white">
              live
            </span>
          )}
        </div>
      )}
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <h2 className="truncate font-medium" title={label}>
            {label}
          </h2>
          {/* A job with neither name nor title is shown by its URL: once. */}
          {label !== job.url && (
            <p className="truncate text-xs text-muted" title={job.url}>
              {job.url}
            </p>
          )}
        </div>
        <div className="flex shrink-0 items-center gap-1.5">
          {job.pinned && (
            <Pin className="size-3.5 text-muted" aria-label="pinned: retention keeps it" data-testid="pinned" />
          )}
          <StatusBadge status={job.status} />
        </div>
      </div>
      <dl className="mt-4 grid grid-cols-3 gap-2 text-sm">
        <div>
          <dt className="text-xs text-muted">Size</dt>
          <dd className="font-mono tabular-nums" data-testid="job-bytes" data-bytes={job.bytes}>
            {formatBytes(job.bytes)}
          </dd>
        </div>
        <div>
          <dt className="text-xs text-muted">Duration</dt>
          <dd className="font-mono tabular-nums">{formatDuration(job.duration_s)}</dd>
        </div>
        <div>
          <dt className="text-xs text-muted">Bitrate</dt>
          <dd className="font-mono tabular-nums">{formatBitrate(job.bytes, job.duration_s)}</dd>
        </div>
      </dl>
      {hb && (
        <p className={`mt-3 text-xs ${hb.stale ? "text-warning" : "text-muted"}`} data-testid="heartbeat">
          {hb.stale ? "⚠ heartbeat stale: " : "heartbeat "}
          {hb.text}
        </p>
      )}
      {stale && (
        <p className="mt-3 text-xs text-muted" data-testid="job-stale">
          as of {formatClock(unreachableSince)}: the server cannot be reached
        </p>
      )}
      {waiting && (
        <p className="mt-3 text-xs text-info" data-testid="job-waiting" title={job.waiting_reason ?? undefined}>
          {waiting}
        </p>
      )}
      {silence && (
        <p className="mt-2 text-xs text-warning" data-testid="media-silence">
          ⚠ {silence.text}
        </p>
      )}
      {(gaps || ending) && (
        <p className="mt-2 text-xs text-warning" data-testid="job-gaps">
          {[ending, gaps].filter(Boolean).join(" · ")}
        </p>
      )}
      {doomed && (
        <p className="mt-2 text-xs text-warning" data-testid="job-doomed" title={doomed}>
          ⚠ the next retention pass deletes this recording: pin it to keep it
        </p>
      )}
      {job.error && (
        <p className="mt-3 rounded-md bg-danger-bg px-3 py-2 text-xs text-danger" data-testid="job-error">
          {job.error.message}
        </p>
      )}
    </Card>
  );
});
