import { Badge, type BadgeProps } from "@/components/ui/badge";
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

export function StatusBadge({ status }: { status: JobStatus }) {
  return (
    <Badge tone={TONES[status]} data-testid="status-badge" data-status={status}>
      {status === "recording" && <span className="live-dot size-2 rounded-full bg-live" aria-hidden />}
      {status}
    </Badge>
  );
}
