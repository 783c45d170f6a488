import { createContext, useContext } from "react";

export interface ServerView {
  /** Since when the server has not answered (ms since 1970); null while it answers. */
  unreachableSince: number | null;
  /** "embedded" or "aws"; null until /info answered. */
  backend: string | null;
}

// What every view needs to know about the server: whether what it shows is current, and which
// backend's words fit ("storing" to a local disk, "uploading" to S3).
export const ServerContext = createContext<ServerView>({ unreachableSince: null, backend: null });
export const useServer = () => useContext(ServerContext);
