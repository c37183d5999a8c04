// A due run's summary in one sentence. Pure, tested in tests/due.test.ts.
import type { DueSummary } from "../../ipc/bindings";

export interface SummaryCounts {
  notices: number;
  noticeFailures: number;
  charged: number;
  declined: number;
  refused: number;
  failed: number;
  skipped: number;
  ended: number;
  words: string;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function summaryCounts(s: DueSummary): SummaryCounts {
  const notices = s.notices.filter((n) => n.status === "sent" || n.status === "would_send").length;
  const noticeFailures = s.notices.filter((n) => n.status === "failed").length;
  const charged = s.dry_run ? s.would_charge.length : s.charged.length;
  const parts = [
    `${plural(notices, "notice")} ${s.dry_run ? "to send" : "sent"}`,
    `${plural(charged, "charge")} ${s.dry_run ? "would be made" : "made"}`,
    `${s.declined.length} declined`,
    `${s.refused.length} refused by a rule`,
    `${s.failed.length} failed or unknown`,
    `${s.skipped.length} skipped`,
  ];
  if (noticeFailures) parts.push(`${plural(noticeFailures, "notice")} not delivered`);
  if (s.contracts_ended.length) parts.push(`${plural(s.contracts_ended.length, "contract")} ended`);
  return {
    notices,
    noticeFailures,
    charged,
    declined: s.declined.length,
    refused: s.refused.length,
    failed: s.failed.length,
    skipped: s.skipped.length,
    ended: s.contracts_ended.length,
    words: `${parts.join(", ")}.`,
  };
}
