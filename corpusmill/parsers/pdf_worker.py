"""A child process that parses documents page by page, each page held to a budget.

MuPDF is C code: a malicious or broken page can loop forever or allocate
without bound, and no Python timeout can interrupt it in-process. So the
stage sends each document to a long-lived child process (a fresh interpreter
running this module, so no inherited threads or locks, and never a re-import
of the caller's `__main__` as multiprocessing's spawn does: a user's script
without an `if __name__ == "__main__"` guard must not run again; the OCR
engine stays loaded between documents) that reports every page it starts and finishes (`pdf_document.parse_events`).
The parent holds the page being worked on to the page budget and the child's
resident size (polled, which works alongside GPU libraries that reserve huge
virtual address ranges) to the memory limit. A page that overruns either is
killed with the child and recorded as failed; a fresh child goes on with the
pages still to do, so a document loses only its bad pages. The document as
a whole has a budget that grows with its page count; when it runs out, the
pages not yet read fail and the ones read are kept.
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from corpusmill.parsers.page_model import ReadPage, failed_page
from corpusmill.parsers.pdf_document import ParseConfig, ParseError

_POLL_S = 0.05
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True, slots=True)
class Budget:
    """Time limits of one document.

    `page_s` bounds one page (a batch of n pages gets n times it); the
    document gets `base_s` (opening it, reading its text layers) plus
    `per_page_s` for each of its pages.
    """

    page_s: float
    base_s: float
    per_page_s: float

    def document_s(self, pages: int) -> float:
        return self.base_s + self.per_page_s * pages


class WorkerFailure(Exception):
    """The child did not answer before any page was under way: timeout, memory limit, crash."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Parsed:
    """What the child reported for a document (or a page range of one), pages in order."""

    parts: list[ReadPage]
    page_count: int
    metadata: dict[str, Any]
    repaired: bool
    seconds: float


@dataclass
class _Run:
    """The parent's account of one document across child restarts."""

    t0: float
    budget: Budget
    pages: tuple[int, int] | None
    count: int | None = None
    parts: dict[int, ReadPage] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)  # index -> why, skipped by the next child
    meta: tuple[dict[str, Any], bool] = ({}, False)

    def wanted(self) -> range:
        first, stop = self.pages or (0, self.count or 0)
        return range(first, min(stop, self.count or 0))

    def deadline(self) -> float:
        """Opening the document gets the base budget; once its pages are counted, the budget grows with them."""
        if self.count is None:
            return self.t0 + self.budget.base_s
        return self.t0 + self.budget.document_s(len(self.wanted()))


