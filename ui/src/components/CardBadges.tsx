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
    <span className="badges">
      {cardBadges(card).map((b) => (
        <span key={b.kind} className={`badge badge-${b.kind}`} title={b.title}>
          {b.label}
        </span>
      ))}
    </span>
  );
}
