// The only module that talks to the Rust side. Every command answers `{status, data | error}`;
// this unwraps it and throws a `CofferError` carrying the engine's stable `kind`, so views
// switch on `kind` and show `message`, and no failure is swallowed.
import { Channel } from "@tauri-apps/api/core";
import {
  commands,
  type AddMerchantRequest,
  type AuditFilterRequest,
  type CardSearchRequest,
  type CustomerSearchRequest,
  type EditMerchantRequest,
  type ErrorKind,
  type IpcError,
  type ProgressEvent,
} from "./bindings";

export class CofferError extends Error {
  readonly kind: ErrorKind | "ipc";
  readonly field?: string | null;
  constructor(kind: ErrorKind | "ipc", message: string, field?: string | null) {
    super(message);
    this.name = "CofferError";
    this.kind = kind;
    this.field = field;
  }
}

type Answer<T> = { status: "ok"; data: T } | { status: "error"; error: IpcError };

/** Turns a command's answer, or a failure of the IPC itself, into data or a CofferError. */
export async function unwrap<T>(call: () => Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call();
  } catch (e) {
    // Tauri itself failed (unknown command, denied permission, bad argument): a string or Error.
    throw new CofferError("ipc", e instanceof Error ? e.message : String(e));
  }
  if (answer.status === "ok") return answer.data;
  const error: unknown = answer.error;
  if (error && typeof error === "object" && "kind" in error && "message" in error) {
    const e = error as IpcError;
    throw new CofferError(e.kind, e.message, e.field);
  }
  // Tauri rejects with a plain string when the command never ran (denied, bad argument).
  throw new CofferError("ipc", String(error));
}

function channel(onProgress?: (e: ProgressEvent) => void): Channel<ProgressEvent> {
  const ch = new Channel<ProgressEvent>();
  ch.onmessage = (e) => onProgress?.(e);
  return ch;
}

export const api = {
  listMerchants: () => unwrap(() => commands.listMerchants()),
  addMerchant: (r: AddMerchantRequest) => unwrap(() => commands.addMerchant(r)),
  editMerchant: (r: EditMerchantRequest) => unwrap(() => commands.editMerchant(r)),
  removeMerchant: (id: number) => unwrap(() => commands.removeMerchant(id)),
  demo: (onProgress?: (e: ProgressEvent) => void) =>
    unwrap(() => commands.demo(channel(onProgress))),
  syncMerchant: (id: number, onProgress?: (e: ProgressEvent) => void) =>
    unwrap(() => commands.syncMerchant(id, channel(onProgress))),
  syncAll: (onProgress?: (e: ProgressEvent) => void) =>
    unwrap(() => commands.syncAll(channel(onProgress))),
  searchCustomers: (r: CustomerSearchRequest) => unwrap(() => commands.searchCustomers(r)),
  listCards: (r: CardSearchRequest) => unwrap(() => commands.listCards(r)),
  listAudit: (f: AuditFilterRequest) => unwrap(() => commands.listAudit(f)),
  verifyAudit: () => unwrap(() => commands.verifyAudit()),
};

/** Words for an error's kind, shown above its message. */
export function errorTitle(kind: CofferError["kind"]): string {
  switch (kind) {
    case "invalid_input":
      return "Check the input";
    case "keyring_unavailable":
      return "The system keyring is not available";
    case "provider_unavailable":
      return "The provider cannot be reached";
    case "auth":
      return "The provider refused the credentials";
    case "not_found":
      return "Not found";
    case "conflict":
      return "Already there";
    case "audit_broken":
      return "The audit log's chain is broken";
    case "ipc":
      return "The app could not run the command";
    default:
      return "Something went wrong";
  }
}
