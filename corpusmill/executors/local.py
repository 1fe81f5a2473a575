"""Local executor: N worker processes (fork) on this machine; the default."""
from __future__ import annotations

import ctypes
import multiprocessing as mp
import signal
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Iterator

from corpusmill.executors.base import Executor, TaskFailed, run_task
from corpusmill.progress import Progress, worker_report
from corpusmill.tasks import Task


def _init_worker(queue: Any) -> None:
    worker_report.queue = queue
    # Die with the parent: an orphaned worker of a killed run would race the rerun.
    try:
        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalExecutor(Executor):
    """Runs tasks in `workers` processes; workers send progress ticks through a queue."""

    name = "local"

    def run_tasks(self, pass_name: str, tasks: list[Task], progress: Progress
                  ) -> Iterator[tuple[Task, dict[str, Any]]]:
        attempts: dict[str, int] = {}
        ctx = mp.get_context("fork")
        queue = ctx.Queue()
        todo = tasks
        while todo:
            failed: list[tuple[Task, str]] = []
            with ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker,
                                     initargs=(queue,)) as pool:
                futures: dict[Future[dict[str, Any]], Task] = {pool.submit(run_task, t): t for t in todo}
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
                            yield t, res
                except KeyboardInterrupt:
                    _stop_now(pool)
                    raise
            progress.drain(queue)
            # A crashed worker breaks the whole pool: every unfinished task
            # counts an attempt and goes to a fresh pool.
            for t, why in failed:
                attempts[t.id] = attempts.get(t.id, 0) + 1
                if attempts[t.id] > self.retries:
                    raise TaskFailed(f"{pass_name} task {t.id} failed {attempts[t.id]} times: {why}")
                progress.log(f"{pass_name} task {t.id} failed ({why.splitlines()[0]}); retrying")
            todo = [t for t, _ in failed]


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
