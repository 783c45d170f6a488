import { useEffect, useState, type FormEvent } from "react";
import { ChevronDown, ChevronRight, Plus, Send, Trash2 } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Input, Label } from "@/components/ui/input";
import { api, ApiError } from "@/lib/api";
import { formatTime } from "@/lib/format";
import type { Delivery, Webhook, WebhookEvent, WebhookFormat } from "@/lib/types";
import { FormError } from "./UrlFields";

const EVENTS: { event: WebhookEvent; label: string }[] = [
  { event: "job.recording", label: "Recording started" },
  { event: "job.completed", label: "Recording completed" },
  { event: "job.failed", label: "Recording failed" },
  { event: "channel.live", label: "Channel went live" },
];

const FORMATS: { format: WebhookFormat; label: string; hint: string }[] = [
  { format: "json", label: "JSON", hint: "chronicle's own body, signed with the secret if you set one" },
  { format: "discord", label: "Discord", hint: "a Discord channel's webhook URL" },
  { format: "ntfy", label: "ntfy", hint: "an ntfy topic URL, e.g. https://ntfy.sh/your-topic" },
];

const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));

function deliveryOutcome(d: Delivery): string {
  const answer = d.last_error ?? (d.last_status ? `HTTP ${d.last_status}` : "");
  if (d.state === "delivered") return `delivered ${d.delivered_at ? formatTime(d.delivered_at) : ""}`.trim();
  if (d.state === "failed") return `gave up after ${d.attempts} attempts${answer ? `: ${answer}` : ""}`;
  if (d.attempts === 0) return "waiting to be sent";
  return `attempt ${d.attempts} failed${answer ? `: ${answer}` : ""}; next try ${d.next_attempt_at ? formatTime(d.next_attempt_at) : "soon"}`;
}

function Deliveries({ id }: { id: string }) {
  const [list, setList] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    let timer = 0;
    // Retries happen in the background; what the list shows follows them while it is open, soon
    // while something waits to be sent (a test just asked for), else every few seconds.
    const load = () =>
      api.getWebhook(id).then(
        (w) => {
          if (!live) return;
          const deliveries = w.deliveries ?? [];
          setList(deliveries);
          const waiting = deliveries.some((d) => d.state === "pending" && d.attempts === 0);
          timer = window.setTimeout(load, waiting ? 1000 : 5000);
        },
        (e) => live && setError(message(e)),
      );
    load();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [id]);
  if (error) return <p className="text-sm text-danger">{error}</p>;
  if (!list) return <p className="text-sm text-muted">Loading…</p>;
  if (list.length === 0) return <p className="text-sm text-muted" data-testid="no-deliveries">No deliveries yet.</p>;
  return (
    <ul className="divide-y divide-border text-sm" data-testid="deliveries">
      {list.map((d) => (
        <li key={d.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2" data-testid="delivery" data-state={d.state}>
          <Badge tone={d.state === "delivered" ? "success" : d.state === "failed" ? "danger" : "info"}>{d.state}</Badge>
          <span className="font-mono text-xs">{d.event}</span>
          <span className="text-xs text-muted">{formatTime(d.created_at)}</span>
          <span className="basis-full text-xs text-muted">{deliveryOutcome(d)}</span>
        </li>
      ))}
    </ul>
  );
}

