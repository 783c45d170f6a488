import { useState } from "react";
import { Pause, Play, RefreshCw, Trash2 } from "lucide-react";
import { Badge, type BadgeProps } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { channelState, formatBytes, formatClock, formatDuration, formatTime, intervalText, relativeTime } from "@/lib/format";
import { useServer } from "@/lib/server";
import type { Channel, ChannelRequest, Job } from "@/lib/types";
import { EditChannelDialog } from "./AddChannelDialog";
import { StatusBadge } from "./StatusBadge";

const TONES: Record<ReturnType<typeof channelState>, BadgeProps["tone"]> = {
  unknown: "neutral",
  offline: "neutral",
  upcoming: "info",
  live: "info",
  recording: "live",
  error: "danger",
  paused: "neutral",
};

export function ChannelStateBadge({ channel }: { channel: Channel }) {
  const state = channelState(channel);
  const { unreachableSince } = useServer();
  const stale = unreachableSince !== null && state !== "paused";
  return (
    <Badge
      tone={TONES[state]}
      data-testid="channel-state"
      data-state={state}
      data-stale={stale || undefined}
      className={stale ? "shrink-0 border-dashed opacity-60" : "shrink-0"}
      title={stale ? `${state} as of ${formatClock(unreachableSince)}: the server cannot be reached` : undefined}
    >
      {state === "recording" && !stale && <span className="live-dot size-2 rounded-full bg-live" aria-hidden />}
      {state === "unknown" ? "not checked yet" : state}
    </Badge>
  );
}

