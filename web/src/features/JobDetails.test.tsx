import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { JobDetails } from "./JobDetails";
import type { Job } from "@/lib/types";
import { testJob } from "@/test/jobs";

afterEach(cleanup);

const job = testJob("01M95W3V54ABCDEFGHJKMNPQRS", { name: "The Show" });

describe("JobDetails", () => {
  it("shows a failure's short reason, and the tool's whole text folded away", () => {
    const failed = {
      ...job,
      status: "failed",
      error: {
        code: "stream_not_found",
        message: "not a recordable stream: the page answered 404 Not Found",
        detail: "[generic] Unable to download webpage: HTTP Error 404: Not Found (caused by ...); please report this issue",
      },
    } as unknown as Job;
    render(<JobDetails job={failed} now={Date.now()} onClose={() => {}} onStop={async () => {}} onDelete={async () => {}} />);
    expect(screen.getByTestId("job-error-message").textContent).toBe("not a recordable stream: the page answered 404 Not Found");
    expect(screen.getByTestId("job-error-detail").textContent).toContain("HTTP Error 404");
    expect(screen.getByText("What the tool said").closest("details")?.open).toBe(false);
  });

  it("shows the job's whole id and copies it in one click", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    Object.defineProperty(window, "isSecureContext", { value: true, configurable: true });
    render(<JobDetails job={job} now={Date.now()} onClose={() => {}} onStop={async () => {}} onDelete={async () => {}} />);
    expect(screen.getByTestId("job-id").textContent).toBe(job.id);
    fireEvent.click(screen.getByRole("button", { name: "Copy the job's id" }));
    expect(writeText).toHaveBeenCalledWith(job.id);
    await waitFor(() => expect(screen.getByRole("button", { name: "Copied the job's id" })).toBeTruthy());
  });
});
