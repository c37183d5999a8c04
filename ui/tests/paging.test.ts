import { describe, expect, it } from "vitest";
import { PagedRows } from "../src/state/paging";

function source(total: number) {
  const calls: [number, number][] = [];
  const fetch = async (offset: number, limit: number) => {
    calls.push([offset, limit]);
    return Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => offset + i);
  };
  return { calls, fetch };
}

describe("paging through a search", () => {
  it("loads the first page on reset and stops at a short page", async () => {
    const s = source(250);
    const rows = new PagedRows(s.fetch, 100);
    await rows.reset();
    expect(rows.rows.length).toBe(100);
    await rows.loadMore();
    await rows.loadMore();
    expect(rows.rows.length).toBe(250);
    expect(rows.done).toBe(true);
    await rows.loadMore();
    expect(s.calls).toEqual([
      [0, 100],
      [100, 100],
      [200, 100],
    ]);
  });

  it("fetches ahead only when the viewport nears the loaded end", async () => {
    const s = source(100_000);
    const rows = new PagedRows(s.fetch, 200);
    await rows.reset();
    rows.ensureVisible(20);
    expect(s.calls.length).toBe(1);
    rows.ensureVisible(160);
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(s.calls.length).toBe(2);
    expect(rows.rows.length).toBe(400);
  });

  it("drops the answer of a search that a newer one replaced", async () => {
    let release: (v: number[]) => void = () => {};
    const slow = new Promise<number[]>((r) => (release = r));
    let first = true;
    const rows = new PagedRows<number>(async () => {
      if (first) {
        first = false;
        return slow;
      }
      return [7];
    }, 10);
    const stale = rows.reset();
    await rows.reset();
    release([1, 2, 3]);
    await stale;
    expect(rows.rows).toEqual([7]);
  });

  it("keeps an error instead of swallowing it", async () => {
    const rows = new PagedRows<number>(async () => {
      throw new Error("engine down");
    }, 10);
    await rows.reset();
    expect(String(rows.error)).toContain("engine down");
    expect(rows.loading).toBe(false);
  });
});
