import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { ArrowDown, MessageSquare } from "lucide-react";
import { Button } from "@/components/ui/button";
import { api, ApiError } from "@/lib/api";
import type { ChatRecord, Job } from "@/lib/types";
import {
  CHUNK_S,
  authorColour,
  chunkOf,
  contiguousRecords,
  countUpTo,
  displayText,
  rowsOf,
  textParts,
  type ChatChunk,
  type ChatRow,
} from "./chatReplay";
import { positionText } from "./Player";

// A window of a recording in progress is fetched again this often while playback is in it.
const LIVE_REFRESH_MS = 2000;

/**
 * The live chat beside the player, in step with playback: what was said up to the position shown,
 * newest at the bottom, following along until the viewer scrolls up. The chat is fetched a minute
 * of the timeline at a time around the position (and again while a recording in progress writes
 * into it), and only the rows in view are rendered.
 */
export function ChatReplay({ job, position, onSeek }: { job: Job; position: number; onSeek: (at_s: number) => void }) {
  const [chunks, setChunks] = useState<Map<number, ChatChunk>>(() => new Map());
  const [failure, setFailure] = useState<string | null>(null);
  const [follow, setFollow] = useState(true);
  const inFlight = useRef(new Set<string>());
  const scroller = useRef<HTMLDivElement | null>(null);
  const recording = job.status === "recording" || job.status === "uploading";
  const chat = job.chat;
  const signed = chat?.url ?? undefined;
  const here = chunkOf(position);

  // What the loader reads when it runs (from an interval, not a render): the latest of each.
  const latest = useRef({ position, here, recording, duration: job.duration_s, signed, chunks, jobId: job.id });
  latest.current = { position, here, recording, duration: job.duration_s, signed, chunks, jobId: job.id };

  // The windows around the position: this one, the one before (what led up to it), and the next
  // when playback is near its end. A window a recording in progress may still write into is asked
  // for again every LIVE_REFRESH_MS. An answer for a job no longer shown is dropped.
  const load = useCallback(() => {
    const { position, here, recording, duration, signed, chunks, jobId } = latest.current;
    const want = [here - 1, here, position - here * CHUNK_S > CHUNK_S - 10 ? here + 1 : -1].filter((k) => k >= 0);
    for (const k of want) {
      const have = chunks.get(k);
      if (have && (have.complete || Date.now() - have.fetchedAt < LIVE_REFRESH_MS)) continue;
      const flight = `${jobId}/${k}`;
      if (inFlight.current.has(flight)) continue;
      inFlight.current.add(flight);
      api
        .chatWindow(jobId, k * CHUNK_S, (k + 1) * CHUNK_S, signed)
        .then((records) => {
          if (latest.current.jobId !== jobId) return;
          setFailure(null);
          setChunks((old) => {
            const next = new Map(old);
            next.set(k, { records, fetchedAt: Date.now(), complete: !recording || (k + 1) * CHUNK_S + 10 < duration });
            return next;
          });
        })
        .catch((e) => {
          if (latest.current.jobId !== jobId) return;
          setFailure(e instanceof Error ? e.message : String(e));
          // Asked again at the live pace, not at every tick (and not at all when a finished job
          // has none): what it had stays shown meanwhile.
          const settled = !recording && e instanceof ApiError && e.status === 404;
          setChunks((old) => {
            const next = new Map(old);
            next.set(k, { records: old.get(k)?.records ?? [], fetchedAt: Date.now(), complete: settled });
            return next;
          });
        })
        .finally(() => inFlight.current.delete(flight));
    }
  }, []);

  const hasChat = !!chat;
  useEffect(() => {
    setChunks(new Map());
    if (!hasChat) return;
    const timer = setInterval(load, 500);
    return () => clearInterval(timer);
  }, [job.id, hasChat, load]);
  useEffect(() => {
    if (hasChat) load();
  }, [here, hasChat, chunks, load]);

  const records = useMemo(() => contiguousRecords(chunks, position), [chunks, here]); // eslint-disable-line react-hooks/exhaustive-deps
  const shown = countUpTo(records, position);
  const rows = useMemo(() => rowsOf(records, shown), [records, shown]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 24,
    overscan: 12,
  });

  // Following: the newest row stays in view as playback moves and new messages arrive.
  useEffect(() => {
    if (follow && rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: "end" });
  }, [follow, rows.length, virtualizer]);

  if (!chat) return null;
  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - 32;
    if (atBottom !== follow) setFollow(atBottom);
  };

  return (
    <section aria-label="Chat" className="flex min-h-0 flex-col rounded-md border border-border" data-testid="chat-replay">
      <header className="flex items-center gap-2 border-b border-border px-3 py-2 text-xs text-muted">
        <MessageSquare className="size-3.5" />
        <span className="font-semibold text-foreground">Chat</span>
        <span data-testid="chat-count">
          {chat.messages.toLocaleString()} messages{chat.state === "recording" ? ", recording" : ""}
        </span>
        {chat.url && (
          <a className="ml-auto text-primary underline-offset-2 hover:underline" href={api.chatUrl(job.id, signed)} download>
            NDJSON
          </a>
        )}
      </header>
      {chat.state === "failed" && chat.error && (
        <p className="px-3 py-2 text-xs text-warning" data-testid="chat-error">
          {chat.error.message}
        </p>
      )}
      {failure && <p className="px-3 py-2 text-xs text-warning">{failure}</p>}
      <div className="relative min-h-0 flex-1">
        <div ref={scroller} onScroll={onScroll} className="h-72 overflow-y-auto lg:h-full" data-testid="chat-scroller">
          {rows.length === 0 ? (
            <p className="px-3 py-4 text-center text-xs text-muted">Nothing said yet at {positionText(position)}.</p>
          ) : (
            <ol className="relative w-full" style={{ height: virtualizer.getTotalSize() }} aria-label="Chat messages">
              {virtualizer.getVirtualItems().map((item) => (
                <li
                  key={item.key}
                  data-index={item.index}
                  ref={virtualizer.measureElement}
                  className="absolute left-0 top-0 w-full"
                  style={{ transform: `translateY(${item.start}px)` }}
                >
                  <Row row={rows[item.index]} onSeek={onSeek} />
                </li>
              ))}
            </ol>
          )}
        </div>
        {!follow && rows.length > 0 && (
          <Button
            size="sm"
            className="absolute bottom-2 left-1/2 h-7 -translate-x-1/2 shadow-lg"
            onClick={() => setFollow(true)}
            data-testid="chat-follow"
          >
            <ArrowDown /> Follow playback
          </Button>
        )}
      </div>
    </section>
  );
}

