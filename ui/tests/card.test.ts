import { describe, expect, it } from "vitest";
import { artHost, brandClass, brandMark, brandName, cardBadges, formatExpiry, mainAction, maskedNumber, statusLine } from "../src/format/card";
import type { CardView } from "../src/ipc/bindings";

type Status = CardView["status"];
const status = (state: Status["state"], label: string, chargeable = false): Status => ({
  state,
  label,
  reason: `why ${state}`,
  next_step: `Do this for ${state}.`,
  chargeable,
  next_try_at: null,
});
const ready = status("ready", "Ready", true);

describe("card badges", () => {
  it("shows the engine's one status, with its reason and next step as the title", () => {
    const badges = cardBadges({ status: ready, expiring_soon: false });
    expect(badges.map((b) => b.kind)).toEqual(["mit-ready"]);
    expect(badges[0].label).toBe("Ready");
    expect(badges[0].title).toBe("Why ready. Do this for ready.");
  });
  it("an expired card shows Expired and nothing that says Ready", () => {
    const badges = cardBadges({ status: status("expired", "Expired"), expiring_soon: true });
    expect(badges.map((b) => b.label)).toEqual(["Expired"]);
  });
  it("an inactive card is Inactive, never Ready", () => {
    expect(cardBadges({ status: status("inactive", "Inactive"), expiring_soon: false }).map((b) => b.kind)).toEqual(["inactive"]);
  });
  it("after consent without an initial payment the card still has a badge saying what it needs", () => {
    const badges = cardBadges({ status: status("needs_initial", "Needs initial payment"), expiring_soon: false });
    expect(badges.map((b) => b.label)).toEqual(["Needs initial payment"]);
  });
  it("adds Expiring soon beside a card that can still be charged", () => {
    expect(cardBadges({ status: ready, expiring_soon: true }).map((b) => b.kind)).toEqual(["mit-ready", "expiring"]);
  });
});

describe("main action", () => {
  it("is a charge only when the status lets one go", () => {
    expect(mainAction(ready)).toBe("charge");
    expect(mainAction(status("needs_consent", "Needs consent"))).toBe("consent");
    for (const s of ["expired", "inactive", "hard_declined", "needs_initial", "unsettled_attempt", "retry_later"] as const) {
      expect(mainAction(status(s, s)), s).toBe("none");
    }
  });
  it("the status line says why and what next", () => {
    expect(statusLine(status("expired", "Expired"))).toBe("Expired: Why expired. Do this for expired.");
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
