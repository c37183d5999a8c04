// The contract's terms as form fields: shared by the contract form and the enrollment dialog
// (a contract made on the card once the provider confirms it).
import type { ContractForm } from "./terms";

export function ContractFields({
  form,
  onChange,
  invalid,
  idPrefix = "contract",
  isNew,
}: {
  form: ContractForm;
  onChange: (form: ContractForm) => void;
  invalid: (key: keyof ContractForm) => boolean;
  /** The inputs' ids are `<idPrefix>-<field>`. */
  idPrefix?: string;
  /** A new contract: its original payment and first date can be given. */
  isNew: boolean;
}) {
  const set = (key: keyof ContractForm) => (e: { target: { value: string } }) => onChange({ ...form, [key]: e.target.value });
  const input = (key: keyof ContractForm, label: string, props: Record<string, string> = {}) => (
    <label className="field">
      <span>{label}</span>
      <input id={`${idPrefix}-${key}`} value={form[key]} onChange={set(key)} aria-invalid={invalid(key) ? true : undefined} {...props} />
    </label>
  );
  return (
    <>
      <label className="field">
        <span>Amount</span>
        <select id={`${idPrefix}-amount-kind`} value={form.amountKind} onChange={set("amountKind")}>
          <option value="fixed">Fixed: the same every time</option>
          <option value="variable">Varying, up to a maximum</option>
        </select>
      </label>
      {form.amountKind === "fixed"
        ? input("amount", "Amount of each charge", { inputMode: "decimal", placeholder: "9.90" })
        : (
          <>
            {input("max", "Largest amount", { inputMode: "decimal" })}
            {input("min", "Smallest amount (Assist needs one)", { inputMode: "decimal" })}
          </>
        )}
      {isNew ? input("original", "Original payment (Svea's cap; the initial transaction's if empty)", { inputMode: "decimal" }) : null}
      <label className="field">
        <span>How often</span>
        <select id={`${idPrefix}-frequency`} value={form.frequency} onChange={set("frequency")}>
          <option value="monthly">Every month on a day</option>
          <option value="yearly">Every year on a date</option>
          <option value="every_days">Every N days</option>
        </select>
      </label>
      {input("every", form.frequency === "monthly" ? "Day of the month (1–31)" : form.frequency === "yearly" ? "Date (MM-DD)" : "Days between charges")}
      {isNew ? input("start", "First possible charge (empty: today)", { type: "date" }) : null}
      {input("end", "Last possible charge (empty: until cancelled)", { type: "date" })}
    </>
  );
}
