import { describe, expect, it } from "vitest";
import { artHost, brandClass, brandMark, brandName, cardBadges, formatExpiry, maskedNumber } from "../src/format/card";

const usable = { expired: false, expiring_soon: false, active: true, consent_at: "2026-01-01T00:00:00Z", mit_ready: true };

describe("card badges", () => {
  it("shows only Ready for an active, consented card with an initial transaction", () => {
    expect(cardBadges(usable).map((b) => b.kind)).toEqual(["mit-ready"]);
  });
  it("puts expired first and does not also say expiring soon", () => {
    const kinds = cardBadges({ ...usable, expired: true, expiring_soon: true, mit_ready: false }).map((b) => b.kind);
    expect(kinds).toEqual(["expired"]);
  });
  it("names every problem of an inactive card without consent", () => {
    const kinds = cardBadges({ ...usable, expiring_soon: true, active: false, consent_at: null, mit_ready: false }).map((b) => b.kind);
    expect(kinds).toEqual(["expiring", "inactive", "no-consent"]);
  });
});

describe("re-enroll", () => {
  it("flags a card whose initial was a One Click payment, with the engine's why", () => {
    const why = "card ending 0028: its initial payment 5100000000160123 was a One Click (Token Pay) payment … re-enroll the card";
    const badges = cardBadges({ ...usable, mit_ready: false, reenroll: why });
    expect(badges.map((b) => b.kind)).toEqual(["reenroll"]);
    expect(badges[0].label).toBe("Re-enroll");
    expect(badges[0].title).toBe(why);
  });
  it("shows no re-enroll badge without a reason", () => {
    expect(cardBadges({ ...usable, reenroll: null }).map((b) => b.kind)).toEqual(["mit-ready"]);
  });
});

describe("card art", () => {
  it("names the host of a web address and nothing else", () => {
    expect(artHost("https://assets.example/w1536_h969.png")).toBe("assets.example");
    expect(artHost("javascript:alert(1)")).toBeNull();
    expect(artHost("not a url")).toBeNull();
    expect(artHost(null)).toBeNull();
  });
});

describe("card display", () => {
  it("formats expiry as MM/YY", () => {
    expect(formatExpiry(3, 2027)).toBe("03/27");
    expect(formatExpiry(12, 2030)).toBe("12/30");
  });
  it("masks all but the last four digits", () => {
    expect(maskedNumber("4242")).toBe("•••• 4242");
  });
  it("maps known brands to a mark and unknown ones to a neutral class", () => {
    expect(brandClass("Visa")).toBe("visa");
    expect(brandMark("Mastercard")).toBe("MC");
    expect(brandClass("Cabal")).toBe("other");
    expect(brandMark("Cabal")).toBe("CABA");
    expect(brandName("diners_club")).toBe("Diners Club");
    expect(brandName("mastercard")).toBe("Mastercard");
    expect(brandName("mir")).toBe("Mir");
  });
});
