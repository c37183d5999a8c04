import { describe, expect, it } from "vitest";
import { cardLifeChoices, cardLifeNote, deleteNotOffered } from "../src/format/cardLife";
import { cardBadges, cardExpiryLine, cardNumberLine } from "../src/format/card";
import type { CardView } from "../src/ipc/bindings";

const card = (provider: string, usage: string) => ({ provider, usage, label: "card ending 4242" });

describe("stop using and delete at the provider", () => {
  it("offers both on a card in use where the provider deletes saved cards, each saying what it does", () => {
    const choices = cardLifeChoices(card("clover", "in_use"));
    expect(choices.map((c) => c.button)).toEqual(["Stop using…", "Delete at Clover…"]);
    const [stop, del] = choices;
    expect(stop.question).toBe("Stop using card ending 4242?");
    expect(stop.effect).toContain("stays saved at Clover, where your web shop may still use it");
    expect(stop.effect).toContain("cardholder is sent a notice");
    expect(del.effect).toContain("neither Coffer nor your web shop can charge it again");
    expect(del.effect).toContain("cannot be undone");
    expect(cardLifeChoices(card("processout", "in_use")).map((c) => c.action)).toEqual(["stop", "delete"]);
  });

  it("offers no delete where the provider has none (Assist, Svea), and says so", () => {
    for (const [provider, label] of [["assist", "Assist"], ["svea", "Svea"]]) {
      expect(cardLifeChoices(card(provider, "in_use")).map((c) => c.action), provider).toEqual(["stop"]);
      expect(deleteNotOffered(card(provider, "in_use"))).toBe(`${label} offers no way to delete a saved card: you can only stop using it.`);
    }
    expect(deleteNotOffered(card("clover", "in_use"))).toBeNull();
  });

  it("a stopped card can still be deleted where offered; a deleted one offers nothing", () => {
    expect(cardLifeChoices(card("clover", "stopped")).map((c) => c.action)).toEqual(["delete"]);
    expect(cardLifeChoices(card("svea", "stopped"))).toEqual([]);
    expect(cardLifeChoices(card("clover", "removed"))).toEqual([]);
    expect(deleteNotOffered(card("svea", "removed"))).toBeNull();
  });

  it("the note after the act says what happened and which notices failed", () => {
    expect(cardLifeNote({ done: ["Stopped.", "Contract 3 ended."], notice_errors: [] })).toBe("Stopped. Contract 3 ended.");
    expect(cardLifeNote({ done: ["Stopped."], notice_errors: ["no outbox"] })).toBe("Stopped. Not sent: no outbox");
  });
});

describe("a card's use and method on its tile", () => {
  const status = (state: CardView["status"]["state"], label: string): CardView["status"] => ({
    state,
    label,
    reason: "why",
    next_step: "Next.",
    chargeable: false,
    next_try_at: null,
  });
  it("badges a stopped and a deleted card as such, never Ready", () => {
    expect(cardBadges({ status: status("stopped", "Not used"), expiring_soon: true }).map((b) => [b.kind, b.label])).toEqual([
      ["stopped", "Not used"],
    ]);
    expect(cardBadges({ status: status("removed", "Deleted"), expiring_soon: false }).map((b) => b.kind)).toEqual(["removed"]);
  });
  it("names an APM token by its method instead of a last4 and an expiry", () => {
    expect(cardNumberLine({ apm: "PayPal", last4: "0000" })).toBe("PayPal");
    expect(cardExpiryLine({ apm: "PayPal", exp_month: 12, exp_year: 2199 })).toBe("APM token");
    expect(cardNumberLine({ apm: null, last4: "4242" })).toBe("•••• 4242");
    expect(cardExpiryLine({ apm: null, exp_month: 5, exp_year: 2029 })).toBe("05/29");
  });
});
