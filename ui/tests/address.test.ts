import { describe, expect, it } from "vitest";
import { EMPTY_ADDRESS, addressForm } from "../src/components/AddressInputs";

describe("addressForm", () => {
  it("sends no address when only the default country is filled", () => {
    expect(addressForm(EMPTY_ADDRESS)).toBeNull();
  });

  it("sends the trimmed parts, leaving the engine to refuse a partial or placeholder one", () => {
    expect(addressForm({ street: " Mannerheimintie 1 ", postal_code: "00100", city: "Helsinki", country: "FI" })).toEqual({
      street: "Mannerheimintie 1",
      postal_code: "00100",
      city: "Helsinki",
      country: "FI",
    });
    expect(addressForm({ street: "-", postal_code: "", city: "", country: "" })).toEqual({
      street: "-",
      postal_code: "",
      city: "",
      country: null,
    });
  });
});
