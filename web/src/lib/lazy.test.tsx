import { afterEach, describe, expect, it, vi } from "vitest";
import { Suspense, type ComponentType } from "react";
import { cleanup, render, screen } from "@testing-library/react";
import { ErrorBoundary } from "@/components/ErrorBoundary";
import { lazyWithRetry } from "./lazy";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const Part = () => <p>the part</p>;
const renderPart = (Lazy: ComponentType) =>
  render(
    <ErrorBoundary what="part">
      <Suspense fallback={<p>loading</p>}>
        <Lazy />
      </Suspense>
    </ErrorBoundary>,
  );
const chunkError = () => new TypeError("Failed to fetch dynamically imported module: /assets/Part-1.js");

describe("lazyWithRetry", () => {
  it("waits while the server is away and shows the part once it is back", async () => {
    let serverUp = false;
    vi.stubGlobal("fetch", vi.fn(async () => (serverUp ? new Response("{}") : Promise.reject(new TypeError("down")))));
    let attempts = 0;
    const Lazy = lazyWithRetry(
      async () => {
        if (++attempts === 3) serverUp = true;
        if (attempts <= 3) throw chunkError();
        return { default: Part };
      },
      () => 5,
    );
    renderPart(Lazy);
    expect(await screen.findByText("the part")).toBeTruthy();
    expect(attempts).toBe(4);
    expect(screen.queryByTestId("error-boundary")).toBeNull();
  });

  it("gives up when the server answers and the file is still missing, and the boundary offers a reload", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => new Response("{}")));
    const quiet = console.error;
    console.error = () => undefined;
    try {
      const Lazy = lazyWithRetry(
        async () => {
          throw chunkError();
        },
        () => 5,
      );
      renderPart(Lazy);
      expect((await screen.findByTestId("error-boundary")).textContent).toMatch(/could not be loaded/);
    } finally {
      console.error = quiet;
    }
  });
});
