import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { CookiesView } from "./CookiesView";
import { api } from "@/lib/api";

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const guarded = <T,>(action: () => Promise<T>) => action();

describe("Cookies view", () => {
  it("lists domains without their content and uploads a file for a domain", async () => {
    const list = vi
      .spyOn(api, "listCookies")
      .mockResolvedValueOnce({ cookies: [{ domain: "example.com", count: 3, expires_at: "2030-01-01T00:00:00.000Z" }] })
      .mockResolvedValue({ cookies: [] });
    const put = vi.spyOn(api, "putCookies").mockResolvedValue({ domain: "members.tv", count: 1, expires_at: null });
    render(<CookiesView guarded={guarded} />);
    const row = await screen.findByTestId("cookie-row");
    expect(row.textContent).toMatch(/example\.com3 cookies · first expires/);

    fireEvent.change(screen.getByLabelText("Domain"), { target: { value: " members.tv " } });
    const file = new File(["members.tv\tFALSE\t/\tTRUE\t0\tsid\tv\n"], "cookies.txt", { type: "text/plain" });
    fireEvent.change(screen.getByTestId("cookie-file"), { target: { files: [file] } });
    fireEvent.submit(screen.getByTestId("upload-cookies").closest("form")!);
    await waitFor(() => expect(put).toHaveBeenCalledWith("members.tv", "members.tv\tFALSE\t/\tTRUE\t0\tsid\tv\n"));
    await waitFor(() => expect(list).toHaveBeenCalledTimes(2));
    expect(await screen.findByTestId("cookies-empty")).toBeTruthy();
  });

  it("says what is missing before sending anything", async () => {
    vi.spyOn(api, "listCookies").mockResolvedValue({ cookies: [] });
    const put = vi.spyOn(api, "putCookies");
    render(<CookiesView guarded={guarded} />);
    fireEvent.submit(screen.getByTestId("upload-cookies").closest("form")!);
    expect((await screen.findByTestId("cookie-error")).textContent).toMatch(/domain/);
    fireEvent.change(screen.getByLabelText("Domain"), { target: { value: "example.com" } });
    fireEvent.submit(screen.getByTestId("upload-cookies").closest("form")!);
    expect((await screen.findByTestId("cookie-error")).textContent).toMatch(/cookies\.txt/);
    expect(put).not.toHaveBeenCalled();
  });
});
