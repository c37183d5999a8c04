/**
 * What the main window shows before the app: the desktop shell opens the window first and says
 * in its query when the profile is being upgraded (`?upgrading=21-22`) or could not be opened
 * (`?failed=<why>`); src-tauri/src/startup.rs writes both.
 */
export type Startup =
  | { kind: "app" }
  | { kind: "upgrading"; from: number; to: number }
  | { kind: "failed"; message: string };

export function startupOf(search: string): Startup {
  const query = new URLSearchParams(search);
  const failed = query.get("failed");
  if (failed !== null) return { kind: "failed", message: failed || "no reason was given" };
  const upgrading = query.get("upgrading");
  const versions = upgrading?.match(/^(\d+)-(\d+)$/);
  if (versions) return { kind: "upgrading", from: Number(versions[1]), to: Number(versions[2]) };
  return { kind: "app" };
}
