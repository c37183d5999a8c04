// The only module that talks to the Rust side. Every command answers `{status, data | error}`;
// this unwraps it and throws a `CofferError` carrying the engine's stable `kind`, so views
// switch on `kind` and show `message`, and no failure is swallowed.
import { Channel } from "@tauri-apps/api/core";
import {
  commands,
  type AddMerchantRequest,
  type ApprovedCharge,
  type AuditFilterRequest,
  type CardImportRequest,
  type CardSearchRequest,
  type ChargeCardRequest,
  type ChargeListRequest,
  type ContractImportRequest,
  type ContractListRequest,
  type CreateContractRequest,
  type CustomerEdit,
  type CustomerSearchRequest,
  type NewCustomer,
  type EditContractRequest,
  type EditMerchantRequest,
  type EnrollmentEvent,
  type EnrollmentListRequest,
  type StartEnrollmentRequest,
  type ErrorKind,
  type ExportKind,
  type IpcError,
  type ProgressEvent,
  type Resolution,
  type ScopeRequest,
  type SetSmtpRequest,
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
  testMerchant: (id: number) => unwrap(() => commands.testMerchant(id)),
  demo: (onProgress?: (e: ProgressEvent) => void) =>
    unwrap(() => commands.demo(channel(onProgress))),
  syncMerchant: (id: number, onProgress?: (e: ProgressEvent) => void) =>
    unwrap(() => commands.syncMerchant(id, channel(onProgress))),
  syncAll: (onProgress?: (e: ProgressEvent) => void) =>
    unwrap(() => commands.syncAll(channel(onProgress))),
  searchCustomers: (r: CustomerSearchRequest) => unwrap(() => commands.searchCustomers(r)),
  countCustomers: (r: CustomerSearchRequest) => unwrap(() => commands.countCustomers(r)),
  addCustomer: (c: NewCustomer) => unwrap(() => commands.addCustomer(c)),
  showCustomer: (id: number) => unwrap(() => commands.showCustomer(id)),
  editCustomer: (id: number, edit: CustomerEdit) => unwrap(() => commands.editCustomer(id, edit)),
  eraseCustomer: (id: number) => unwrap(() => commands.eraseCustomer(id)),
  listCards: (r: CardSearchRequest) => unwrap(() => commands.listCards(r)),
  importCards: (r: CardImportRequest) => unwrap(() => commands.importCards(r)),
  listAudit: (f: AuditFilterRequest) => unwrap(() => commands.listAudit(f)),
  verifyAudit: () => unwrap(() => commands.verifyAudit()),
  recordConsent: (cardId: number, terms: string) => unwrap(() => commands.recordConsent(cardId, terms)),
  stopUsingCard: (cardId: number) => unwrap(() => commands.stopUsingCard(cardId)),
  deleteCard: (cardId: number) => unwrap(() => commands.deleteCard(cardId)),
  previewCharge: (r: ChargeCardRequest) => unwrap(() => commands.previewCharge(r)),
  chargeCard: (r: ChargeCardRequest) => unwrap(() => commands.chargeCard(r)),
  listCharges: (r: ChargeListRequest) => unwrap(() => commands.listCharges(r)),
  refundCharge: (attemptId: number, amount: string | null, idempotencyKey: string | null) =>
    unwrap(() => commands.refundCharge(attemptId, amount, idempotencyKey)),
  recordRefundTransfer: (attemptId: number) => unwrap(() => commands.recordRefundTransfer(attemptId)),
  /** Reconciles one card's attempts, or the locations in view's (all when the scope is empty). */
  reconcile: (scope: ScopeRequest | { card_id: number }) =>
    unwrap(() =>
      "card_id" in scope ? commands.reconcile(null, null, scope.card_id) : commands.reconcile(scope.merchant_id, scope.group, null),
    ),
  unknownAttempts: (scope: ScopeRequest) => unwrap(() => commands.unknownAttempts(scope.merchant_id, scope.group)),
  resolveAttempt: (attemptId: number, resolution: Resolution) => unwrap(() => commands.resolveAttempt(attemptId, resolution)),
  listAlerts: (scope: ScopeRequest) => unwrap(() => commands.listAlerts(scope.merchant_id, scope.group)),
  acknowledgeAlert: (id: number) => unwrap(() => commands.acknowledgeAlert(id)),
  createContract: (r: CreateContractRequest) => unwrap(() => commands.createContract(r)),
  editContract: (r: EditContractRequest) => unwrap(() => commands.editContract(r)),
  previewContractEdit: (r: EditContractRequest) => unwrap(() => commands.previewContractEdit(r)),
  recordContractConsent: (id: number, terms: string) => unwrap(() => commands.recordContractConsent(id, terms)),
  renewContractInitial: (id: number, amount: string | null, terms: string) =>
    unwrap(() => commands.renewContractInitial(id, amount, terms)),
  restoreOccurrence: (id: number, occurrence: number) => unwrap(() => commands.restoreOccurrence(id, occurrence)),
  pauseContract: (id: number) => unwrap(() => commands.pauseContract(id)),
  resumeContract: (id: number) => unwrap(() => commands.resumeContract(id)),
  cancelContract: (id: number, reason: string | null) => unwrap(() => commands.cancelContract(id, reason)),
  cancelOccurrence: (id: number, occurrence: number) => unwrap(() => commands.cancelOccurrence(id, occurrence)),
  setOccurrenceAmount: (id: number, occurrence: number, amount: string) =>
    unwrap(() => commands.setOccurrenceAmount(id, occurrence, amount)),
  /** Refunds `amount` of an occurrence's charge, or all that is left when it is empty. */
  cancelCharge: (id: number, occurrence: number, amount: string | null) => unwrap(() => commands.cancelCharge(id, occurrence, amount)),
  listContracts: (r: ContractListRequest) => unwrap(() => commands.listContracts(r)),
  showContract: (id: number) => unwrap(() => commands.showContract(id)),
  importContracts: (r: ContractImportRequest) => unwrap(() => commands.importContracts(r)),
  listNotices: (scope: ScopeRequest) => unwrap(() => commands.listNotices(scope)),
  upcomingCharges: (scope: ScopeRequest, days: number) => unwrap(() => commands.upcomingCharges(scope, days)),
  /** `approved`: the charges of the rehearsal the owner confirmed; the run makes no other. */
  runDue: (scope: ScopeRequest, dryRun: boolean, onProgress?: (e: ProgressEvent) => void, approved: ApprovedCharge[] | null = null) =>
    unwrap(() => commands.runDue(scope, dryRun, approved, channel(onProgress))),
  dashboard: (scope: ScopeRequest) => unwrap(() => commands.dashboard(scope)),
  exportCsv: (kind: ExportKind, scope: ScopeRequest) => unwrap(() => commands.exportCsv(kind, scope)),
  smtp: (merchantId: number) => unwrap(() => commands.smtp(merchantId)),
  setSmtp: (r: SetSmtpRequest) => unwrap(() => commands.setSmtp(r)),
  clearSmtp: (merchantId: number) => unwrap(() => commands.clearSmtp(merchantId)),
  profile: () => unwrap(() => commands.profile()),
  chooseDataDir: (dir: string) => unwrap(() => commands.chooseDataDir(dir)),
  upgradeCopies: () => unwrap(() => commands.upgradeCopies()),
  deleteUpgradeCopy: (file: string) => unwrap(() => commands.deleteUpgradeCopy(file)),
  startEnrollment: (r: StartEnrollmentRequest) => unwrap(() => commands.startEnrollment(r)),
  listEnrollments: (r: EnrollmentListRequest) => unwrap(() => commands.listEnrollments(r)),
  checkEnrollment: (id: number) => unwrap(() => commands.checkEnrollment(id)),
  checkEnrollments: (scope: ScopeRequest) => unwrap(() => commands.checkEnrollments(scope)),
  cancelEnrollment: (id: number) => unwrap(() => commands.cancelEnrollment(id)),
  /** The whole address the cardholder's browser returned to; the provider still confirms it. */
  enrollmentReturned: (id: number, address: string) => unwrap(() => commands.enrollmentReturned(id, address)),
  linkReturnPage: (merchantId: number) => unwrap(() => commands.linkReturnPage(merchantId)),
  setLinkReturnPage: (merchantId: number, url: string | null) => unwrap(() => commands.setLinkReturnPage(merchantId, url)),
  /** Opens the enrollment's counter window; what happens in it comes to `onEvent`. */
  openEnrollmentWindow: (id: number, onEvent: (e: EnrollmentEvent) => void) => {
    const ch = new Channel<EnrollmentEvent>();
    ch.onmessage = onEvent;
    return unwrap(() => commands.openEnrollmentWindow(id, ch));
  },
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
    case "policy_refused":
      return "Refused by a rule";
    case "declined_hard":
      return "Declined: never retry this card";
    case "declined_soft":
      return "Declined by the issuer";
    case "unknown_outcome":
      return "The outcome is not known yet";
    case "ipc":
      return "The app could not run the command";
    default:
      return "Something went wrong";
  }
}
