import { describe, expect, it } from "vitest";
import type { MerchantView } from "../src/ipc/bindings";
import { groupMerchants, isSandbox, overriddenIn, parseScope, registerOwner, scopeFilter, scopeKey } from "../src/state/scope";

function merchant(id: number, group: string | null, environment: "sandbox" | "live"): MerchantView {
  return {
    id,
    name: `M${id}`,
    provider: "clover",
    account: { provider: "clover", merchant_uuid: `UUID${id}`, pakms_key: null },
    environment,
    stage: null,
    region: null,
    base_url: "embedded:clover",
    host_override: null,
    embedded: environment === "sandbox",
    time_zone: "Europe/Berlin",
    currency: "EUR",
    notice_lead_days: 3,
    group,
    environment_kind: environment,
    confirm_above: null,
  };
}

describe("location scope", () => {
  it("round-trips through the select's value", () => {
    for (const s of [{ kind: "all" }, { kind: "group", group: "Demo clover" }, { kind: "merchant", id: 4 }] as const) {
      expect(parseScope(scopeKey(s))).toEqual(s);
    }
    expect(parseScope("merchant:x")).toEqual({ kind: "all" });
  });
  it("turns into the request's merchant or group", () => {
    expect(scopeFilter({ kind: "merchant", id: 2 })).toEqual({ merchant_id: 2, group: null });
    expect(scopeFilter({ kind: "group", group: "G" })).toEqual({ merchant_id: null, group: "G" });
  });
  it("groups merchants and keeps the ungrouped apart", () => {
    const { groups, ungrouped } = groupMerchants([merchant(1, "A", "live"), merchant(2, null, "live"), merchant(3, "A", "live")]);
    expect(groups.map(([g, l]) => [g, l.map((m) => m.id)])).toEqual([["A", [1, 3]]]);
    expect(ungrouped.map((m) => m.id)).toEqual([2]);
  });
  it("shows the sandbox banner only while every merchant in scope is a sandbox one", () => {
    const list = [merchant(1, "A", "sandbox"), merchant(2, "B", "live")];
    expect(isSandbox({ kind: "all" }, list)).toBe(false);
    expect(isSandbox({ kind: "merchant", id: 2 }, list)).toBe(false);
    expect(isSandbox({ kind: "group", group: "A" }, list)).toBe(true);
  });
  it("offers a register only for one Assist or Svea location", () => {
    const clover = merchant(1, null, "sandbox");
    const assist = { ...merchant(2, "G", "sandbox"), provider: "assist" };
    const svea = { ...merchant(3, "G", "sandbox"), provider: "svea" };
    const all = [clover, assist, svea];
    expect(registerOwner({ kind: "merchant", id: 2 }, all)).toBe(assist);
    expect(registerOwner({ kind: "merchant", id: 3 }, all)).toBe(svea);
    expect(registerOwner({ kind: "merchant", id: 1 }, all)).toBeNull();
    expect(registerOwner({ kind: "group", group: "G" }, all)).toBeNull();
    expect(registerOwner({ kind: "all" }, all)).toBeNull();
    expect(registerOwner({ kind: "merchant", id: 9 }, all)).toBeNull();
  });
});

describe("host overrides in view", () => {
  it("lists the merchants in scope whose secret goes to an overridden host", () => {
    const plain = merchant(1, "A", "live");
    const proxied: MerchantView = { ...merchant(2, "A", "live"), host_override: { host: "proxy.example:8443", reason: "egress proxy" } };
    const elsewhere: MerchantView = { ...merchant(3, null, "live"), host_override: { host: "10.0.0.5", reason: "lab" } };
    const list = [plain, proxied, elsewhere];
    expect(overriddenIn({ kind: "all" }, list).map((m) => m.id)).toEqual([2, 3]);
    expect(overriddenIn({ kind: "group", group: "A" }, list).map((m) => m.id)).toEqual([2]);
    expect(overriddenIn({ kind: "merchant", id: 1 }, list)).toEqual([]);
  });
});
