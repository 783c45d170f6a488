import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { Input, Label } from "@/components/ui/input";

export function TokenDialog({ open, onSave, onCancel }: { open: boolean; onSave: (t: string) => void; onCancel: () => void }) {
  const [value, setValue] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim()) onSave(value.trim());
  };
  return (
    <Dialog open={open} onOpenChange={(o) => !o && onCancel()}>
      <DialogContent>
        <DialogTitle>This server needs a token</DialogTitle>
        <DialogDescription>This server needs its token (CHRONICLE_TOKEN, or run `chronicle token` on the server). It is kept in this browser.</DialogDescription>
        <form onSubmit={submit} className="mt-5 space-y-4">
          <div className="space-y-1.5">
            <Label htmlFor="token">Token</Label>
            <Input id="token" type="password" autoFocus value={value} onChange={(e) => setValue(e.target.value)} />
          </div>
          <div className="flex justify-end">
            <Button type="submit">Save</Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