class ParserProcess:
    """One child process running `parse_events`, restarted after a kill."""

    def __init__(self, config: ParseConfig, memory_limit_mb: int | None) -> None:
        self.config = config
        self.memory_limit = memory_limit_mb * 1024 * 1024 if memory_limit_mb else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self.restarts = 0
        # The largest resident size polled in any child: what the memory limit is held against.
        self.peak_rss = 0

    def parse(self, source: bytes | str, media_type: str, budget: Budget,
              pages: tuple[int, int] | None = None) -> Parsed:
        """Every page of the document (or of `pages`, a [start, stop) range): read, or failed with a reason.

        Raises `pdf_document.ParseError` for a failure of the whole document and
        `WorkerFailure` when the child fails outside any page (before it has
        counted the pages, or between them).
        """
        run = _Run(time.monotonic(), budget, pages)
        while True:
            outcome = self._run_once(source, media_type, run)
            if outcome is None:
                break
            kind, message, current = outcome
            if kind == "document":
                for i in run.wanted():
                    run.parts.setdefault(i, failed_page(i, message))
                break
            if not current:
                raise WorkerFailure(kind, message)
            for i in current:
                run.failed[i] = message
        parts = [run.parts.get(i) or failed_page(i, run.failed.get(i, "page not read")) for i in run.wanted()]
        metadata, repaired = run.meta
        assert run.count is not None
        return Parsed(parts, run.count, metadata, repaired, time.monotonic() - run.t0)

    def probe(self, path: str, timeout_s: float) -> tuple[int, int]:
        """(pages, pages without a text layer) of the PDF or image at `path`, read in the child under `timeout_s`."""
        self._ensure()
        assert self._conn is not None and self._proc is not None
        self._conn.send(("probe", path))
        deadline = time.monotonic() + timeout_s
        while not self._conn.poll(_POLL_S):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self._kill()
                raise WorkerFailure("timeout", f"probing {path} took over {timeout_s:g}s or crashed")
        answer = self._conn.recv()
        if answer[0] == "error":
            raise ParseError(answer[1], answer[2])
        return answer[1], answer[2]

    def _run_once(self, source: bytes | str, media_type: str, run: _Run) -> tuple[str, str, list[int]] | None:
        """One child's go at the document: None when it finished, else (kind, message, pages under way)."""
        self._ensure()
        assert self._conn is not None and self._proc is not None
        try:
            self._conn.send(("parse", source, media_type, run.pages, dict(run.failed), frozenset(run.parts)))
        except (BrokenPipeError, OSError) as e:
            self._kill()
            return "crashed", f"parser process unreachable: {e}", []
        current: list[int] = []
        page_deadline = float("inf")
        while True:
            if self._conn.poll(_POLL_S):
                try:
                    event = self._conn.recv()
                except (EOFError, OSError):
                    return self._died(current)
                tag = event[0]
                if tag == "count":
                    run.count = event[1]
                elif tag == "start":
                    current = list(event[1])
                    page_deadline = time.monotonic() + run.budget.page_s * len(current)
                elif tag == "page":
                    run.parts[event[1]] = event[2]
                    current = [i for i in current if i != event[1]]
                    if not current:
                        page_deadline = float("inf")
                elif tag == "meta":
                    run.meta = (event[1], event[2])
                elif tag == "done":
                    return None
                elif tag == "error":
                    raise ParseError(event[1], event[2])
                continue
            if self._proc.poll() is not None:
                return self._died(current)
            now = time.monotonic()
            if now > run.deadline():
                self._kill()
                if run.count is None:
                    return "timeout", f"timeout after {run.budget.base_s:g}s", current
                return ("document", f"document time budget ({run.deadline() - run.t0:.0f}s for "
                        f"{len(run.wanted())} pages) spent before this page", current)
            if now > page_deadline:
                self._kill()
                return "timeout", f"page timeout after {run.budget.page_s * len(current):g}s", current
            rss = process_rss(self._proc.pid)
            self.peak_rss = max(self.peak_rss, rss)
            if self.memory_limit and rss > self.memory_limit:
                self._kill()
                return "memory", f"memory limit exceeded ({rss >> 20} MB > {self.memory_limit >> 20} MB)", current

    def _died(self, current: list[int]) -> tuple[str, str, list[int]]:
        code = self._proc.poll() if self._proc else None
        self._kill()
        return "crashed", f"parser process died (exit code {code})", current

    def close(self) -> None:
        if self._conn is not None and self._proc is not None and self._proc.poll() is None:
            try:
                self._conn.send(None)
                self._proc.wait(2)
            except (BrokenPipeError, OSError, subprocess.TimeoutExpired):
                pass
        self._kill()

    def _ensure(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self._kill()
        parent, child = socket.socketpair()
        # The child imports corpusmill from where this process did, whatever its sys.path.
        package_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}
        self._proc = subprocess.Popen([sys.executable, "-m", "corpusmill.parsers.pdf_worker", str(child.fileno())],
                                      pass_fds=(child.fileno(),), env=env, stdin=subprocess.DEVNULL)
        child.close()
        self._conn = Connection(parent.detach())
        self._conn.send(asdict(self.config))
        self.restarts += 1

    def _kill(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self._conn is not None:
            self._conn.close()
        self._proc = None
        self._conn = None


def _serve(conn: Connection) -> None:
    """Child main loop: the config, then documents, reporting each page, until told to stop (None)."""
    from corpusmill.parsers.page_ocr import PageReader
    from corpusmill.parsers.pdf_document import parse_events, probe_document

    try:
        cfg = ParseConfig(**conn.recv())
    except EOFError:
        return
    reader = PageReader()
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        if job[0] == "probe":
            try:
                conn.send(("probe", *probe_document(job[1])))
            except ParseError as e:
                conn.send(("error", e.kind, str(e)))
            except Exception as e:
                conn.send(("error", "corrupt", f"corrupt document: {type(e).__name__}: {e}"[:500]))
            continue
        _, source, media_type, pages, skip, done = job
        try:
            for event in parse_events(source, media_type, cfg, reader, pages, skip, done):
                conn.send(event)
            conn.send(("done",))
        except ParseError as e:
            conn.send(("error", e.kind, str(e)))
        except MemoryError:
            conn.send(("error", "memory", "out of memory while parsing"))
        except Exception as e:  # a parser bug on one document must not kill the worker
            conn.send(("error", "failed", f"{type(e).__name__}: {e}"[:500]))


def process_rss(pid: int) -> int:
    """Resident bytes of process `pid` now (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def _main(fd: int) -> None:
    """Entry point of the child process (`python -m corpusmill.parsers.pdf_worker FD`)."""
    # Ctrl-C reaches the whole process group: the parent decides when this child stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the parent
    except OSError:
        pass
    from corpusmill.logs import configure_from_environment

    configure_from_environment()
    _serve(Connection(fd))


if __name__ == "__main__":
    _main(int(sys.argv[1]))
