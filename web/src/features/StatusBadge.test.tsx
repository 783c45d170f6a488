import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen } from "@testing-library/react";
import { StatusBadge } from "./StatusBadge";
import { STATUSES } from "@/lib/types";
import { ServerContext } from "@/lib/server";
import { ErrorBoundary } from "@/components/ErrorBoundary";

afterEach(cleanup);

describe("StatusBadge", () => {
  it("names every status", () => {
    for (const s of STATUSES) {
      render(<StatusBadge status={s} />);
      expect(screen.getByText(s).getAttribute("data-status")).toBe(s);
      cleanup();
    }
  });
  it("shows the live indicator only while recording", () => {
    const { container } = render(<StatusBadge status="recording" />);
    expect(container.querySelector(".live-dot")).not.toBeNull();
    cleanup();
    const other = render(<StatusBadge status="completed" />);
    expect(other.container.querySelector(".live-dot")).toBeNull();
  });
});

describe("StatusBadge and the server", () => {
  it("says storing, not uploading, for a local disk", () => {
    render(
      <ServerContext.Provider value={{ unreachableSince: null, backend: "embedded" }}>
        <StatusBadge status="uploading" />
      </ServerContext.Provider>,
    );
    expect(screen.getByTestId("status-badge").textContent).toBe("storing");
  });
  it("marks an active state stale while the server cannot be reached, and a finished one not", () => {
    const since = Date.parse("2026-12-06T16:40:12Z");
    render(
      <ServerContext.Provider value={{ unreachableSince: since, backend: "aws" }}>
        <StatusBadge status="recording" />
        <StatusBadge status="completed" />
      </ServerContext.Provider>,
    );
    const [recording, completed] = screen.getAllByTestId("status-badge");
    expect(recording.dataset.stale).toBe("true");
    expect(recording.title).toMatch(/^recording as of .*: the server cannot be reached$/);
    expect(recording.querySelector(".live-dot")).toBeNull();
    expect(completed.dataset.stale).toBeUndefined();
  });
});

describe("ErrorBoundary", () => {
  it("puts a failed part's message and a reload in its place, and keeps the rest", () => {
    const Broken = () => {
      throw new TypeError("Failed to fetch dynamically imported module: http://x/assets/JobDetails-1.js");
    };
    const quiet = console.error;
    console.error = () => undefined;
    try {
      render(
        <div>
          <p>the rest</p>
          <ErrorBoundary what="details">
            <Broken />
          </ErrorBoundary>
        </div>,
      );
    } finally {
      console.error = quiet;
    }
    expect(screen.getByText("the rest")).toBeTruthy();
    expect(screen.getByTestId("error-boundary").textContent).toMatch(/The details could not be loaded: the server was probably updated/);
    expect(screen.getByTestId("reload")).toBeTruthy();
  });
});
