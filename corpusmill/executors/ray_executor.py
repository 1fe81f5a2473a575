"""Ray executor: the same tasks as the local executor, as Ray tasks on a cluster.

Only the executor changes: shards are tasks, a failed or lost task is retried
by Ray (a killed worker process or node included), and markers are written by
the driver as tasks finish, so a rerun resumes exactly like a local one. The
output folder must be visible to every node at the same path (a shared
filesystem), since tasks write their shard files themselves.
"""
from __future__ import annotations

import os
import time
from typing import Any

from corpusmill.corpus_stage import Pass, Task
from corpusmill.executors.markers import MarkerStore
from corpusmill.progress import Progress


def _run(task: Task) -> dict[str, Any]:
    t0 = time.perf_counter()
    result = task.fn(*task.args)
    result.setdefault("seconds", time.perf_counter() - t0)
    result.setdefault("node", os.uname().nodename)
    return result


class RayExecutor:
    name = "ray"

    def __init__(self, workers: int = 1, address: str | None = None, retries: int = 3,
                 runtime_env: dict[str, Any] | None = None) -> None:
        import ray

        self.workers = max(1, int(workers))
        self.retries = retries
        if not ray.is_initialized():
            if address:
                ray.init(address=address, runtime_env=runtime_env, log_to_driver=False,
                         include_dashboard=False)
            else:
                # No cluster given: a private one on this machine, sized to --workers.
                ray.init(num_cpus=self.workers, runtime_env=runtime_env, log_to_driver=False,
                         include_dashboard=False)
        self._remote = ray.remote(num_cpus=1, max_retries=retries, retry_exceptions=True)(_run)

    def run_pass(self, p: Pass, markers: MarkerStore, progress: Progress) -> dict[str, dict[str, Any]]:
        import ray

        results, todo = markers.split(p.name, p.tasks)
        progress.start_pass(p.name, total=len(p.tasks), done=len(results))
        # Keep at most `workers` tasks in flight so --workers means the same as locally.
        queue = list(todo)
        inflight: dict[Any, Task] = {}
        while queue or inflight:
            while queue and len(inflight) < self.workers:
                t = queue.pop(0)
                inflight[self._remote.remote(t)] = t
            ready, _ = ray.wait(list(inflight), num_returns=1, timeout=1.0)
            for ref in ready:
                t = inflight.pop(ref)
                res = ray.get(ref)  # raises after Ray's retries are spent
                markers.put(p.name, t.id, res)
                results[t.id] = res
                progress.task_done(t.id, res, records=sum((res.get("written") or {}).values()))
        progress.end_pass(p.name)
        return results
