import type { Startup } from "./startup";

/** The window's page while the profile is upgraded, or when it cannot be opened. */
export function StartupNotice({ startup }: { startup: Exclude<Startup, { kind: "app" }> }) {
  if (startup.kind === "upgrading") {
    return (
      <main className="startup" data-testid="startup-upgrading" aria-busy="true">
        <h1>Upgrading this profile's cache</h1>
        <p>
          Coffer is bringing its local database from schema {startup.from} to {startup.to}. A copy of the old file is kept
          beside it first. A large cache takes a minute or more; Coffer opens here by itself when it is done.
        </p>
        <p className="muted">If you close Coffer now, the upgrade starts over next time: nothing is lost.</p>
      </main>
    );
  }
  return (
    <main className="startup" data-testid="startup-failed" role="alert">
      <h1>Coffer cannot open this profile</h1>
      <p className="error-message">{startup.message}</p>
      <p className="muted">
        Copies made before each upgrade stay in the profile folder as coffer.db.before-v&lt;version&gt;-&lt;time&gt;.
        Close this window when you have noted the reason.
      </p>
    </main>
  );
}
