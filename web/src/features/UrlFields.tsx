import { Input, Label } from "@/components/ui/input";

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
      <div className="grid gap-4 sm:grid-cols-2">
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

export function FormError({ id, testId, message }: { id: string; testId: string; message: string | null }) {
  if (!message) return null;
  return (
    <p id={id} role="alert" className="rounded-md bg-danger-bg px-3 py-2 text-sm text-danger" data-testid={testId}>
      {message}
    </p>
  );
}
