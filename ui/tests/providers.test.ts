import { describe, expect, it } from "vitest";
import { can, providerFacts, providerLabel, providers } from "../src/state/providers";
import { DEFAULT_PROVIDER, PROVIDERS, accountFields, emptyAccount } from "../src/views/settings/accounts";

describe("provider facts from the bindings", () => {
  it("finds a provider by a merchant view's name and by an account's tag", () => {
    expect(providerFacts("processout")?.label).toBe("ProcessOut");
    expect(providerFacts("process_out")?.label).toBe("ProcessOut");
    expect(providerFacts("nobody")).toBeUndefined();
    expect(providerLabel("nobody")).toBe("nobody");
  });

  it("answers what the views used to ask by name", () => {
    expect(providers.filter((p) => !p.capabilities.lists_customers).map((p) => p.label)).toEqual(["Assist", "Svea"]);
    expect(can("svea", "needs_buyer_address") && can("svea", "hosted_card_page")).toBe(true);
    expect(can("assist", "hosted_card_page")).toBe(false);
    expect(can("clover", "has_regions") && !can("assist", "has_regions")).toBe(true);
    expect(can("assist", "own_host") && !can("clover", "own_host")).toBe(true);
    expect(can("nobody", "lists_customers")).toBe(false);
  });

  it("keeps the settings form's providers, fields and defaults", () => {
    expect(PROVIDERS).toEqual([
      { name: "clover", label: "Clover" },
      { name: "process_out", label: "ProcessOut" },
      { name: "assist", label: "Assist" },
      { name: "svea", label: "Svea" },
    ]);
    expect(accountFields("clover")).toEqual([
      { key: "merchant_uuid", label: "Merchant id (mId)", required: true },
      { key: "pakms_key", label: "PAKMS key (public)", required: false },
    ]);
    expect(accountFields("process_out")).toEqual([{ key: "project_id", label: "Project id (proj_…)", required: true }]);
    expect(accountFields("assist").map((f) => f.label)).toEqual(["Merchant_ID", "Login"]);
    expect(emptyAccount("svea")).toEqual({ seller_id: "", key_generation: "001" });
    expect(emptyAccount("clover")).toEqual({ merchant_uuid: "", pakms_key: "" });
    expect(DEFAULT_PROVIDER, "a new merchant's form starts at Clover, as before").toBe("clover");
  });
});