function ChannelCard({
  channel,
  jobs,
  now,
  onOpenJob,
  onPause,
  onCheck,
  onRemove,
  onEdit,
}: {
  channel: Channel;
  jobs: Job[];
  now: number;
  onOpenJob: (id: string) => void;
  onEdit: (req: ChannelRequest) => Promise<unknown>;
  onPause: (enabled: boolean) => Promise<unknown>;
  onCheck: () => Promise<unknown>;
  onRemove: () => Promise<unknown>;
}) {
  const [confirm, setConfirm] = useState(false);
  const { unreachableSince } = useServer();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = async (what: string, action: () => Promise<unknown>) => {
    setBusy(what);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <Card className="p-4" data-testid="channel-card" data-channel-id={channel.id}>
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <h2 className="truncate font-medium" title={channel.name}>
            {channel.name}
          </h2>
          <p className="truncate text-xs text-muted" title={channel.url}>
            {channel.url}
          </p>
        </div>
        <ChannelStateBadge channel={channel} />
      </div>
      <p className="mt-3 text-xs text-muted" data-testid="channel-checked" title={channel.last_result ?? undefined}>
        {intervalText(channel.poll_interval_s)} · checked {relativeTime(channel.last_check_at, now)}
        {/* The next check is the server's to make: while it cannot be reached, none is due. */}
        {unreachableSince !== null
          ? ` · as of ${formatClock(unreachableSince)}`
          : channel.enabled && channel.next_check_at
            ? ` · next ${relativeTime(channel.next_check_at, now)}`
            : ""}
      </p>
      {channel.state === "offline" && channel.enabled && channel.last_result && (
        <p className="mt-1 truncate text-xs text-muted" data-testid="channel-result" title={channel.last_result}>
          {channel.last_result}
        </p>
      )}
      {channel.scheduled_start && (
        <p className="mt-1 text-xs text-info">announced for {formatTime(channel.scheduled_start)}</p>
      )}
      {channel.skip_until_offline && (
        <p className="mt-1 text-xs text-muted">This session was stopped by hand; the next one will be recorded.</p>
      )}
      {channel.last_error && (
        <p className="mt-3 rounded-md bg-danger-bg px-3 py-2 text-xs text-danger" data-testid="channel-error-text">
          {channel.last_error.message}
        </p>
      )}
      <ul className="mt-3 space-y-1.5 border-t border-border pt-3" aria-label={`Recordings of ${channel.name}`} data-testid="channel-jobs">
        {jobs.length === 0 ? (
          <li className="text-xs text-muted">No recordings yet.</li>
        ) : (
          jobs.slice(0, 5).map((j) => (
            <li key={j.id}>
              <button
                className="flex w-full items-center gap-2 rounded px-1 py-0.5 text-left text-sm hover:bg-subtle"
                onClick={() => onOpenJob(j.id)}
                data-testid="channel-job"
                data-job-id={j.id}
              >
                <StatusBadge status={j.status} />
                <span className="min-w-0 flex-1 truncate">{j.name || j.title || j.id}</span>
                <span className="font-mono text-xs tabular-nums text-muted">
                  {formatBytes(j.recording?.size ?? j.bytes)} · {formatDuration(j.duration_s)}
                </span>
              </button>
            </li>
          ))
        )}
        {jobs.length > 5 && <li className="text-xs text-muted">and {jobs.length - 5} more</li>}
      </ul>
      <div className="mt-3 flex flex-wrap gap-2">
        {confirm ? (
          <div className="flex w-full flex-wrap items-center gap-2" role="alertdialog">
            <span className="text-sm">Stop watching? Its recordings stay.</span>
            <Button variant="destructive" size="sm" onClick={() => act("remove", onRemove)} data-testid="confirm-remove">
              Yes, remove
            </Button>
            <Button variant="ghost" size="sm" onClick={() => setConfirm(false)}>
              Keep it
            </Button>
          </div>
        ) : (
          <>
            <Button variant="outline" size="sm" disabled={busy !== null} onClick={() => act("check", onCheck)} data-testid="check-channel">
              <RefreshCw className={busy === "check" ? "animate-spin" : ""} /> Check now
            </Button>
            <Button
              variant="outline"
              size="sm"
              disabled={busy !== null}
              onClick={() => act("pause", () => onPause(!channel.enabled))}
              data-testid="pause-channel"
            >
              {channel.enabled ? (
                <>
                  <Pause /> Pause
                </>
              ) : (
                <>
                  <Play /> Resume
                </>
              )}
            </Button>
            <EditChannelDialog channel={channel} save={onEdit} />
            <Button variant="ghost" size="sm" onClick={() => setConfirm(true)} data-testid="remove-channel">
              <Trash2 /> Remove
            </Button>
          </>
        )}
      </div>
      {error && <p className="mt-2 text-xs text-danger">{error}</p>}
    </Card>
  );
}

export function ChannelsView({
  channels,
  jobs,
  now,
  onOpenJob,
  onPause,
  onCheck,
  onRemove,
  onEdit,
}: {
  channels: Channel[];
  jobs: Job[];
  now: number;
  onOpenJob: (id: string) => void;
  onEdit: (id: string, req: ChannelRequest) => Promise<unknown>;
  onPause: (id: string, enabled: boolean) => Promise<unknown>;
  onCheck: (id: string) => Promise<unknown>;
  onRemove: (id: string) => Promise<unknown>;
}) {
  if (channels.length === 0)
    return (
      <div className="rounded-xl border border-dashed border-border px-6 py-20 text-center" data-testid="channels-empty">
        <p className="font-medium">No channels yet</p>
        <p className="mt-1 text-sm text-muted">Add a channel and chronicle records it every time it goes live.</p>
      </div>
    );
  return (
    <section className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-label="Channels">
      {channels.map((c) => (
        <ChannelCard
          key={c.id}
          channel={c}
          jobs={jobs.filter((j) => j.channel_id === c.id)}
          now={now}
          onOpenJob={onOpenJob}
          onPause={(enabled) => onPause(c.id, enabled)}
          onCheck={() => onCheck(c.id)}
          onRemove={() => onRemove(c.id)}
          onEdit={(req) => onEdit(c.id, req)}
        />
      ))}
    </section>
  );
}
