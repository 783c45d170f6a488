import { useState } from "react";
import { Input, Label } from "@/components/ui/input";
import { ApiError } from "@/lib/api";
import { QUALITY_PRESETS } from "@/lib/types";

// The fields both dialogs ask for: an address, and an optional name and folder for recordings.
export function UrlFields({
  idPrefix,
  urlLabel,
  urlPlaceholder,
  namePlaceholder,
  folderPlaceholder,
  url,
  onUrl,
  name,
  onName,
  prefix,
  onPrefix,
  errorId,
  invalid,
}: {
  idPrefix: string;
  urlLabel: string;
  urlPlaceholder: string;
  namePlaceholder: string;
  folderPlaceholder: string;
  url: string;
  onUrl: (v: string) => void;
  name: string;
  onName: (v: string) => void;
  prefix: string;
  onPrefix: (v: string) => void;
  errorId: string;
  invalid: boolean;
}) {
  return (
    <>
      <div className="space-y-1.5">
        <Label htmlFor={`${idPrefix}url`}>{urlLabel}</Label>
        <Input
          id={`${idPrefix}url`}
          autoFocus
          value={url}
          onChange={(e) => onUrl(e.target.value)}
          placeholder={urlPlaceholder}
          aria-invalid={invalid}
          aria-describedby={errorId}
        />
      </div>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
        <div className="space-y-1.5">
          <Label htmlFor={`${idPrefix}name`}>Name (optional)</Label>
          <Input id={`${idPrefix}name`} value={name} onChange={(e) => onName(e.target.value)} placeholder={namePlaceholder} />
        </div>
        <div className="space-y-1.5">
          <Label htmlFor={`${idPrefix}prefix`}>Folder (optional)</Label>
          <Input id={`${idPrefix}prefix`} value={prefix} onChange={(e) => onPrefix(e.target.value)} placeholder={folderPlaceholder} />
        </div>
      </div>
    </>
  );
}

// A form's sending: busy while `action` runs, and what went wrong in words (the server's message).
export function useSending() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const send = async (action: () => Promise<void>) => {
    setBusy(true);
    try {
      await action();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, send };
}

export function FormError({ id, testId, message }: { id: string; testId: string; message: string | null }) {
  if (!message) return null;
  return (
    <p id={id} role="alert" className="rounded-md bg-danger-bg px-3 py-2 text-sm text-danger" data-testid={testId}>
      {message}
    </p>
  );
}

// The quality a recording asks for: a preset, or (for experts) a yt-dlp format selector.
export function QualityField({
  id,
  value,
  onChange,
}: {
  id: string;
  value: string;
  onChange: (v: string) => void;
}) {
  const preset = QUALITY_PRESETS.some((p) => p.value === value);
  const [custom, setCustom] = useState(!preset);
  return (
    <div className="space-y-1.5">
      <Label htmlFor={id}>Quality</Label>
      <div className="flex gap-2">
        <select
          id={id}
          value={custom ? "custom" : value}
          onChange={(e) => {
            const v = e.target.value;
            setCustom(v === "custom");
            onChange(v === "custom" ? "" : v);
          }}
          className="h-10 min-w-0 flex-1 rounded-md border border-border bg-background px-3 text-sm"
          data-testid="quality"
        >
          {QUALITY_PRESETS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
          <option value="custom">yt-dlp format…</option>
        </select>
        {custom && (
          <Input
            aria-label="yt-dlp format selector"
            value={value}
            onChange={(e) => onChange(e.target.value)}
            placeholder="bv*[height<=720]+ba/b"
            className="min-w-0 flex-1 font-mono"
            data-testid="quality-selector"
          />
        )}
      </div>
    </div>
  );
}
