import type { CardView } from "../ipc/bindings";
import { brandClass, brandMark, brandName, cardBadges } from "../format/card";

export function BrandMark({ brand }: { brand: string }) {
  return (
    <span className={`brand brand-${brandClass(brand)}`} role="img" aria-label={brandName(brand)}>
      {brandMark(brand)}
    </span>
  );
}

export function CardBadges({ card }: { card: CardView }) {
  return (
    <span className="badges" data-card-state={card.status.state}>
      {cardBadges(card).map((b, i) => (
        <span key={`${i}-${b.kind}`} className={`badge badge-${b.kind}`} title={b.title}>
          {b.label}
        </span>
      ))}
    </span>
  );
}
