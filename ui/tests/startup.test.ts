import { describe, expect, it } from "vitest";
import { startupOf } from "../src/startup/startup";

describe("the window's first page", () => {
  it("is the app without a query", () => {
    expect(startupOf("")).toEqual({ kind: "app" });
    expect(startupOf("?other=1")).toEqual({ kind: "app" });
  });

  it("says which upgrade runs", () => {
    expect(startupOf("?upgrading=21-22")).toEqual({ kind: "upgrading", from: 21, to: 22 });
  });

  it("ignores an upgrade it cannot read rather than inventing versions", () => {
    expect(startupOf("?upgrading=21")).toEqual({ kind: "app" });
    expect(startupOf("?upgrading=a-b")).toEqual({ kind: "app" });
  });

  it("shows why the profile cannot be opened, decoded", () => {
    const why = "the database is schema version 99, newer than this Coffer (22); use a newer Coffer (corrupt)";
    const query = new URLSearchParams({ failed: why }).toString();
    expect(startupOf(`?${query}`)).toEqual({ kind: "failed", message: why });
    expect(startupOf("?failed=")).toEqual({ kind: "failed", message: "no reason was given" });
  });

  it("puts a failure before an upgrade", () => {
    expect(startupOf("?upgrading=21-22&failed=disk%20full")).toEqual({ kind: "failed", message: "disk full" });
  });
});
