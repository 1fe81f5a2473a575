"""The persistent frontier and seen set (sqlite in crawl_state/), the base of resume.

Every URL ever discovered has one row (the seen set is the UNIQUE url column), with a state.
Rows move QUEUED -> ARCHIVED / FAILED / DISALLOWED exactly once, in the same transaction that
records the WARC offset the page's records end at and inserts the page's out-links. A process
killed at any point therefore leaves either (page done, records committed, links queued) or
(page queued, records beyond the committed offset - cut off on resume).
"""
from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class State(IntEnum):
    QUEUED = 0
    ARCHIVED = 1      # final response (after redirects) is in a WARC
    FAILED = 2        # gave up (network errors, retries exhausted, blocked address)
    DISALLOWED = 3    # robots.txt
    REDIRECTED = 4    # an intermediate hop of a chain archived under another row


# The note of a URL refused for its address (see ssrf.py), re-judged on every run.
REFUSED_NOTE = "blocked-address"


class Kind(IntEnum):
    PAGE = 0
    SITEMAP = 1


@dataclass(slots=True)
class Item:
    id: int
    url: str
    host: str
    depth: int
    kind: Kind
    attempt: int = 0


_SCHEMA = """
CREATE TABLE IF NOT EXISTS urls (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    host TEXT NOT NULL,
    depth INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    state INTEGER NOT NULL,
    http_status INTEGER,
    note TEXT,
    updated REAL
);
CREATE INDEX IF NOT EXISTS urls_state ON urls(state, id);
CREATE TABLE IF NOT EXISTS warc_files (path TEXT PRIMARY KEY, committed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (id INTEGER PRIMARY KEY, started REAL, finished REAL);
"""


class Frontier:
    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(state_dir / "frontier.sqlite", isolation_level=None)
        # WAL + NORMAL: a commit survives a killed process (it is in the OS page cache); only a
        # power cut can lose the last commits, and then the WARC tail is lost with them.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    # -- sessions and WARC offsets -------------------------------------------------------
    def start_session(self) -> int:
        cur = self.db.execute("INSERT INTO sessions(started) VALUES (?)", (time.time(),))
        return int(cur.lastrowid or 0)

    def finish_session(self, session: int) -> None:
        self.db.execute("UPDATE sessions SET finished=? WHERE id=?", (time.time(), session))

    def committed_warcs(self) -> list[tuple[str, int]]:
        """Every WARC file this crawl created, with the offset it is committed up to (0: nothing yet).

        Paths are relative to the output folder, so a moved folder finds its files.
        """
        return list(self.db.execute("SELECT path, committed FROM warc_files ORDER BY path"))

    def register_warc(self, path: Path, offset: int) -> None:
        """Record a WARC file's committed offset; `path` relative to the output folder."""
        self.db.execute("INSERT OR REPLACE INTO warc_files(path, committed) VALUES (?, ?)", (str(path), offset))

    def forget_warc(self, path: str) -> None:
        self.db.execute("DELETE FROM warc_files WHERE path=?", (path,))

    # -- URLs ---------------------------------------------------------------------------
    def add(self, rows: list[tuple[str, str, int, Kind]]) -> list[Item]:
        """Insert unseen URLs as QUEUED; returns the new items (already-seen URLs are ignored)."""
        new: list[Item] = []
        for url, host, depth, kind in rows:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO urls(url, host, depth, kind, state) VALUES (?,?,?,?,0)",
                (url, host, depth, int(kind)))
            if cur.rowcount:
                new.append(Item(int(cur.lastrowid or 0), url, host, depth, kind))
        return new

    def requeue_refused(self) -> int:
        """Put URLs refused for their address back in the queue, to be judged under this run's settings.

        A refusal (private address without allow_private) is a decision about
        the settings, not about the URL: a rerun with other settings decides again.
        """
        cur = self.db.execute(f"UPDATE urls SET state=0, note=NULL WHERE state=? AND note='{REFUSED_NOTE}'",
                              (int(State.FAILED),))
        return cur.rowcount

    def seen(self, url: str) -> bool:
        return self.db.execute("SELECT 1 FROM urls WHERE url=?", (url,)).fetchone() is not None

    def load_queued(self, after_id: int, limit: int) -> list[Item]:
        rows = self.db.execute(
            "SELECT id, url, host, depth, kind FROM urls WHERE state=0 AND id>? ORDER BY id LIMIT ?",
            (after_id, limit)).fetchall()
        return [Item(i, u, h, d, Kind(k)) for i, u, h, d, k in rows]

    def max_id(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM urls").fetchone()[0])

    def finish(self, item: Item, state: State, http_status: int | None, note: str | None,
               links: list[tuple[str, str, int, Kind]], redirected: list[tuple[str, str]],
               warc: tuple[Path, int] | None) -> list[Item]:
        """One transaction: the item's final state, its chain's hops, out-links, WARC offset."""
        now = time.time()
        self.db.execute("BEGIN")
        try:
            self.db.execute("UPDATE urls SET state=?, http_status=?, note=?, updated=? WHERE id=?",
                            (int(state), http_status, note, now, item.id))
            for url, host in redirected:
                self.db.execute(
                    "INSERT INTO urls(url, host, depth, kind, state, updated) VALUES (?,?,?,?,?,?) "
                    "ON CONFLICT(url) DO UPDATE SET state=excluded.state, updated=excluded.updated "
                    "WHERE state=0",
                    (url, host, item.depth, int(item.kind), int(State.REDIRECTED), now))
            new = self.add(links)
            if warc is not None:
                self.register_warc(*warc)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return new

    def counts(self) -> dict[State, int]:
        out = {s: 0 for s in State}
        for state, n in self.db.execute("SELECT state, COUNT(*) FROM urls GROUP BY state"):
            out[State(state)] = n
        return out

    def pages_used(self) -> int:
        """Page-budget units already spent: page and sitemap URLs with a final fetch outcome."""
        return int(self.db.execute("SELECT COUNT(*) FROM urls WHERE state IN (1, 2)").fetchone()[0])

    def count_kind(self, kind: Kind) -> int:
        """URLs of a kind ever queued (any state)."""
        return int(self.db.execute("SELECT COUNT(*) FROM urls WHERE kind=?", (int(kind),)).fetchone()[0])

    def close(self) -> None:
        self.db.close()
