import { useEffect, useState, type FormEvent } from "react";
import { Trash2, Upload } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Input, Label } from "@/components/ui/input";
import { api, ApiError } from "@/lib/api";
import { formatTime } from "@/lib/format";
import type { CookieSummary } from "@/lib/types";
import { FormError } from "./UrlFields";

function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result ?? ""));
    reader.onerror = () => reject(reader.error ?? new Error(`cannot read ${file.name}`));
    reader.readAsText(file);
  });
}

// Logins for sites: a Netscape cookies file per domain, sent once and never shown again (the
// server keeps it readable by itself alone and hands it to yt-dlp for that domain's jobs only).
export function CookiesView({ guarded }: { guarded: <T>(action: () => Promise<T>) => Promise<T> }) {
  const [list, setList] = useState<CookieSummary[] | null>(null);
  const [domain, setDomain] = useState("");
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = () =>
    api
      .listCookies()
      .then((r) => setList(r.cookies))
      .catch((e) => setError(e instanceof ApiError ? e.message : String(e)));
  useEffect(() => {
    load();
  }, []);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (!domain.trim()) return setError("Enter the site's domain, e.g. example.com.");
    if (!file) return setError("Choose a cookies.txt file (Netscape format, as browser extensions export it).");
    setBusy(true);
    try {
      const text = await readText(file);
      await guarded(() => api.putCookies(domain.trim(), text));
      setDomain("");
      setFile(null);
      (e.target as HTMLFormElement).reset();
      await load();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
      <section aria-label="Stored cookies" className="space-y-3">
        {list?.length === 0 && (
          <div className="rounded-xl border border-dashed border-border px-6 py-16 text-center" data-testid="cookies-empty">
            <p className="font-medium">No cookies stored</p>
            <p className="mt-1 text-sm text-muted">For members-only or logged-in streams, upload the site's cookies.</p>
          </div>
        )}
        {list?.map((c) => (
          <Card key={c.domain} className="flex items-center justify-between gap-3 p-4" data-testid="cookie-row" data-domain={c.domain}>
            <div className="min-w-0">
              <h2 className="truncate font-medium">{c.domain}</h2>
              <p className="text-xs text-muted">
                {c.count} cookie{c.count === 1 ? "" : "s"} · {c.expires_at ? `first expires ${formatTime(c.expires_at)}` : "session cookies"}
              </p>
              {c.warning && (
                <p className="mt-1 text-xs text-warning" data-testid="cookie-warning">
                  ⚠ {c.warning}
                </p>
              )}
            </div>
            <Button
              variant="outline"
              size="sm"
              aria-label={`Delete the cookies of ${c.domain}`}
              onClick={() => guarded(() => api.deleteCookies(c.domain)).then(load, (e) => setError(String(e)))}
              data-testid="delete-cookies"
            >
              <Trash2 />
            </Button>
          </Card>
        ))}
      </section>
      <form onSubmit={onSubmit} className="space-y-4 rounded-xl border border-border p-4" noValidate>
        <h2 className="font-medium">Add cookies for a site</h2>
        <div className="space-y-1.5">
          <Label htmlFor="cookie-domain">Domain</Label>
          <Input id="cookie-domain" value={domain} onChange={(e) => setDomain(e.target.value)} placeholder="example.com" />
        </div>
        <div className="space-y-1.5">
          <Label htmlFor="cookie-file">cookies.txt</Label>
          <input
            id="cookie-file"
            type="file"
            accept=".txt,text/plain"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            className="block w-full min-w-0 text-sm text-muted file:mr-3 file:h-9 file:cursor-pointer file:rounded-md file:border file:border-border file:bg-subtle file:px-3 file:text-sm file:font-medium file:text-foreground hover:file:bg-card-hover"
            data-testid="cookie-file"
          />
        </div>
        <p className="text-xs text-muted">Stored readable by chronicle alone and never shown again; used only for this domain's recordings.</p>
        <FormError id="cookie-error" testId="cookie-error" message={error} />
        <Button type="submit" disabled={busy} data-testid="upload-cookies">
          <Upload /> {busy ? "Uploading…" : "Upload"}
        </Button>
      </form>
    </div>
  );
}
