"""`mix` and `pack` on the executor, like every job: tasks with markers, resume, progress.

A run's identity (its fingerprint: inputs with size and mtime, and every setting that changes the
output) is checked against the output folder's before any work, so a rerun of the same command
resumes: tasks with a marker are skipped, the others are redone, and each task publishes its files
atomically (`.NAME.tmp`, then rename) before its marker is written, so nothing is lost or written
twice. How it runs (`--workers`, `--executor`) is not part of the identity and never changes a byte.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from corpusmill.executors import make_executor
from corpusmill.executors.markers import MarkerStore
from corpusmill.job import claim_run
from corpusmill.output_folder import OutputFolder
from corpusmill.progress import Progress
from corpusmill.tasks import Pass, Task

WORK = "_work"
MARKERS = "_markers"


@dataclass
class RunOptions:
    """How a mix or pack runs: never part of what it writes."""

    workers: int = 1
    executor: str = "local"
    executor_options: dict[str, Any] = field(default_factory=dict)
    quiet: bool = False


class PassRun:
    """One mix or pack run in its claimed folder: its fingerprint checked, then passes of tasks."""

    def __init__(self, folder: OutputFolder, kind: str, fingerprint: dict[str, Any], options: RunOptions,
                 overwrite: bool, outputs: tuple[str, ...]) -> None:
        self.folder = folder
        if overwrite:
            folder.clear()
        folder.own(MARKERS, WORK, *outputs)
        claim_run(folder.path, fingerprint, kind)
        folder.remove_partial_files()  # left by a killed run
        self.markers = MarkerStore(folder.path)
        self.progress = Progress(quiet=options.quiet)
        self.options = options
        self._executor = None
        self.seconds: dict[str, float] = {}

    @property
    def work(self) -> Path:
        return self.folder.path / WORK

    def run(self, name: str, tasks: list[Task]) -> dict[str, dict[str, Any]]:
        """Every task's result by id (from its marker, or run now on the executor)."""
        if self._executor is None:  # started only when there is work (Ray takes seconds to start)
            self._executor = make_executor(self.options.executor, self.options.workers,
                                           self.options.executor_options)
        try:
            results = self._executor.run_pass(Pass(name, tasks), self.markers, self.progress)
        except KeyboardInterrupt:
            self.folder.remove_partial_files()  # what the stopped workers left half-written
            raise
        self.seconds[name] = round(sum(float(r.get("seconds", 0.0)) for r in results.values()), 3)
        return results

    @property
    def executor_name(self) -> str:
        return self.options.executor


def publish(path: Path, write: Callable[[Any], None]) -> None:
    """Write `path` through `write(file)` under a temporary name, then rename: readers see all of it or none."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        write(fh)
    os.replace(tmp, path)
