import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { Pencil, Plus } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input, Label } from "@/components/ui/input";
import { api, ApiError } from "@/lib/api";
import { validateName, validateUrl } from "@/lib/format";
import type { Channel, ChannelRequest } from "@/lib/types";
import { FormError, QualityField, UrlFields, useSending } from "./UrlFields";

const INTERVALS = [
  { label: "every 30 s", seconds: 30 },
  { label: "every minute", seconds: 60 },
  { label: "every 2 minutes", seconds: 120 },
  { label: "every 5 minutes", seconds: 300 },
  { label: "every 15 minutes", seconds: 900 },
  { label: "every hour", seconds: 3600 },
];

export const DEFAULT_NAME_FORMAT = "{channel} {date:%Y-%m-%d %H%M}";

type Preview = (nameFormat: string, channelName: string) => Promise<{ name: string }>;

// What a channel's recordings will be called, as the server renders it (its clock, its rules for
// unsafe characters): asked a moment after the typing stops.
function NameFormatField({
  id,
  value,
  onChange,
  channelName,
  preview,
}: {
  id: string;
  value: string;
  onChange: (v: string) => void;
  channelName: string;
  preview: Preview;
}) {
  const [shown, setShown] = useState<{ name?: string; error?: string }>({});
  useEffect(() => {
    let current = true;
    const t = setTimeout(() => {
      preview(value.trim() || DEFAULT_NAME_FORMAT, channelName || "channel")
        .then((r) => current && setShown({ name: r.name }))
        .catch((e) => current && setShown(e instanceof ApiError && e.status === 400 ? { error: e.message } : {}));
    }, 250);
    return () => {
      current = false;
      clearTimeout(t);
    };
  }, [value, channelName, preview]);
  return (
    <div className="space-y-1.5">
      <Label htmlFor={id}>Recording names</Label>
      <Input
        id={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={DEFAULT_NAME_FORMAT}
        className="font-mono"
        aria-describedby={`${id}-preview`}
        data-testid="name-format"
      />
      <p id={`${id}-preview`} className="min-h-4 break-all text-xs" data-testid="name-preview">
        {shown.error ? (
          <span className="text-danger">{shown.error}</span>
        ) : shown.name ? (
          <span className="text-muted">
            A recording starting now: <span className="text-foreground">{shown.name}</span>
          </span>
        ) : (
          <span className="text-muted">{"{channel}, {title} and {date:%Y-%m-%d %H%M} (UTC) are filled in."}</span>
        )}
      </p>
    </div>
  );
}

interface ChannelFields {
  name: string;
  prefix: string;
  nameFormat: string;
  quality: string;
  pollInterval: number;
  chat: boolean;
}

const fieldsOf = (c?: Channel): ChannelFields => ({
  name: c?.name ?? "",
  prefix: c?.prefix ?? "",
  nameFormat: c?.name_format ?? "",
  quality: c?.format ?? "best",
  pollInterval: c?.poll_interval_s ?? 60,
  chat: c?.chat ?? true,
});

// The fields a channel has beside its URL, for adding and for editing.
function ChannelFieldsForm({
  idPrefix,
  fields,
  setFields,
  preview,
  urlPart,
  error,
  busy,
  submitLabel,
  onSubmit,
}: {
  idPrefix: string;
  fields: ChannelFields;
  setFields: (update: (old: ChannelFields) => ChannelFields) => void;
  preview: Preview;
  urlPart: ReactNode;
  error: string | null;
  busy: boolean;
  submitLabel: string;
  onSubmit: (e: FormEvent) => void;
}) {
  const set = (f: Partial<ChannelFields>) => setFields((old) => ({ ...old, ...f }));
  // An interval set through the API may be none of the choices: it stays one.
  const intervals = INTERVALS.some((i) => i.seconds === fields.pollInterval)
    ? INTERVALS
    : [...INTERVALS, { label: `every ${fields.pollInterval} s`, seconds: fields.pollInterval }];
  return (
    <form onSubmit={onSubmit} className="mt-5 space-y-4" noValidate>
      {urlPart}
      <NameFormatField
        id={`${idPrefix}name-format`}
        value={fields.nameFormat}
        onChange={(nameFormat) => set({ nameFormat })}
        channelName={fields.name}
        preview={preview}
      />
      <QualityField id={`${idPrefix}quality`} value={fields.quality} onChange={(quality) => set({ quality })} />
      <div className="space-y-1.5">
        <Label htmlFor={`${idPrefix}interval`}>Check</Label>
        <select
          id={`${idPrefix}interval`}
          value={fields.pollInterval}
          onChange={(e) => set({ pollInterval: Number(e.target.value) })}
          className="h-10 w-full rounded-md border border-border bg-background px-3 text-sm"
          data-testid="channel-interval"
        >
          {intervals.map((i) => (
            <option key={i.seconds} value={i.seconds}>
              {i.label}
            </option>
          ))}
        </select>
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={fields.chat}
          onChange={(e) => set({ chat: e.target.checked })}
          className="h-4 w-4 accent-primary"
          data-testid="channel-chat"
        />
        Record the live chat (Twitch, YouTube)
      </label>
      <FormError id={`${idPrefix}error`} testId="channel-error" message={error} />
      <div className="flex justify-end gap-2">
        <Button type="submit" disabled={busy} data-testid="submit-channel">
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}

export function AddChannelDialog({
  add,
  onAdded,
  preview = api.previewName,
}: {
  add: (req: ChannelRequest) => Promise<Channel>;
  onAdded: (channel: Channel) => void;
  preview?: Preview;
}) {
  const [open, setOpen] = useState(false);
  const [url, setUrl] = useState("");
  const [fields, setFields] = useState(fieldsOf());
  const { busy, error, setError, send } = useSending();

  const reset = () => {
    setUrl("");
    setFields(fieldsOf());
    setError(null);
  };

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    const problem = validateUrl(url) ?? validateName(fields.name);
    if (problem) {
      setError(problem.replace("a live stream", "the channel"));
      return;
    }
    await send(async () => {
      const channel = await add({
        url: url.trim(),
        name: fields.name.trim() || undefined,
        prefix: fields.prefix.trim() || undefined,
        name_format: fields.nameFormat.trim() || undefined,
        poll_interval_s: fields.pollInterval,
        chat: fields.chat ? undefined : false,
        format: fields.quality.trim() && fields.quality !== "best" ? fields.quality.trim() : undefined,
      });
      onAdded(channel);
      reset();
      setOpen(false);
    });
  }

  return (
    <Dialog open={open} onOpenChange={(o) => (setOpen(o), o || reset())}>
      <DialogTrigger asChild>
        <Button data-testid="add-channel">
          <Plus /> <span className="max-[400px]:sr-only">Add channel</span>
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogTitle>Add a channel</DialogTitle>
        <DialogDescription>
          chronicle checks the channel regularly and records every live session, each as a recording of its own.
        </DialogDescription>
        <ChannelFieldsForm
          idPrefix="channel-"
          fields={fields}
          setFields={setFields}
          preview={preview}
          error={error}
          busy={busy}
          submitLabel={busy ? "Adding…" : "Watch"}
          onSubmit={onSubmit}
          urlPart={
            <UrlFields
              idPrefix="channel-"
              urlLabel="Channel URL"
              urlPlaceholder="https://example.com/channel/live"
              namePlaceholder="the evening show"
              folderPlaceholder="shows"
              url={url}
              onUrl={(v) => (setUrl(v), setError(null))}
              name={fields.name}
              onName={(name) => setFields((old) => ({ ...old, name }))}
              prefix={fields.prefix}
              onPrefix={(prefix) => setFields((old) => ({ ...old, prefix }))}
              errorId="channel-error"
              invalid={error !== null}
            />
          }
        />
      </DialogContent>
    </Dialog>
  );
}

// Everything but the URL (a channel is its URL: another one is another channel).
export function EditChannelDialog({
  channel,
  save,
  preview = api.previewName,
}: {
  channel: Channel;
  save: (req: ChannelRequest) => Promise<unknown>;
  preview?: Preview;
}) {
  const [open, setOpen] = useState(false);
  const [fields, setFields] = useState(fieldsOf(channel));
  const { busy, error, setError, send } = useSending();

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    const problem = validateName(fields.name);
    if (problem) {
      setError(problem);
      return;
    }
    // Only what changed: a field left alone keeps what another client may have set meanwhile.
    const before = fieldsOf(channel);
    const req: ChannelRequest = {};
    if (fields.name.trim() !== before.name) req.name = fields.name.trim();
    if (fields.prefix.trim() !== before.prefix) req.prefix = fields.prefix.trim();
    if ((fields.nameFormat.trim() || DEFAULT_NAME_FORMAT) !== before.nameFormat)
      req.name_format = fields.nameFormat.trim() || DEFAULT_NAME_FORMAT;
    if (fields.quality.trim() !== before.quality) req.format = fields.quality.trim() || "best";
    if (fields.pollInterval !== before.pollInterval) req.poll_interval_s = fields.pollInterval;
    if (fields.chat !== before.chat) req.chat = fields.chat;
    await send(async () => {
      if (Object.keys(req).length > 0) await save(req);
      setOpen(false);
    });
  }

  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        setOpen(o);
        if (o) {
          setFields(fieldsOf(channel));
          setError(null);
        }
      }}
    >
      <DialogTrigger asChild>
        <Button variant="outline" size="sm" data-testid="edit-channel">
          <Pencil /> Edit
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogTitle>Edit {channel.name}</DialogTitle>
        <DialogDescription>Changes apply from the next check; a recording in progress keeps its name.</DialogDescription>
        <ChannelFieldsForm
          idPrefix="edit-channel-"
          fields={fields}
          setFields={setFields}
          preview={preview}
          error={error}
          busy={busy}
          submitLabel={busy ? "Saving…" : "Save"}
          onSubmit={onSubmit}
          urlPart={
            <>
              <div className="space-y-1.5">
                <Label htmlFor="edit-channel-url">Channel URL</Label>
                <Input id="edit-channel-url" value={channel.url} readOnly className="text-muted" />
              </div>
              <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
                <div className="space-y-1.5">
                  <Label htmlFor="edit-channel-name">Name</Label>
                  <Input
                    id="edit-channel-name"
                    autoFocus
                    value={fields.name}
                    onChange={(e) => setFields((old) => ({ ...old, name: e.target.value }))}
                    data-testid="edit-channel-name"
                  />
                </div>
                <div className="space-y-1.5">
                  <Label htmlFor="edit-channel-prefix">Folder (optional)</Label>
                  <Input
                    id="edit-channel-prefix"
                    value={fields.prefix}
                    onChange={(e) => setFields((old) => ({ ...old, prefix: e.target.value }))}
                  />
                </div>
              </div>
            </>
          }
        />
      </DialogContent>
    </Dialog>
  );
}
