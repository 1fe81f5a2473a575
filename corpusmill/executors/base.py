"""What every executor shares: the tasks of a pass without a marker run, and are marked as they finish.

A task is done when its marker exists. Markers are written by the driver
after the task returned (its outputs are already published atomically by
then), so after `kill -9` a rerun skips finished tasks and redoes the others,
which rewrite the same file names: no gaps, no duplicates. An executor only
says how tasks run (`run_tasks`); the loop around them is here.
"""
from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Iterator

from corpusmill.executors.markers import MarkerStore
from corpusmill.progress import Progress, worker_report
from corpusmill.tasks import Pass, Task


class TaskFailed(RuntimeError):
    """A task failed on every attempt; the run stops (finished tasks keep their markers)."""


def run_task(task: Task) -> dict[str, Any]:
    """Runs one task in a worker: its result, with the seconds it took and the node it ran on."""
    worker_report.task_id = task.id
    t0 = time.perf_counter()
    result = task.fn(*task.args)
    result.setdefault("seconds", time.perf_counter() - t0)
    result.setdefault("node", os.uname().nodename)
    return result


class Executor(ABC):
    """Runs passes of tasks in `workers` parallel workers, retrying a failed task `retries` times."""

    name: ClassVar[str]

    def __init__(self, workers: int = 1, retries: int = 2) -> None:
        self.workers = max(1, int(workers))
        self.retries = retries

    def run_pass(self, p: Pass, markers: MarkerStore, progress: Progress) -> dict[str, dict[str, Any]]:
        """Every task's result by task id: from its marker, or from running it now."""
        results, todo = markers.split(p.name, p.tasks)
        progress.start_pass(p.name, total=len(p.tasks), done=len(results))
        for task, result in self.run_tasks(p.name, todo, progress):
            markers.put(p.name, task.id, result)
            results[task.id] = result
            progress.task_done(task.id, result, records=self.records_of(result))
        progress.end_pass(p.name)
        return results

    @abstractmethod
    def run_tasks(self, pass_name: str, tasks: list[Task], progress: Progress
                  ) -> Iterator[tuple[Task, dict[str, Any]]]:
        """Runs the tasks (each through `run_task`), yielding each with its result as it finishes.

        Raises `TaskFailed` when a task has failed more than `retries` times.
        """

    def records_of(self, result: dict[str, Any]) -> int:
        """A finished task's records, for the progress line: what its shard wrote (0 for global passes).
        Live ticks only estimate it: they can arrive after the task's result, or come from a failed try."""
        return sum((result.get("written") or {}).values())
