import { useState, type FormEvent } from "react";
import { Plus } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input, Label } from "@/components/ui/input";
import { ApiError, type SubmitRequest } from "@/lib/api";
import { validateName, validateUrl, WAIT_CHOICES } from "@/lib/format";
import type { Job } from "@/lib/types";

export function NewRecordingDialog({
  submit,
  onSubmitted,
}: {
  submit: (req: SubmitRequest) => Promise<Job>;
  onSubmitted: (job: Job) => void;
}) {
  const [open, setOpen] = useState(false);
  const [url, setUrl] = useState("");
  const [name, setName] = useState("");
  const [prefix, setPrefix] = useState("");
  const [waitForLive, setWaitForLive] = useState(false);
  const [waitSeconds, setWaitSeconds] = useState(3600);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const reset = () => {
    setUrl("");
    setName("");
    setPrefix("");
    setWaitForLive(false);
    setError(null);
  };

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    const problem = validateUrl(url) ?? validateName(name);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    try {
      const request: SubmitRequest = { url: url.trim(), name: name.trim() || undefined, prefix: prefix.trim() || undefined };
      if (waitForLive) request.wait_for_live_s = waitSeconds;
      const job = await submit(request);
      onSubmitted(job);
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
        <Button data-testid="new-recording">
          <Plus /> New recording
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogTitle>New recording</DialogTitle>
        <DialogDescription>Paste the address of a live stream. Recording starts as soon as it is found.</DialogDescription>
        <form onSubmit={onSubmit} className="mt-5 space-y-4" noValidate>
          <div className="space-y-1.5">
            <Label htmlFor="url">Stream URL</Label>
            <Input
              id="url"
              autoFocus
              value={url}
              onChange={(e) => (setUrl(e.target.value), setError(null))}
              placeholder="https://example.com/live.m3u8"
              aria-invalid={error !== null}
              aria-describedby="form-error"
            />
          </div>
          <div className="grid gap-4 sm:grid-cols-2">
            <div className="space-y-1.5">
              <Label htmlFor="name">Name (optional)</Label>
              <Input id="name" value={name} onChange={(e) => setName(e.target.value)} placeholder="evening news" />
            </div>
            <div className="space-y-1.5">
              <Label htmlFor="prefix">Folder (optional)</Label>
              <Input id="prefix" value={prefix} onChange={(e) => setPrefix(e.target.value)} placeholder="shows/2026" />
            </div>
          </div>
          <div className="flex flex-wrap items-center gap-3 text-sm">
            <label className="flex items-center gap-2">
              <input
                type="checkbox"
                checked={waitForLive}
                onChange={(e) => setWaitForLive(e.target.checked)}
                data-testid="wait-for-live"
                className="size-4 accent-[var(--color-primary)]"
              />
              Wait for the stream to start
            </label>
            {waitForLive && (
              <select
                aria-label="How long to wait"
                value={waitSeconds}
                onChange={(e) => setWaitSeconds(Number(e.target.value))}
                className="h-8 rounded-md border border-border bg-transparent px-2 text-sm"
                data-testid="wait-seconds"
              >
                {WAIT_CHOICES.map((c) => (
                  <option key={c.seconds} value={c.seconds} className="bg-card">
                    up to {c.label}
                  </option>
                ))}
              </select>
            )}
          </div>
          {error && (
            <p id="form-error" role="alert" className="rounded-md bg-danger-bg px-3 py-2 text-sm text-danger" data-testid="form-error">
              {error}
            </p>
          )}
          <div className="flex justify-end gap-2">
            <Button type="submit" disabled={busy} data-testid="submit-recording">
              {busy ? "Submitting…" : "Record"}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