function Row({ row, onSeek }: { row: ChatRow; onSeek: (at_s: number) => void }) {
  const r = row.record;
  const time = (
    <button
      type="button"
      className="mr-1.5 font-mono text-[10px] text-muted hover:text-primary"
      onClick={() => onSeek(r.at_s)}
      title="Play from here"
    >
      {positionText(r.at_s)}
    </button>
  );
  if (r.type === "disconnected" || r.type === "connected" || r.type === "clear") {
    const said =
      r.type === "disconnected"
        ? `Chat lost here${r.reason ? ` (${displayText(r.reason, 120)})` : ""}: messages may be missing`
        : r.type === "connected"
          ? "Chat back"
          : r.login
            ? `Messages of ${displayText(r.login, 60)} removed`
            : "Chat cleared by a moderator";
    return (
      <div className="px-3 py-0.5 text-xs italic text-warning" data-testid="chat-event" data-type={r.type} data-at={r.at_s}>
        {time}
        {said}
      </div>
    );
  }
  const author = (
    <span className="font-semibold" style={{ color: authorColour(r) }} title={r.badges?.length ? r.badges.join(", ") : undefined}>
      <bdi>{displayText(r.author || r.login || "someone", 60)}</bdi>
    </span>
  );
  if (r.type === "notice")
    return (
      <div className="mx-1 my-0.5 rounded bg-primary/10 px-2 py-1 text-xs" data-testid="chat-row" data-type="notice" data-at={r.at_s}>
        {time}
        <bdi>{displayText(r.system_text || r.kind || "")}</bdi>
        {r.text && (
          <span className="block">
            {author}: <Text record={r} />
          </span>
        )}
      </div>
    );
  return (
    <div
      className={`break-words px-3 py-0.5 text-sm leading-5 ${row.deleted ? "text-muted line-through" : ""}`}
      data-testid="chat-row"
      data-id={r.id ?? undefined}
      data-at={r.at_s}
      data-deleted={row.deleted || undefined}
      title={row.deleted ? "Removed by a moderator" : undefined}
    >
      {time}
      {author}
      {r.action ? " " : ": "}
      {r.bits ? <span className="mr-1 rounded bg-info/15 px-1 text-xs text-info">{r.bits} bits</span> : null}
      {r.paid ? <span className="mr-1 rounded bg-warning/15 px-1 text-xs text-warning">{displayText(r.paid, 20)}</span> : null}
      <span className={r.action ? "italic" : undefined}>
        <Text record={r} />
      </span>
    </div>
  );
}

// Emotes are shown as their names: their images are on the sites' servers, which the dashboard
// does not ask (the viewer's address is theirs to give, not the archive's).
function Text({ record }: { record: ChatRecord }) {
  const parts = textParts(record.text ?? "", record.emotes);
  return (
    <bdi data-testid="chat-text">
      {parts.map((p, i) =>
        p.emote ? (
          <span key={i} className="rounded bg-border/70 px-1 font-mono text-xs" title={`emote ${p.emote}`} data-testid="chat-emote">
            {displayText(p.text, 60)}
          </span>
        ) : (
          <span key={i}>{displayText(p.text)}</span>
        ),
      )}
    </bdi>
  );
}
