"""Executors run passes of tasks: local processes (the default) or a Ray cluster."""
from __future__ import annotations

from typing import Any

from corpusmill.executors.base import Executor


def make_executor(name: str, workers: int = 1, options: dict[str, Any] | None = None) -> Executor:
    """The executor called `name` (local | ray) with `workers` parallel workers; Ray is imported only when asked for."""
    if name == "local":
        from corpusmill.executors.local import LocalExecutor

        return LocalExecutor(workers=workers, **(options or {}))
    if name == "ray":
        from corpusmill.executors.ray_executor import RayExecutor

        return RayExecutor(workers=workers, **(options or {}))
    raise ValueError(f"unknown executor {name!r}; use local or ray")
