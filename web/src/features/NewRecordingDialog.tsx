import { useState, type FormEvent } from "react";
import { Plus } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import { Input, Label } from "@/components/ui/input";
import { ApiError } from "@/lib/api";
import { validateName, validateUrl } from "@/lib/format";
import type { Job } from "@/lib/types";

export function NewRecordingDialog({
  submit,
  onSubmitted,
}: {
  submit: (req: { url: string; name?: string; prefix?: string }) => Promise<Job>;
  onSubmitted: (job: Job) => void;
}) {
  const [open, setOpen] = useState(false);
  const [url, setUrl] = useState("");
  const [name, setName] = useState("");
  const [prefix, setPrefix] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const reset = () => {
    setUrl("");
    setName("");
    setPrefix("");
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
      const job = await submit({ url: url.trim(), name: name.trim() || undefined, prefix: prefix.trim() || undefined });
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
