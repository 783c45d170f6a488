import { useState, type FormEvent } from "react";
import { Plus } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { type SubmitRequest } from "@/lib/api";
import { validateName, validateUrl, WAIT_CHOICES } from "@/lib/format";
import type { Job } from "@/lib/types";
import { FormError, QualityField, UrlFields, useSending } from "./UrlFields";

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
  const [quality, setQuality] = useState("best");
  const [waitForLive, setWaitForLive] = useState(false);
  const [waitSeconds, setWaitSeconds] = useState(3600);
  const { busy, error, setError, send } = useSending();

  const reset = () => {
    setUrl("");
    setName("");
    setPrefix("");
    setQuality("best");
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
    await send(async () => {
      const request: SubmitRequest = { url: url.trim(), name: name.trim() || undefined, prefix: prefix.trim() || undefined };
      if (waitForLive) request.wait_for_live_s = waitSeconds;
      if (quality.trim() && quality !== "best") request.format = quality.trim();
      const job = await submit(request);
      onSubmitted(job);
      reset();
      setOpen(false);
    });
  }

  return (
    <Dialog open={open} onOpenChange={(o) => (setOpen(o), o || reset())}>
      <DialogTrigger asChild>
        <Button data-testid="new-recording">
          <Plus /> <span className="max-[400px]:sr-only">New recording</span>
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogTitle>New recording</DialogTitle>
        <DialogDescription>Paste the address of a live stream. Recording starts as soon as it is found.</DialogDescription>
        <form onSubmit={onSubmit} className="mt-5 space-y-4" noValidate>
          <UrlFields
            idPrefix=""
            urlLabel="Stream URL"
            urlPlaceholder="https://example.com/live.m3u8"
            namePlaceholder="evening news"
            folderPlaceholder="shows/2026"
            url={url}
            onUrl={(v) => (setUrl(v), setError(null))}
            name={name}
            onName={setName}
            prefix={prefix}
            onPrefix={setPrefix}
            errorId="form-error"
            invalid={error !== null}
          />
          <QualityField id="quality" value={quality} onChange={setQuality} />
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
          <FormError id="form-error" testId="form-error" message={error} />
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
