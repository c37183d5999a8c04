// What the settings say of the copies of the database kept before upgrades. Pure, tested in
// tests/copies.test.ts.
import type { UpgradeCopyView } from "../../ipc/bindings";

/** A size for people, in decimal units as file managers show them: "950 kB", "121 MB", "1.3 GB". */
export function sizeWords(bytes: number): string {
  if (bytes < 1_000_000) return `${Math.max(1, Math.ceil(bytes / 1000))} kB`;
  if (bytes < 1_000_000_000) return `${Math.round(bytes / 1_000_000)} MB`;
  return `${(bytes / 1_000_000_000).toFixed(1)} GB`;
}

/** The line above the list: how many, how much disk they take, and what they hold. */
export function copiesSummary(copies: UpgradeCopyView[]): string {
  if (copies.length === 0) return "None: no upgrade has needed one, or they were deleted.";
  const total = copies.reduce((sum, c) => sum + c.bytes, 0);
  const count = copies.length === 1 ? "1 copy takes" : `${copies.length} copies take`;
  return (
    `${count} ${sizeWords(total)}. Each is the whole database as it was before that upgrade, ` +
    "with the details of customers erased since; delete it when you no longer need to go back to that version."
  );
}

/** The question before deleting one. */
export function deleteQuestion(copy: UpgradeCopyView): string {
  return `Delete ${copy.file} (${sizeWords(copy.bytes)})? It cannot be brought back, and it is the only way back to the version before schema ${copy.upgraded_to}.`;
}
