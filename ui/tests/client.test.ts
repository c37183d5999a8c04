import { describe, expect, it } from "vitest";
import { CofferError, errorTitle, unwrap } from "../src/ipc/client";

async function failure(p: Promise<unknown>): Promise<CofferError> {
  try {
    await p;
  } catch (e) {
    return e as CofferError;
  }
  throw new Error("expected the call to fail");
}

describe("the IPC client", () => {
  it("returns the data of a successful command", async () => {
    await expect(unwrap(async () => ({ status: "ok" as const, data: 42 }))).resolves.toBe(42);
  });
  it("throws the engine's envelope as a CofferError with kind and field", async () => {
    const failing = async () => ({
      status: "error" as const,
      error: { kind: "invalid_input" as const, message: "base_url must start with https://", field: "base_url" },
    });
    const error = await failure(unwrap(failing));
    expect(error).toBeInstanceOf(CofferError);
    expect(error.kind).toBe("invalid_input");
    expect(error.field).toBe("base_url");
    expect(error.message).toContain("https://");
  });
  it("turns a failure of the IPC itself into kind ipc instead of losing it", async () => {
    const error = await failure(
      unwrap(async () => {
        throw "Command demo not allowed by ACL";
      }),
    );
    expect(error.kind).toBe("ipc");
    expect(error.message).toContain("not allowed");
    expect(errorTitle(error.kind)).toMatch(/could not run/);
  });
});

describe("framework rejections", () => {
  it("keeps a plain-string rejection that the bindings pass on as an error value", async () => {
    const error = await failure(
      unwrap(async () => ({ status: "error" as const, error: "invalid args `request` for command `list_cards`" as never })),
    );
    expect(error.kind).toBe("ipc");
    expect(error.message).toContain("invalid args");
  });
});
