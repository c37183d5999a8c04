import { describe, expect, it } from "vitest";
import { countWords, emptyWords } from "../src/views/customers/count";

describe("customer count", () => {
  it("is the engine's exact count, not the rows loaded so far", () => {
    expect(countWords({ total: 540, never_synced: [] }, false)).toBe(`${(540).toLocaleString()} customers`);
    expect(countWords({ total: 1, never_synced: [] }, false)).toBe("1 customer");
  });
  it("gives a search's count in full, however many match", () => {
    expect(countWords({ total: 20834, never_synced: [] }, false)).toBe(`${(20834).toLocaleString()} customers`);
  });
  it("says loading until the count arrives", () => {
    expect(countWords(null, true)).toBe("Loading…");
  });
});

describe("empty customer list", () => {
  it("a never-synced location says so instead of 'No customer matches'", () => {
    const words = emptyWords({ total: 0, never_synced: ["Clover Dublin"] }, "", false);
    expect(words).toBe("Clover Dublin has not been synced yet: sync it (Settings → Sync) to fetch the customers.");
    expect(words).not.toContain("matches");
  });
  it("a search that finds nobody in a synced location says no customer matches", () => {
    expect(emptyWords({ total: 0, never_synced: [] }, "zzz", false)).toBe("No customer matches “zzz”.");
  });
  it("an empty register asks for a first customer", () => {
    expect(emptyWords({ total: 0, never_synced: ["Svea Helsinki"] }, "", true)).toBe(
      "No customer in this register yet: add one.",
    );
  });
});
