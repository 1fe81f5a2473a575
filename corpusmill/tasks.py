"""Units of work: a `Task` runs in a worker, a `Pass` is a list of them that an executor runs.

Shard work (a segment of stages over one shard) and a corpus stage's global
passes (dedup buckets, clusters) are both tasks, so one executor runs them all
with the same markers, retries and resume.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Task:
    """One unit of work in a pass: `fn(*args)` runs in a worker and returns a JSON-able dict.

    `fn` must be a module-level function so it pickles (processes, Ray). It
    must write its outputs atomically (write to a temporary name, then
    rename): the executor writes the task's marker after it returns, and a
    rerun skips tasks with markers.
    """

    id: str
    fn: Callable[..., dict[str, Any]]
    args: tuple[Any, ...] = ()


@dataclass
class Pass:
    name: str
    tasks: list[Task] = field(default_factory=list)
