// The two acts of a card's life on its detail: stop using it, or delete it at the provider,
// each behind a confirmation that says what it does (see format/cardLife.ts).
import { useState } from "react";
import type { CardView } from "../../ipc/bindings";
import { api } from "../../ipc/client";
import { cardLifeChoices, cardLifeNote, deleteNotOffered, type CardLifeChoice } from "../../format/cardLife";
import { ConfirmBar } from "../../components/ConfirmBar";
import { ErrorNotice } from "../../components/ErrorNotice";

export function CardLifeActions({ card, onDone }: { card: CardView; onDone: (note: string) => void }) {
  const [asking, setAsking] = useState<CardLifeChoice | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const choices = cardLifeChoices(card);
  const notOffered = deleteNotOffered(card);
  if (choices.length === 0) return null;

  const run = async (choice: CardLifeChoice) => {
    setBusy(true);
    setError(null);
    try {
      const result = choice.action === "stop" ? await api.stopUsingCard(card.id) : await api.deleteCard(card.id);
      setAsking(null);
      onDone(cardLifeNote(result));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="card-life">
      <div className="toolbar">
        {choices.map((c) => (
          <button key={c.action} type="button" id={`card-${c.action}`} onClick={() => setAsking(c)} disabled={busy}>
            {c.button}
          </button>
        ))}
      </div>
      {notOffered ? (
        <p className="muted" id="card-delete-not-offered">
          {notOffered}
        </p>
      ) : null}
      {asking ? (
        <ConfirmBar
          id="card-life-confirm"
          question={`${asking.question} ${asking.effect}`}
          confirmLabel={asking.confirm}
          onConfirm={() => void run(asking)}
          onCancel={() => setAsking(null)}
        />
      ) : null}
      {error ? <ErrorNotice error={error} /> : null}
    </div>
  );
}
