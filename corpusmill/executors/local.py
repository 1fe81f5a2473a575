"""Local executor: N worker processes over a pass's tasks, markers for resume.

A task is done when its marker exists. Markers are written by this process
after the task returned (its outputs are already published atomically by
then), so after `kill -9` a rerun skips finished tasks and redoes the others,
which rewrite the same file names: no gaps, no duplicates.
"""
from __future__ import annotations

import ctypes
import multiprocessing as mp
import signal
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from corpusmill.corpus_stage import Pass, Task
from corpusmill.executors.markers import MarkerStore
from corpusmill.progress import Progress, worker_report

def _init_worker(queue: Any) -> None:
    worker_report.queue = queue
    # Die with the parent: an orphaned worker of a killed run would race the rerun.
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run(task: Task) -> dict[str, Any]:
    worker_report.task_id = task.id
    t0 = time.perf_counter()
    result = task.fn(*task.args)
    result.setdefault("seconds", time.perf_counter() - t0)
    return result


class TaskFailed(RuntimeError):
    pass


class LocalExecutor:
    """Runs tasks in `workers` processes (fork); retries a failed task `retries` times."""

    name = "local"

    def __init__(self, workers: int = 1, retries: int = 2) -> None:
        self.workers = max(1, int(workers))
        self.retries = retries

    def run_pass(self, p: Pass, markers: MarkerStore, progress: Progress) -> dict[str, dict[str, Any]]:
        results, todo = markers.split(p.name, p.tasks)
        progress.start_pass(p.name, total=len(p.tasks), done=len(results))
        attempts: dict[str, int] = {}
        ctx = mp.get_context("fork")
        queue = ctx.Queue()
        while todo:
            failed: list[tuple[Task, str]] = []
            with ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker,
                                     initargs=(queue,)) as pool:
                futures: dict[Future[dict[str, Any]], Task] = {pool.submit(_run, t): t for t in todo}
                pending = set(futures)
                try:
                    while pending:
                        done_set, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                        progress.drain(queue)
                        for f in done_set:
                            t = futures[f]
                            try:
                                res = f.result()
                            except BrokenProcessPool:
                                failed.append((t, "worker process died"))
                                continue
                            except Exception as e:
                                failed.append((t, f"{type(e).__name__}: {e}\n{_tb(e)}"))
                                continue
                            markers.put(p.name, t.id, res)
                            results[t.id] = res
                            progress.task_done(t.id, res)
                except KeyboardInterrupt:
                    _stop_now(pool)
                    raise
            progress.drain(queue)
            # A crashed worker breaks the whole pool: every unfinished task
            # counts an attempt and goes to a fresh pool.
            for t, why in failed:
                attempts[t.id] = attempts.get(t.id, 0) + 1
                if attempts[t.id] > self.retries:
                    raise TaskFailed(f"{p.name} task {t.id} failed {attempts[t.id]} times: {why}")
                progress.log(f"{p.name} task {t.id} failed ({why.splitlines()[0]}); retrying")
            todo = [t for t, _ in failed]
        progress.end_pass(p.name)
        return results


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Ctrl-C: kill the workers at once (their tasks have no marker and rerun on resume), drop queued tasks.

    Without this, leaving the `with` block would wait for every queued task
    while no marker is written any more.
    """
    for proc in list(getattr(pool, "_processes", {}).values()):
        proc.kill()
    pool.shutdown(wait=True, cancel_futures=True)


def _tb(e: BaseException) -> str:
    return "".join(traceback.format_exception(e))[-2000:]
