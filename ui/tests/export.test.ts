import { describe, expect, it } from "vitest";
import type { MerchantView } from "../src/ipc/bindings";
import { scopeName } from "../src/views/export/scopeName";

function merchant(id: number, name: string, group: string | null): MerchantView {
  return {
    id,
    name,
    provider: "clover",
    account: { provider: "clover", merchant_uuid: `UUID${id}`, pakms_key: null },
    environment: "live",
    stage: "production",
    region: "north_america",
    base_url: "https://scl.clover.com",
    host_override: null,
    embedded: false,
    time_zone: "Europe/Berlin",
    currency: "EUR",
    notice_lead_days: 3,
    group,
    environment_kind: "live",
    confirm_above: null,
  };
}

describe("export scope in words", () => {
  const merchants = [merchant(1, "Berlin shop", "Germany"), merchant(2, "Hamburg shop", "Germany"), merchant(3, "Stockholm", null)];
  it("names all locations, a group with its size, or the merchant", () => {
    expect(scopeName({ kind: "all" }, merchants)).toBe("All locations");
    expect(scopeName({ kind: "group", group: "Germany" }, merchants)).toBe("Germany (2 locations)");
    expect(scopeName({ kind: "group", group: "Solo" }, [merchant(4, "One", "Solo")])).toBe("Solo (1 location)");
    expect(scopeName({ kind: "merchant", id: 3 }, merchants)).toBe("Stockholm");
    expect(scopeName({ kind: "merchant", id: 9 }, merchants)).toBe("Merchant #9");
  });
});
