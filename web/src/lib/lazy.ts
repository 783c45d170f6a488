import { lazy, type ComponentType } from "react";

// A part of the dashboard loaded when it is first shown. React.lazy keeps a failed import for
// good, so a click made while the server was down (a restart, an upgrade) would fail every time
// after: here a failed import is tried again, sooner at first, until the server answers. When it
// answers and the import still fails, the file is gone (serve was upgraded and the old build's
// chunks with it): after a second failure with the server answering, the error goes to the error
// boundary, which offers a reload.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as React.lazy's own signature
export function lazyWithRetry<T extends ComponentType<any>>(
  load: () => Promise<{ default: T }>,
  waitMs = (attempt: number) => Math.min(500 * 2 ** attempt, 5000),
) {
  return lazy<T>(async () => {
    // Failures seen while the server answered, in a row: the first may be the moment it came back.
    let whileAnswering = 0;
    for (let attempt = 0; ; ++attempt) {
      try {
        return await load();
      } catch (error) {
        whileAnswering = (await serverAnswers()) ? whileAnswering + 1 : 0;
        if (whileAnswering >= 2) throw error;
        await new Promise((resolve) => setTimeout(resolve, waitMs(attempt)));
      }
    }
  });
}

async function serverAnswers(): Promise<boolean> {
  try {
    const r = await fetch("/healthz", { cache: "no-store" });
    return r.ok;
  } catch {
    return false;
  }
}
