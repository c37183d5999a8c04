// Pages through a search with limit/offset as the table scrolls: rows arrive a page at a time
// and only when the viewport comes near the end of what is loaded, so 100,000 customers never
// cross the IPC boundary at once. Framework-free and tested in tests/paging.test.ts.

export type FetchPage<T> = (offset: number, limit: number) => Promise<T[]>;

export class PagedRows<T> {
  rows: T[] = [];
  done = false;
  loading = false;
  error: unknown = null;
  private generation = 0;

  constructor(
    private readonly fetchPage: FetchPage<T>,
    readonly pageSize = 200,
    private readonly onChange: () => void = () => {},
  ) {}

  /** Loads the next page unless one is loading or the end was reached. */
  async loadMore(): Promise<void> {
    if (this.loading || this.done) return;
    const generation = this.generation;
    this.loading = true;
    this.error = null;
    this.onChange();
    try {
      const page = await this.fetchPage(this.rows.length, this.pageSize);
      if (generation !== this.generation) return; // a newer search replaced this one
      this.rows = this.rows.concat(page);
      if (page.length < this.pageSize) this.done = true;
    } catch (e) {
      if (generation !== this.generation) return;
      this.error = e;
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.onChange();
      }
    }
  }

  /** Called with the last visible index: fetches ahead when it nears the loaded end. */
  ensureVisible(lastIndex: number, margin = 50): void {
    if (!this.done && !this.loading && !this.error && lastIndex >= this.rows.length - margin) {
      void this.loadMore();
    }
  }

  /** Forgets everything (a new search or scope) and loads the first page. */
  reset(): Promise<void> {
    this.generation += 1;
    this.rows = [];
    this.done = false;
    this.loading = false;
    this.error = null;
    return this.loadMore();
  }
}