// Webhooks: where chronicle POSTs what happens to recordings and channels (a receiver of your own,
// a Discord channel, an ntfy topic), with each webhook's last deliveries.
export function WebhooksView({ guarded }: { guarded: <T>(action: () => Promise<T>) => Promise<T> }) {
  const [list, setList] = useState<Webhook[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [tested, setTested] = useState(0); // remounts an open list of deliveries after a test
  const [url, setUrl] = useState("");
  const [format, setFormat] = useState<WebhookFormat>("json");
  const [events, setEvents] = useState<Set<WebhookEvent>>(new Set(EVENTS.map((e) => e.event)));
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = () =>
    api
      .listWebhooks()
      .then((r) => setList(r.webhooks))
      .catch((e) => setError(message(e)));
  useEffect(() => {
    load();
  }, []);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setNotice(null);
    if (!url.trim()) return setError("Enter the URL deliveries are sent to.");
    if (events.size === 0) return setError("Choose at least one event.");
    setBusy(true);
    try {
      const added = await guarded(() =>
        api.addWebhook({
          url: url.trim(),
          format,
          events: EVENTS.map((x) => x.event).filter((x) => events.has(x)),
          ...(format === "json" && secret ? { secret } : {}),
        }),
      );
      setUrl("");
      setSecret("");
      setNotice(`Added. Send a test to check that ${new URL(added.url).host} receives it.`);
      await load();
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }

  const toggle = (event: WebhookEvent) =>
    setEvents((s) => {
      const next = new Set(s);
      if (next.has(event)) next.delete(event);
      else next.add(event);
      return next;
    });

  return (
    <div className="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
      <section aria-label="Webhooks" className="space-y-3">
        {list?.length === 0 && (
          <div className="rounded-xl border border-dashed border-border px-6 py-16 text-center" data-testid="webhooks-empty">
            <p className="font-medium">No webhooks</p>
            <p className="mt-1 text-sm text-muted">Get told when a recording starts, completes or fails, or a channel goes live.</p>
          </div>
        )}
        {list?.map((w) => (
          <Card key={w.id} className="space-y-3 p-4" data-testid="webhook-row" data-id={w.id}>
            <div className="flex items-start justify-between gap-3">
              <div className="min-w-0">
                <h2 className="truncate font-medium" title={w.url}>
                  {w.url}
                </h2>
                <p className="mt-1 flex flex-wrap items-center gap-1.5 text-xs text-muted">
                  <Badge>{FORMATS.find((f) => f.format === w.format)?.label ?? w.format}</Badge>
                  {w.signed && <Badge tone="success">signed</Badge>}
                  <span data-testid="webhook-events">
                    {w.events.map((x) => EVENTS.find((e) => e.event === x)?.label ?? x).join(", ")}
                  </span>
                </p>
              </div>
              <div className="flex shrink-0 gap-1.5">
                <Button
                  variant="outline"
                  size="sm"
                  aria-label={`Send a test delivery to ${w.url}`}
                  data-testid="test-webhook"
                  onClick={() =>
                    guarded(() => api.testWebhook(w.id)).then(
                      () => (setNotice("A test delivery is on its way."), setOpen(w.id), setTested((n) => n + 1)),
                      (e) => setError(message(e)),
                    )
                  }
                >
                  <Send /> Test
                </Button>
                <Button
                  variant="outline"
                  size="sm"
                  aria-label={`Remove the webhook to ${w.url}`}
                  data-testid="delete-webhook"
                  onClick={() => guarded(() => api.removeWebhook(w.id)).then(load, (e) => setError(message(e)))}
                >
                  <Trash2 />
                </Button>
              </div>
            </div>
            <button
              className="flex items-center gap-1 text-sm text-muted hover:text-foreground"
              aria-expanded={open === w.id}
              onClick={() => setOpen(open === w.id ? null : w.id)}
              data-testid="show-deliveries"
            >
              {open === w.id ? <ChevronDown className="size-4" /> : <ChevronRight className="size-4" />} Last deliveries
            </button>
            {open === w.id && <Deliveries key={tested} id={w.id} />}
          </Card>
        ))}
      </section>
      <form onSubmit={onSubmit} className="space-y-4 rounded-xl border border-border p-4" noValidate>
        <h2 className="font-medium">Add a webhook</h2>
        <div className="space-y-1.5">
          <Label htmlFor="webhook-url">URL</Label>
          <Input id="webhook-url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/hooks/chronicle" />
        </div>
        <div className="space-y-1.5">
          <Label htmlFor="webhook-format">Format</Label>
          <select
            id="webhook-format"
            value={format}
            onChange={(e) => setFormat(e.target.value as WebhookFormat)}
            className="flex h-10 w-full rounded-md border border-border bg-background px-3 text-sm"
          >
            {FORMATS.map((f) => (
              <option key={f.format} value={f.format}>
                {f.label}
              </option>
            ))}
          </select>
          <p className="text-xs text-muted">{FORMATS.find((f) => f.format === format)?.hint}</p>
        </div>
        <fieldset className="space-y-1.5">
          <legend className="text-sm font-medium">Events</legend>
          {EVENTS.map((e) => (
            <label key={e.event} className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                checked={events.has(e.event)}
                onChange={() => toggle(e.event)}
                className="size-4 shrink-0 cursor-pointer rounded accent-primary"
                data-testid={`event-${e.event}`}
              />
              {e.label}
            </label>
          ))}
        </fieldset>
        {format === "json" && (
          <div className="space-y-1.5">
            <Label htmlFor="webhook-secret">Secret (optional)</Label>
            <Input
              id="webhook-secret"
              type="password"
              autoComplete="new-password"
              value={secret}
              onChange={(e) => setSecret(e.target.value)}
            />
            <p className="text-xs text-muted">Signs each delivery (X-Chronicle-Signature, HMAC-SHA256). Never shown again.</p>
          </div>
        )}
        <FormError id="webhook-error" testId="webhook-error" message={error} />
        {notice && (
          <p role="status" className="text-sm text-muted" data-testid="webhook-notice">
            {notice}
          </p>
        )}
        <Button type="submit" disabled={busy} data-testid="add-webhook">
          <Plus /> {busy ? "Adding…" : "Add webhook"}
        </Button>
      </form>
    </div>
  );
}
