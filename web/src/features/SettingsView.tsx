import { useEffect, useMemo, useState } from "react";
import { Card } from "@/components/ui/card";
import { api, ApiError } from "@/lib/api";
import type { SettingsReport } from "@/lib/types";

// What `chronicle config` prints, for someone who has only the dashboard: every setting, the value
// serve started with, and where it came from.
export function SettingsView() {
  const [report, setReport] = useState<SettingsReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState("");
  useEffect(() => {
    api
      .settings()
      .then(setReport)
      .catch((e) => setError(e instanceof ApiError ? e.message : String(e)));
  }, []);
  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const all = report?.settings ?? [];
    if (!needle) return all;
    return all.filter((s) => [s.key, s.env, s.help, s.value].some((t) => t.toLowerCase().includes(needle)));
  }, [report, filter]);
  const changed = report?.settings.filter((s) => s.source !== "default").length ?? 0;

  if (error) return <p className="rounded-md bg-danger-bg px-4 py-3 text-sm text-danger">{error}</p>;
  if (!report) return null;
  return (
    <section aria-label="Settings" className="space-y-4" data-testid="settings-view">
      <div className="rounded-xl border border-border px-4 py-3 text-sm text-muted">
        <p>
          <span className="text-foreground">Every setting is read once, when serve starts:</span> to change one, set it in{" "}
          {report.file ? (
            <>
              the settings file <code className="break-all text-foreground">{report.file}</code>
            </>
          ) : (
            <>
              a settings file (<code className="text-foreground">--config</code>)
            </>
          )}{" "}
          or the environment, then restart serve. Recordings in progress carry on through the restart.
        </p>
        <p className="mt-1">
          {changed} of {report.settings.length} are set; the others have their default. Secrets are never shown.
        </p>
      </div>
      <input
        type="search"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        placeholder="Filter settings"
        aria-label="Filter settings"
        className="h-9 w-full max-w-sm rounded-md border border-border bg-background px-3 text-sm"
        data-testid="settings-filter"
      />
      <Card className="divide-y divide-border">
        {shown.map((s) => (
          <div key={s.key} className="grid gap-1 px-4 py-3 sm:grid-cols-[minmax(0,16rem)_minmax(0,1fr)] sm:gap-4" data-testid="setting" data-key={s.key}>
            <div className="min-w-0">
              <p className="break-all font-mono text-sm">{s.key}</p>
              <p className="break-all font-mono text-xs text-muted">
                {s.env}
                {s.flag ? ` · ${s.flag}` : ""}
              </p>
            </div>
            <div className="min-w-0">
              <p className="flex flex-wrap items-baseline gap-x-2 text-sm">
                <span className="break-all font-mono" data-testid="setting-value">
                  {s.value === "" ? <span className="text-muted">unset</span> : s.value}
                </span>
                <span
                  className={`text-xs ${s.source === "default" ? "text-muted" : "text-primary"}`}
                  data-testid="setting-source"
                >
                  {s.source}
                </span>
              </p>
              <p className="text-xs text-muted">
                {s.help}
                {s.source !== "default" && ` (default: ${s.default})`}
              </p>
            </div>
          </div>
        ))}
        {shown.length === 0 && <p className="px-4 py-6 text-sm text-muted">No setting matches “{filter}”.</p>}
      </Card>
    </section>
  );
}
