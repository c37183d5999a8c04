import { describe, expect, it } from "vitest";
import type { UpgradeCopyView } from "../src/ipc/bindings";
import { copiesSummary, deleteQuestion, sizeWords } from "../src/views/settings/copies";

const copy = (file: string, bytes: number, upgraded_to = 26): UpgradeCopyView => ({
  file,
  path: `/home/shop/.local/share/coffer/${file}`,
  upgraded_to,
  made_at: "2026-12-07T15:17:04Z",
  bytes,
});

describe("copies kept before upgrades", () => {
  it("gives sizes in the units a file manager shows", () => {
    expect(sizeWords(13)).toBe("1 kB");
    expect(sizeWords(950_000)).toBe("950 kB");
    expect(sizeWords(120_946_688)).toBe("121 MB");
    expect(sizeWords(1_312_000_000)).toBe("1.3 GB");
  });
  it("says how much they take and that they hold erased customers' details", () => {
    expect(copiesSummary([])).toMatch(/^None/);
    const one = copiesSummary([copy("coffer.db.before-v26-1796656624119", 120_946_688)]);
    expect(one).toMatch(/^1 copy takes 121 MB\./);
    expect(one).toMatch(/erased since/);
    const two = copiesSummary([copy("a", 700_000_000, 25), copy("b", 800_000_000)]);
    expect(two).toMatch(/^2 copies take 1\.5 GB\./);
  });
  it("asks before deleting, naming the file, its size and what it is the way back to", () => {
    expect(deleteQuestion(copy("coffer.db.before-v26-1796656624119", 120_946_688))).toBe(
      "Delete coffer.db.before-v26-1796656624119 (121 MB)? It cannot be brought back, and it is the only way back to the version before schema 26.",
    );
  });
});
