import { describe, expect, it } from "vitest";
import type { SmtpView } from "../src/ipc/bindings";
import { defaultPort, initialSmtpForm, portAfterSecurityChange, smtpRequest } from "../src/views/settings/smtp";

const form = { host: " smtp.example.com ", port: "587", security: "starttls" as const, username: " ", from: "shop@example.com", password: "" };

describe("SMTP form", () => {
  it("starts empty with STARTTLS on 587, or from the merchant's settings without any password", () => {
    expect(initialSmtpForm(null)).toEqual({ host: "", port: "587", security: "starttls", username: "", from: "", password: "" });
    const view: SmtpView = {
      merchant_id: 3,
      channel: "smtp",
      outbox: null,
      smtp: {
        merchant_id: 3,
        host: "mail.shop.se",
        port: 465,
        security: "tls",
        username: "shop",
        from_address: "noreply@shop.se",
        secret: { service: "dev.coffer.app", account: "smtp/3" },
      },
    };
    expect(initialSmtpForm(view)).toEqual({ host: "mail.shop.se", port: "465", security: "tls", username: "shop", from: "noreply@shop.se", password: "" });
    expect(initialSmtpForm({ merchant_id: 3, channel: "outbox", smtp: null, outbox: "/x/outbox" }).port).toBe("587");
  });
  it("moves a default port along with the security, and keeps a port the owner typed", () => {
    expect(defaultPort("tls")).toBe(465);
    expect(portAfterSecurityChange("587", "starttls", "tls")).toBe("465");
    expect(portAfterSecurityChange("", "starttls", "none")).toBe("25");
    expect(portAfterSecurityChange("2525", "starttls", "tls")).toBe("2525");
  });
  it("builds the request: trimmed, an empty login and password sent as none", () => {
    expect(smtpRequest(3, form)).toEqual({
      request: { merchant_id: 3, host: "smtp.example.com", port: 587, security: "starttls", username: null, from_address: "shop@example.com", password: null },
    });
    const withLogin = smtpRequest(3, { ...form, username: "shop", password: " secret " });
    expect("request" in withLogin && withLogin.request).toMatchObject({ username: "shop", password: " secret " });
  });
  it("names the field of the first mistake", () => {
    expect(smtpRequest(3, { ...form, host: " " })).toMatchObject({ field: "host" });
    expect(smtpRequest(3, { ...form, port: "0" })).toMatchObject({ field: "port" });
    expect(smtpRequest(3, { ...form, port: "70000" })).toMatchObject({ field: "port" });
    expect(smtpRequest(3, { ...form, port: "58.7" })).toMatchObject({ field: "port" });
    expect(smtpRequest(3, { ...form, from: "" })).toMatchObject({ field: "from_address" });
  });
});
