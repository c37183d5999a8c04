// The SMTP form's rules, apart from React: default ports per security, and the request it sends.
import type { SetSmtpRequest, SmtpView } from "../../ipc/bindings";

export type Security = "none" | "starttls" | "tls";

export const SECURITIES: { value: Security; label: string; port: number }[] = [
  { value: "starttls", label: "STARTTLS (port 587)", port: 587 },
  { value: "tls", label: "TLS (port 465)", port: 465 },
  { value: "none", label: "None, unencrypted (port 25; no password)", port: 25 },
];

export function defaultPort(security: Security): number {
  return SECURITIES.find((s) => s.value === security)?.port ?? 587;
}

/** When the owner switches security, a port still at the old default follows to the new one. */
export function portAfterSecurityChange(port: string, from: Security, to: Security): string {
  return port.trim() === "" || Number(port) === defaultPort(from) ? String(defaultPort(to)) : port;
}

export type SmtpFormState = {
  host: string;
  port: string;
  security: Security;
  username: string;
  from: string;
  password: string;
};

/** The form's starting values: the merchant's SMTP settings, or empty with STARTTLS. */
export function initialSmtpForm(view: SmtpView | null): SmtpFormState {
  const s = view?.smtp;
  const security = (["none", "starttls", "tls"] as const).find((v) => v === s?.security) ?? "starttls";
  return {
    host: s?.host ?? "",
    port: String(s?.port ?? defaultPort(security)),
    security,
    username: s?.username ?? "",
    from: s?.from_address ?? "",
    password: "",
  };
}

/** The request, or the field and words of the first mistake. */
export function smtpRequest(merchantId: number, f: SmtpFormState): { request: SetSmtpRequest } | { field: string; message: string } {
  const host = f.host.trim();
  if (!host) return { field: "host", message: "Enter the SMTP server's host name, such as smtp.example.com." };
  const port = Number(f.port.trim());
  if (!/^\d+$/.test(f.port.trim()) || port < 1 || port > 65535) {
    return { field: "port", message: "The port is a whole number from 1 to 65535 (587 for STARTTLS, 465 for TLS)." };
  }
  const from = f.from.trim();
  if (!from) return { field: "from_address", message: "Enter the address the notices come from." };
  return {
    request: {
      merchant_id: merchantId,
      host,
      port,
      security: f.security,
      username: f.username.trim() || null,
      from_address: from,
      password: f.password === "" ? null : f.password,
    },
  };
}
