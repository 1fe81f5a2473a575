"""Task markers: `OUT/_markers/<pass>/<task>.json` holds a finished task's result."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from corpusmill.tasks import Task


class MarkerStore:
    def __init__(self, out_dir: Path) -> None:
        self.root = out_dir / "_markers"

    def _path(self, pass_name: str, task_id: str) -> Path:
        return self.root / pass_name / f"{task_id}.json"

    def get(self, pass_name: str, task_id: str) -> dict[str, Any] | None:
        try:
            return orjson.loads(self._path(pass_name, task_id).read_bytes())
        except FileNotFoundError:
            return None

    def put(self, pass_name: str, task_id: str, result: dict[str, Any]) -> None:
        path = self._path(pass_name, task_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(orjson.dumps(result))
        os.replace(tmp, path)

    def split(self, pass_name: str, tasks: list[Task]) -> tuple[dict[str, dict[str, Any]], list[Task]]:
        """Results of the tasks already done (from their markers), and the tasks still to run."""
        done: dict[str, dict[str, Any]] = {}
        todo: list[Task] = []
        for t in tasks:
            result = self.get(pass_name, t.id)
            if result is None:
                todo.append(t)
            else:
                done[t.id] = result
        return done, todo

    def all(self, pass_name: str) -> dict[str, dict[str, Any]]:
        d = self.root / pass_name
        if not d.is_dir():
            return {}
        return {p.stem: orjson.loads(p.read_bytes()) for p in sorted(d.glob("*.json"))}
