#!/usr/bin/env python3
"""What one durable SQLite commit costs on this machine, by the pages it writes.

WAL and synchronous=FULL, as Coffer's writer. A table of 20,000 rows of 3,000 bytes (one row a
page); each commit rewrites k rows picked at random, so it writes k leaf pages to the WAL and
syncs it. Prints the p50 and p90 of 300 commits for each k. Python's own time per statement is
in the figure (a few microseconds a row), so the slope per page is an upper bound.

    python3 scripts/commit-cost.py [directory]
"""
import os
import random
import sqlite3
import sys
import tempfile
import time

directory = sys.argv[1] if len(sys.argv) > 1 else tempfile.gettempdir()
path = os.path.join(directory, f"commit-cost-{os.getpid()}.sqlite")
db = sqlite3.connect(path, isolation_level=None)
try:
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
    db.execute("BEGIN")
    for i in range(20000):
        db.execute("INSERT INTO t VALUES (?, ?)", (i, os.urandom(3000)))
    db.execute("COMMIT")
    print("pages  p50 ms  p90 ms")
    for k in [1, 2, 4, 8, 16, 22, 32]:
        times = []
        for _ in range(300):
            rows = random.sample(range(20000), k)
            blobs = [os.urandom(3000) for _ in rows]
            started = time.perf_counter()
            db.execute("BEGIN")
            for i, blob in zip(rows, blobs):
                db.execute("UPDATE t SET v = ? WHERE id = ?", (blob, i))
            db.execute("COMMIT")
            times.append(time.perf_counter() - started)
        times.sort()
        print(f"{k:5}  {times[150] * 1e3:6.3f}  {times[270] * 1e3:6.3f}")
finally:
    db.close()
    for suffix in ("", "-wal", "-shm"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass
