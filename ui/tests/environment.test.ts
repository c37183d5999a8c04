import { describe, expect, it } from "vitest";
import type { MerchantView } from "../src/ipc/bindings";
import { environmentBanner, kindOf } from "../src/state/environment";
import { isSandbox } from "../src/state/scope";
import { exportEnvironmentWords } from "../src/views/export/scopeName";

function merchant(id: number, name: string, kind: "sandbox" | "test" | "live", group: string | null = null): MerchantView {
  return {
    id,
    name,
    provider: "clover",
    account: { provider: "clover", merchant_uuid: `UUID${id}`, pakms_key: null },
    environment: kind === "sandbox" ? "sandbox" : "live",
    stage: kind === "sandbox" ? null : kind === "test" ? "test" : "production",
    region: null,
    base_url: kind === "sandbox" ? "embedded:clover" : "https://scl.clover.com",
    host_override: null,
    embedded: kind === "sandbox",
    time_zone: "Europe/Berlin",
    currency: "EUR",
    notice_lead_days: 3,
    group,
    environment_kind: kind,
    confirm_above: { minor: 100000, currency: "EUR" },
  };
}

const demo = merchant(1, "Demo Dublin", "sandbox", "Demo");
const stage = merchant(2, "Stage shop", "test");
const live = merchant(3, "Downtown", "live");

describe("the environment banner follows exactly what is in view", () => {
  it("says sandbox only when every merchant in view is Coffer's sandbox", () => {
    expect(environmentBanner([demo])?.kind).toBe("sandbox");
    expect(isSandbox({ kind: "all" }, [demo, live])).toBe(false);
    expect(isSandbox({ kind: "group", group: "Demo" }, [demo, live])).toBe(true);
    expect(environmentBanner([])).toBeNull();
  });

  it("says a mixed view holds live merchants, naming them, and what the others are", () => {
    const banner = environmentBanner([demo, stage, live]);
    expect(banner?.kind).toBe("live");
    expect(banner?.mixed).toBe(true);
    expect(banner?.text).toContain("This view holds live merchants: Downtown");
    expect(banner?.text).toContain("Stage shop on the provider's own test environment");
    expect(banner?.text).toContain("Demo Dublin on Coffer's sandbox");
    expect(banner?.text).not.toMatch(/^No real money/);
  });

  it("tells the provider's test environment apart from Coffer's sandbox", () => {
    const banner = environmentBanner([stage]);
    expect(banner?.kind).toBe("test");
    expect(banner?.text).toContain("not Coffer's sandbox");
  });

  it("derives the engine's kind when a view lacks it: an overridden live host counts as live", () => {
    const { environment_kind: _, ...bare } = stage;
    expect(kindOf(bare as MerchantView)).toBe("test");
    const overridden = { ...bare, host_override: { host: "127.0.0.1", reason: "tests" } } as MerchantView;
    expect(kindOf(overridden)).toBe("live");
  });

  it("makes an export of a mixed view say it holds live merchants' data", () => {
    const words = exportEnvironmentWords({ kind: "all" }, [demo, live]);
    expect(words?.kind).toBe("live");
    expect(words?.words).toContain("live merchants' data (real customers and cards): Downtown");
    expect(words?.words).toContain("Coffer's sandbox data: Demo Dublin");
    expect(exportEnvironmentWords({ kind: "merchant", id: 1 }, [demo, live])?.kind).toBe("sandbox");
  });
});
