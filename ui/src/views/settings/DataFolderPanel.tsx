// Where this profile's files are, and the choice of another data folder for the next start.
import { useEffect, useState } from "react";
import type { ProfileView } from "../../ipc/bindings";
import { api, CofferError } from "../../ipc/client";
import { ErrorNotice } from "../../components/ErrorNotice";
import { UpgradeCopiesPanel } from "./UpgradeCopiesPanel";

export function DataFolderPanel() {
  const [profile, setProfile] = useState<ProfileView | null>(null);
  const [path, setPath] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    api.profile().then(setProfile).catch(setError);
  }, []);

  const choose = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    if (path.trim() === "") {
      setError(new CofferError("invalid_input", "Type the full path of the folder, such as /home/me/coffer-data.", "data_dir"));
      return;
    }
    setBusy(true);
    try {
      setProfile(await api.chooseDataDir(path.trim()));
      setSaved(true);
      setPath("");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="profile-title" className="settings-section">
      <h3 id="profile-title">Data folder</h3>
      <ErrorNotice error={error} onDismiss={() => setError(null)} />
      {profile === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <dl className="facts" id="profile-facts">
          <dt>Coffer version</dt>
          <dd id="profile-version">{profile.version}</dd>
          <dt>Data folder in use</dt>
          <dd className="mono" id="profile-data-dir">
            {profile.data_dir}
          </dd>
          <dt>Database</dt>
          <dd className="mono">{profile.database}</dd>
          <dt>Outbox (notice files)</dt>
          <dd className="mono">{profile.outbox_dir}</dd>
          <dt>Exports</dt>
          <dd className="mono">{profile.exports_dir}</dd>
          <dt>Keyring service</dt>
          <dd className="mono">{profile.keyring_service}</dd>
        </dl>
      )}
      {profile?.next_data_dir ? (
        <p id="profile-next" role="status" className={saved ? "ok-note" : undefined}>
          {saved ? "Saved. " : null}From the next start on, Coffer opens <span className="mono">{profile.next_data_dir}</span>.
        </p>
      ) : saved ? (
        <p id="profile-next" role="status" className="ok-note">
          Saved. That is the folder in use already, so nothing changes at the next start.
        </p>
      ) : null}
      {profile?.overridden_by ? (
        <p id="profile-overridden" className="warn-note" role="note">
          The chosen folder is not used while {profile.overridden_by}: that setting wins over the choice made here.
        </p>
      ) : null}
      <UpgradeCopiesPanel />
      <form id="choose-data-dir" className="merchant-form" onSubmit={choose} aria-labelledby="choose-data-dir-title">
        <h4 id="choose-data-dir-title">Use another data folder</h4>
        <label className="field" htmlFor="choose-data-dir-path">
          <span>Folder (full path)</span>
          <input
            id="choose-data-dir-path"
            className="mono wide-input"
            value={path}
            onChange={(e) => setPath(e.target.value)}
            placeholder="/home/me/coffer-data"
            autoComplete="off"
            spellCheck={false}
            aria-describedby="choose-data-dir-help"
          />
        </label>
        <ul id="choose-data-dir-help" className="muted field-help">
          <li>It takes effect the next time Coffer starts; until then this folder stays in use.</li>
          <li>Nothing is moved, copied or deleted: the current folder stays as it is, to go back to or to copy from.</li>
          <li>An empty folder starts a new profile with no merchants, customers or history; a folder with a Coffer database opens it.</li>
          <li>Merchant secrets and SMTP passwords stay in the system keyring, not in the folder.</li>
        </ul>
        <div className="toolbar">
          <button type="submit" id="choose-data-dir-submit" className="primary" disabled={busy}>
            Use this folder from the next start
          </button>
        </div>
      </form>
    </section>
  );
}
