"""Ray executor: the same tasks as the local executor, as Ray tasks on a cluster.

Only the executor changes: shards are tasks, a failed or lost task is retried
by Ray (a killed worker process or node included), and markers are written by
the driver as tasks finish, so a rerun resumes exactly like a local one. The
output folder must be visible to every node at the same path (a shared
filesystem), since tasks write their shard files themselves.
"""
from __future__ import annotations

from typing import Any, Iterator

from corpusmill.executors.base import Executor, run_task
from corpusmill.progress import Progress
from corpusmill.tasks import Task


class RayExecutor(Executor):
    name = "ray"

    def __init__(self, workers: int = 1, address: str | None = None, retries: int = 3,
                 runtime_env: dict[str, Any] | None = None) -> None:
        import ray

        super().__init__(workers, retries)
        if not ray.is_initialized():
            if address:
                try:
                    ray.init(address=address, runtime_env=runtime_env, log_to_driver=False,
                             include_dashboard=False)
                except ConnectionError as e:  # a user's wrong --address: one line, not a traceback
                    from corpusmill.job import InputError

                    raise InputError(f"cannot reach the Ray cluster at --address {address} ({e}); "
                                     "start it with `ray start --head` or fix the address") from e
            else:
                # No cluster given: a private one on this machine, sized to --workers.
                ray.init(num_cpus=self.workers, runtime_env=runtime_env, log_to_driver=False,
                         include_dashboard=False)
        self._remote = ray.remote(num_cpus=1, max_retries=retries, retry_exceptions=True)(run_task)

    def run_tasks(self, pass_name: str, tasks: list[Task], progress: Progress
                  ) -> Iterator[tuple[Task, dict[str, Any]]]:
        import ray

        # Keep at most `workers` tasks in flight so --workers means the same as locally.
        queue = list(tasks)
        inflight: dict[Any, Task] = {}
        while queue or inflight:
            while queue and len(inflight) < self.workers:
                t = queue.pop(0)
                inflight[self._remote.remote(t)] = t
            ready, _ = ray.wait(list(inflight), num_returns=1, timeout=1.0)
            for ref in ready:
                t = inflight.pop(ref)
                yield t, ray.get(ref)  # raises after Ray's retries are spent

