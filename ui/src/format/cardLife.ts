// A card's life on the customer page: "Stop using" and "Delete at the provider" are two
// different acts, each with a confirmation that says what it does. Pure functions, tested in
// tests/cardLife.test.ts. Whether the provider deletes saved cards is asked of the provider
// facts (coffer_core::providers), never decided by its name.
import type { CardLifeResult, CardView } from "../ipc/bindings";
import { can, providerLabel } from "../state/providers";

export type CardLifeAction = "stop" | "delete";

export interface CardLifeChoice {
  action: CardLifeAction;
  /** The button's words. */
  button: string;
  /** The confirmation's question, naming the card and the provider. */
  question: string;
  /** What it does, in plain words. */
  effect: string;
  /** The confirming button's words. */
  confirm: string;
}

/** The acts offered on a card: none once deleted; delete only where the provider offers it. */
export function cardLifeChoices(card: Pick<CardView, "usage" | "provider" | "label">): CardLifeChoice[] {
  if (card.usage === "removed") return [];
  const provider = providerLabel(card.provider);
  const choices: CardLifeChoice[] = [];
  if (card.usage === "in_use") {
    choices.push({
      action: "stop",
      button: "Stop using…",
      question: `Stop using ${card.label}?`,
      effect: `Coffer will not charge it again, and its contracts end: the cardholder is sent a notice for each. The card stays saved at ${provider}, where your web shop may still use it.`,
      confirm: "Stop using it",
    });
  }
  if (can(card.provider, "deletes_saved_cards")) {
    choices.push({
      action: "delete",
      button: `Delete at ${provider}…`,
      question: `Delete ${card.label} at ${provider}?`,
      effect: `${provider} deletes the saved card: neither Coffer nor your web shop can charge it again, and its contracts end (the cardholder is sent a notice for each). This cannot be undone.`,
      confirm: `Delete at ${provider}`,
    });
  }
  return choices;
}

/** Why no delete is offered, when the provider has none; `null` when it has one. */
export function deleteNotOffered(card: Pick<CardView, "usage" | "provider">): string | null {
  if (card.usage === "removed" || can(card.provider, "deletes_saved_cards")) return null;
  return `${providerLabel(card.provider)} offers no way to delete a saved card: you can only stop using it.`;
}

/** The note after the act: what happened, sentence by sentence. */
export function cardLifeNote(result: Pick<CardLifeResult, "done" | "notice_errors">): string {
  const errors = result.notice_errors.length > 0 ? ` Not sent: ${result.notice_errors.join("; ")}` : "";
  return `${result.done.join(" ")}${errors}`;
}
