// The postal address of a register customer. Svea requires the buyer's street address, postal
// code, city and country in every payment; the engine checks them (no placeholders such as "-")
// and names the field it refuses, which ErrorNotice shows beside the form.
import type { AddressForm } from "../ipc/bindings";

export type AddressFields = { street: string; postal_code: string; city: string; country: string };

export const EMPTY_ADDRESS: AddressFields = { street: "", postal_code: "", city: "", country: "FI" };

/// The form's address for the engine: none when nothing but the default country was typed.
export function addressForm(a: AddressFields): AddressForm | null {
  const street = a.street.trim();
  const postal_code = a.postal_code.trim();
  const city = a.city.trim();
  const country = a.country.trim();
  if (!street && !postal_code && !city) return null;
  return { street, postal_code, city, country: country || null };
}

export function AddressInputs({
  idPrefix,
  value,
  onChange,
  required,
}: {
  idPrefix: string;
  value: AddressFields;
  onChange: (a: AddressFields) => void;
  required: boolean;
}) {
  const set = (key: keyof AddressFields) => (e: { target: { value: string } }) => onChange({ ...value, [key]: e.target.value });
  return (
    <fieldset className="address-fields" aria-label="Address">
      <legend>Address{required ? " (Svea requires it in every payment)" : ""}</legend>
      <label className="field">
        <span>Street</span>
        <input id={`${idPrefix}-street`} value={value.street} onChange={set("street")} required={required} maxLength={40} />
      </label>
      <label className="field">
        <span>Postal code</span>
        <input
          id={`${idPrefix}-postal-code`}
          value={value.postal_code}
          onChange={set("postal_code")}
          required={required}
          inputMode="numeric"
          maxLength={5}
        />
      </label>
      <label className="field">
        <span>City</span>
        <input id={`${idPrefix}-city`} value={value.city} onChange={set("city")} required={required} maxLength={40} />
      </label>
      <label className="field">
        <span>Country</span>
        <input id={`${idPrefix}-country`} value={value.country} onChange={set("country")} maxLength={2} />
      </label>
    </fieldset>
  );
}
