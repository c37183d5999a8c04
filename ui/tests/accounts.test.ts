import { describe, expect, it } from "vitest";
import type { MerchantView } from "../src/ipc/bindings";
import { environmentChoice, environmentLabel } from "../src/views/settings/accounts";

function merchant(over: Partial<MerchantView>): MerchantView {
  return {
    id: 1,
    name: "Dublin",
    provider: "clover",
    account: { provider: "clover", merchant_uuid: "MID1", pakms_key: null },
    environment: "live",
    stage: "production",
    region: "north_america",
    base_url: "https://scl.clover.com",
    host_override: null,
    embedded: false,
    time_zone: "Europe/Dublin",
    currency: "EUR",
    notice_lead_days: 3,
    group: null,
    environment_kind: "live",
    confirm_above: null,
    ...over,
  };
}

describe("the environment an owner picked", () => {
  it("tells the provider's test environment from production and from Coffer's sandbox", () => {
    expect(environmentChoice(merchant({}))).toBe("live");
    expect(environmentChoice(merchant({ stage: "test" }))).toBe("test");
    expect(environmentChoice(merchant({ environment: "sandbox", stage: null }))).toBe("sandbox");
    expect(environmentLabel(merchant({ stage: "test" }))).toBe("Provider test");
    expect(environmentLabel(merchant({ region: "europe" }))).toBe("Live, Europe");
  });

  it("never shows an overridden host as an ordinary live one", () => {
    const m = merchant({ stage: null, base_url: "http://10.0.0.5", host_override: { host: "10.0.0.5", reason: "lab" } });
    expect(environmentLabel(m)).toBe("Live (overridden host)");
  });
});
