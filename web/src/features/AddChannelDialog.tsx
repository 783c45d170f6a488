import { useState, type FormEvent } from "react";
import { Plus } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Label } from "@/components/ui/input";
import { ApiError } from "@/lib/api";
import { validateName, validateUrl } from "@/lib/format";
import type { Channel, ChannelRequest } from "@/lib/types";
import { FormError, QualityField, UrlFields } from "./UrlFields";

const INTERVALS = [
  { label: "every 30 s", seconds: 30 },
  { label: "every minute", seconds: 60 },
  { label: "every 2 minutes", seconds: 120 },
  { label: "every 5 minutes", seconds: 300 },
  { label: "every 15 minutes", seconds: 900 },
];

export function AddChannelDialog({
  add,
  onAdded,
}: {
  add: (req: ChannelRequest) => Promise<Channel>;
  onAdded: (channel: Channel) => void;
}) {
  const [open, setOpen] = useState(false);
  const [url, setUrl] = useState("");
  const [name, setName] = useState("");
  const [prefix, setPrefix] = useState("");
  const [pollInterval, setPollInterval] = useState(60);
  const [quality, setQuality] = useState("best");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const reset = () => {
    setUrl("");
    setName("");
    setPrefix("");
    setPollInterval(60);
    setQuality("best");
    setError(null);
  };

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    const problem = validateUrl(url) ?? validateName(name);
    if (problem) {
      setError(problem.replace("a live stream", "the channel"));
      return;
    }
    setBusy(true);
    try {
      const channel = await add({
        url: url.trim(),
        name: name.trim() || undefined,
        prefix: prefix.trim() || undefined,
        poll_interval_s: pollInterval,
        format: quality.trim() && quality !== "best" ? quality.trim() : undefined,
      });
      onAdded(channel);
      reset();
      setOpen(false);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={open} onOpenChange={(o) => (setOpen(o), o || reset())}>
      <DialogTrigger asChild>
        <Button data-testid="add-channel">
          <Plus /> Add channel
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogTitle>Add a channel</DialogTitle>
        <DialogDescription>
          chronicle checks the channel regularly and records every live session, each as a recording of its own.
        </DialogDescription>
        <form onSubmit={onSubmit} className="mt-5 space-y-4" noValidate>
          <UrlFields
            idPrefix="channel-"
            urlLabel="Channel URL"
            urlPlaceholder="https://example.com/channel/live"
            namePlaceholder="the evening show"
            folderPlaceholder="shows"
            url={url}
            onUrl={(v) => (setUrl(v), setError(null))}
            name={name}
            onName={setName}
            prefix={prefix}
            onPrefix={setPrefix}
            errorId="channel-error"
            invalid={error !== null}
          />
          <QualityField id="channel-quality" value={quality} onChange={setQuality} />
          <div className="space-y-1.5">
            <Label htmlFor="channel-interval">Check</Label>
            <select
              id="channel-interval"
              value={pollInterval}
              onChange={(e) => setPollInterval(Number(e.target.value))}
              className="h-10 w-full rounded-md border border-border bg-background px-3 text-sm"
            >
              {INTERVALS.map((i) => (
                <option key={i.seconds} value={i.seconds}>
                  {i.label}
                </option>
              ))}
            </select>
          </div>
          <FormError id="channel-error" testId="channel-error" message={error} />
          <div className="flex justify-end gap-2">
            <Button type="submit" disabled={busy} data-testid="submit-channel">
              {busy ? "Adding…" : "Watch"}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
