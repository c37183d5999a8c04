// What differs by provider, as Rust's coffer_core::providers exports it through the bindings:
// views ask these facts instead of comparing provider names, so a new provider needs no UI edit.
import { PROVIDERS, type Capabilities, type ProviderKind } from "../ipc/bindings";

/** One provider's facts (the generated `ProviderFacts`, read-only as the constant is). */
export type Provider = (typeof PROVIDERS)[number];

/** Every provider, in the order Rust lists them. */
export const providers: readonly Provider[] = PROVIDERS;

/** The facts of a provider named either way: as a merchant view names it (`processout`) or as
 * an account does (`process_out`). */
export function providerFacts(name: string): Provider | undefined {
  return providers.find((p) => p.name === name || p.provider === name);
}

/** The yes/no capabilities (not `enrollment`, which says where a page works and why). */
export type Capability = { [K in keyof Capabilities]: Capabilities[K] extends boolean ? K : never }[keyof Capabilities];

/** Whether the provider named `name` has the capability `key`; false for an unknown name. */
export function can(name: string, key: Capability): boolean {
  return providerFacts(name)?.capabilities[key] ?? false;
}

/** The provider's name as people write it; the name itself when unknown. */
export function providerLabel(name: string): string {
  return providerFacts(name)?.label ?? name;
}

export type { ProviderKind };
