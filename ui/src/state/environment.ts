// Whether money can move for the merchants in view, as the banner, the run confirmation and the
// export page say it: Coffer's sandbox, the provider's own test environment (no real money
// either, but not Coffer's sandbox), or live. Pure, tested in tests/environment.test.ts.
import type { MerchantView } from "../ipc/bindings";

export type EnvironmentKind = "sandbox" | "test" | "live";

/** The engine's kind of a merchant; derived the engine's way for a view that lacks it. */
export function kindOf(m: MerchantView): EnvironmentKind {
  const given = (m as { environment_kind?: EnvironmentKind }).environment_kind;
  if (given) return given;
  if (m.environment === "sandbox") return "sandbox";
  if (m.host_override) return "live";
  return m.stage === "test" ? "test" : "live";
}

/** Short words for a kind, for badges and lists. */
export function kindWords(kind: EnvironmentKind): string {
  switch (kind) {
    case "sandbox":
      return "sandbox (Coffer's emulator, no real money)";
    case "test":
      return "test (the provider's own test environment, no real money)";
    case "live":
      return "live (real money)";
  }
}

export interface EnvironmentSplit {
  live: MerchantView[];
  test: MerchantView[];
  sandbox: MerchantView[];
}

export function splitByKind(merchants: MerchantView[]): EnvironmentSplit {
  const split: EnvironmentSplit = { live: [], test: [], sandbox: [] };
  for (const m of merchants) split[kindOf(m)].push(m);
  return split;
}

export interface Banner {
  /** What the strongest kind in view is: live over test over sandbox. */
  kind: EnvironmentKind;
  /** More than one kind in view. */
  mixed: boolean;
  title: string;
  text: string;
}

const names = (list: MerchantView[]) => list.map((m) => m.name).join(", ");

/** The banner for exactly the merchants in view; null when none is. */
export function environmentBanner(inView: MerchantView[]): Banner | null {
  if (inView.length === 0) return null;
  const { live, test, sandbox } = splitByKind(inView);
  const kinds = [live, test, sandbox].filter((l) => l.length > 0).length;
  const mixed = kinds > 1;
  const others: string[] = [];
  if (test.length > 0) others.push(`${names(test)} on the provider's own test environment (no real money, but not Coffer's sandbox)`);
  if (sandbox.length > 0) others.push(`${names(sandbox)} on Coffer's sandbox (no real money)`);
  if (live.length > 0) {
    return {
      kind: "live",
      mixed,
      title: mixed ? "Live merchants in a mixed view" : "Live",
      text: `This view holds live merchants: ${names(live)}. Their charges move real money.${
        others.length > 0 ? ` Also in view: ${others.join("; ")}.` : ""
      }`,
    };
  }
  if (test.length > 0) {
    return {
      kind: "test",
      mixed,
      title: "Test",
      text: `${names(test)} ${test.length === 1 ? "talks" : "talk"} to the provider's own test environment: no real money moves, but the calls go to the provider's servers, not Coffer's sandbox.${
        sandbox.length > 0 ? ` Also in view: ${names(sandbox)} on Coffer's sandbox.` : ""
      }`,
    };
  }
  return {
    kind: "sandbox",
    mixed: false,
    title: "Sandbox",
    text: "demo merchants on Coffer's built-in provider sandboxes. No real money moves.",
  };
}
