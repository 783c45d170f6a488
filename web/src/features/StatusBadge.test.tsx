import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen } from "@testing-library/react";
import { StatusBadge } from "./StatusBadge";
import { STATUSES } from "@/lib/types";

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
