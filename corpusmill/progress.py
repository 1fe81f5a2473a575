"""Progress of a run: a live bar on a terminal, plain periodic lines in logs and CI.

Workers send `(task_id, records, fraction)` through a queue; the main process
draws. `--quiet` silences everything but errors.
"""
from __future__ import annotations

import queue as queue_mod
import sys
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _WorkerReport:
    """Set in each worker process by the executor; stages call `tick()`."""

    queue: Any = None
    task_id: str = ""
    every: int = 200
    _n: int = 0

    def tick(self, n: int = 1, fraction: float | None = None) -> None:
        self._n += n
        if self.queue is not None and (self._n >= self.every or fraction == 1.0):
            try:
                self.queue.put_nowait((self.task_id, self._n, fraction))
            except Exception:  # progress is best effort; never fail a task for it
                pass
            self._n = 0


worker_report = _WorkerReport()


@dataclass
class Progress:
    quiet: bool = False
    interval_s: float = 10.0
    stream: Any = field(default=sys.stderr)
    _pass: str = ""
    _total: int = 0
    _done: int = 0
    _records: int = 0
    _fractions: dict[str, float] = field(default_factory=dict)
    _ticked: dict[str, int] = field(default_factory=dict)  # live ticks per running task
    _finished: set[str] = field(default_factory=set)
    _t0: float = 0.0
    _last: float = 0.0
    _bar: Any = None
    _bar_task: Any = None

    @property
    def tty(self) -> bool:
        return hasattr(self.stream, "isatty") and self.stream.isatty()

    def start_pass(self, name: str, total: int, done: int) -> None:
        self._pass, self._total, self._done = name, total, done
        self._records, self._fractions, self._ticked, self._finished = 0, {}, {}, set()
        self._t0 = self._last = time.monotonic()
        if self.quiet:
            return
        if done:
            self.log(f"{name}: {done}/{total} tasks already done (resuming)")
        if self.tty:
            from rich.progress import (BarColumn, Progress as RichProgress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self._bar = RichProgress(TextColumn("[bold]{task.description}"), BarColumn(),
                                     TextColumn("{task.fields[info]}"), TimeElapsedColumn(),
                                     TextColumn("ETA"), TimeRemainingColumn(), transient=True)
            self._bar.start()
            self._bar_task = self._bar.add_task(name, total=total, completed=done, info="")

    def drain(self, q: Any) -> None:
        while True:
            try:
                task_id, n, frac = q.get_nowait()
            except (queue_mod.Empty, EOFError, OSError):
                break
            if task_id in self._finished:
                continue  # a tick that arrived after its task's result: already counted there
            self._ticked[task_id] = self._ticked.get(task_id, 0) + n
            self._records += n
            if frac is not None:
                self._fractions[task_id] = frac
        self._show()

    def task_done(self, task_id: str, result: dict[str, Any], records: int = 0) -> None:
        """A task finished; `records` (when known) replaces the estimate its live ticks gave."""
        self._done += 1
        self._finished.add(task_id)
        ticked = self._ticked.pop(task_id, 0)
        if records:
            self._records += records - ticked
        self._fractions.pop(task_id, None)
        # Plain logs get a line per interval and one when the pass is complete.
        self._show(force=self._done == self._total)

    def _show(self, force: bool = False) -> None:
        if self.quiet:
            return
        elapsed = max(time.monotonic() - self._t0, 1e-9)
        rate = self._records / elapsed
        done = self._done + sum(self._fractions.values())
        info = f"{self._done}/{self._total} tasks"
        if self._records:  # global passes (dedup buckets, clusters) do not stream records
            info += f"  {self._records:,} records  {rate:,.0f}/s"
        if self._bar is not None:
            self._bar.update(self._bar_task, completed=done, info=info)
            return
        now = time.monotonic()
        if force or now - self._last >= self.interval_s:
            self._last = now
            eta_s = f"{max(elapsed / done * (self._total - done), 0.0):,.0f}s" if done > 0 else "?"
            print(f"[{self._pass}] {info}  elapsed {elapsed:,.0f}s  eta {eta_s}", file=self.stream,
                  flush=True)

    def end_pass(self, name: str) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def log(self, msg: str) -> None:
        if not self.quiet:
            print(msg, file=self.stream, flush=True)
