import { Badge, type BadgeProps } from "@/components/ui/badge";
import { formatClock, isActive, statusLabel } from "@/lib/format";
import { useServer } from "@/lib/server";
import type { JobStatus } from "@/lib/types";

const TONES: Record<JobStatus, BadgeProps["tone"]> = {
  pending: "neutral",
  waiting: "info",
  starting: "info",
  recording: "live",
  uploading: "info",
  completed: "success",
  failed: "danger",
  canceled: "neutral",
};

// An active state shown while the server cannot be reached may be over already: it is drawn
// dashed and says as of when it is known.
export function StatusBadge({ status }: { status: JobStatus }) {
  const { unreachableSince, backend } = useServer();
  const stale = unreachableSince !== null && isActive(status);
  return (
    <Badge
      tone={TONES[status]}
      data-testid="status-badge"
      data-status={status}
      data-stale={stale || undefined}
      className={stale ? "border-dashed opacity-60" : undefined}
      title={stale ? `${statusLabel(status, backend)} as of ${formatClock(unreachableSince)}: the server cannot be reached` : undefined}
    >
      {status === "recording" && !stale && <span className="live-dot size-2 rounded-full bg-live" aria-hidden />}
      {statusLabel(status, backend)}
      {stale && <span className="sr-only"> (as of {formatClock(unreachableSince)})</span>}
    </Badge>
  );
}
