"""A child process that parses one document at a time, killed when it overruns.

MuPDF is C code: a malicious or broken page can loop forever or allocate
without bound, and no Python timeout can interrupt it in-process. So the
stage sends each document to a long-lived child process (a fresh interpreter
running this module, so no inherited threads or locks, and never a re-import
of the caller's `__main__` as multiprocessing's spawn does: a user's script
without an `if __name__ == "__main__"` guard must not run again; the OCR
engine stays loaded between documents) and waits with a deadline. Past the deadline, or past the memory limit
(the child's resident size, polled, which works alongside GPU libraries that
reserve huge virtual address ranges), the child is killed and the next
document gets a fresh one.
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from corpusmill.parsers.pdf_document import ParseConfig

_POLL_S = 0.05
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class WorkerFailure(Exception):
    """The child did not answer: timeout, memory limit, crash."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ParserProcess:
    """One child process running `parse_document`, restarted after a kill."""

    def __init__(self, config: ParseConfig, memory_limit_mb: int | None) -> None:
        self.config = config
        self.memory_limit = memory_limit_mb * 1024 * 1024 if memory_limit_mb else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self.restarts = 0

    def parse(self, content: bytes, media_type: str, timeout_s: float) -> dict[str, Any]:
        """The child's answer: {"ok": True, "text", "pages", ...} or {"ok": False, "kind", "message"}.

        Raises WorkerFailure when the child gives no answer (timeout, memory, crash).
        """
        self._ensure()
        assert self._conn is not None and self._proc is not None
        try:
            self._conn.send((content, media_type))
        except (BrokenPipeError, OSError) as e:
            self._kill()
            raise WorkerFailure("crashed", f"parser process unreachable: {e}") from e
        deadline = time.monotonic() + timeout_s
        while True:
            if self._conn.poll(_POLL_S):
                try:
                    return self._conn.recv()
                except (EOFError, OSError):
                    code = self._proc.poll() if self._proc else None
                    self._kill()
                    raise WorkerFailure("crashed", f"parser process died (exit code {code})") from None
            code = self._proc.poll()
            if code is not None:
                self._kill()
                raise WorkerFailure("crashed", f"parser process died (exit code {code})")
            if time.monotonic() > deadline:
                self._kill()
                raise WorkerFailure("timeout", f"timeout after {timeout_s:g}s")
            rss = _rss(self._proc.pid)
            if self.memory_limit and rss > self.memory_limit:
                self._kill()
                raise WorkerFailure(
                    "memory", f"memory limit exceeded ({rss >> 20} MB > {self.memory_limit >> 20} MB)")

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
    """Child main loop: the config, then documents until told to stop (None)."""
    from corpusmill.parsers.page_ocr import PageReader
    from corpusmill.parsers.pdf_document import ParseConfig, ParseError, parse_document

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
        content, media_type = job
        t0 = time.perf_counter()
        try:
            doc = parse_document(content, media_type, cfg, reader)
            answer: dict[str, Any] = {
                "ok": True,
                "text": doc.text,
                "pages": doc.pages,
                "page_count": doc.page_count,
                "metadata": doc.metadata,
                "route_counts": doc.route_counts,
                "repaired": doc.repaired,
            }
        except ParseError as e:
            answer = {"ok": False, "kind": e.kind, "message": str(e)}
        except MemoryError:
            answer = {"ok": False, "kind": "memory", "message": "out of memory while parsing"}
        except Exception as e:  # a parser bug on one document must not kill the worker
            answer = {"ok": False, "kind": "failed", "message": f"{type(e).__name__}: {e}"[:500]}
        answer["seconds"] = time.perf_counter() - t0
        conn.send(answer)


def _rss(pid: int) -> int:
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
