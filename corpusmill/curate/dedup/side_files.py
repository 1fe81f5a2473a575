"""Side files of the dedup stages: atomic writes, per-shard lists, decisions.

Every file is written to a temporary name and renamed into place, so a task
killed half-way leaves either the old file or the new one, never a torn one;
a rerun of the task simply writes it again.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import orjson


def temporary(path: Path) -> Path:
    """Where to write `path` before renaming it into place: ".<name>.<pid>.tmp" (the runner
    deletes ".*.tmp" leftovers of killed workers)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def write_npy(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary(path)
    with open(tmp, "wb") as f:  # a file object: np.save would append ".npy" to a str name
        np.save(f, np.ascontiguousarray(array))
    os.replace(tmp, path)


def read_npy(path: Path, mmap: bool = True) -> np.ndarray:
    """A side array; memory-mapped by default so only the rows read are paged in."""
    if not path.exists():
        raise FileNotFoundError(f"dedup side file missing: {path} (did collect/passes run for it?)")
    return np.load(path, mmap_mode="r" if mmap else None)


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary(path)
    tmp.write_bytes(orjson.dumps(value))
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    if not path.exists():
        raise FileNotFoundError(f"dedup side file missing: {path} (did collect/passes run for it?)")
    return orjson.loads(path.read_bytes())


def node_ids(shard_index: int, positions: np.ndarray) -> np.ndarray:
    """Global record keys that sort by (shard id, position): shard index in the high 32 bits."""
    return (np.uint64(shard_index) << np.uint64(32)) | positions.astype(np.uint64)


def split_nodes(nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (nodes >> np.uint64(32)).astype(np.int64), (nodes & np.uint64(0xFFFF_FFFF)).astype(np.int64)


def load_ids(stage_dir: Path, shard_id: str) -> list[str]:
    return read_json(stage_dir / "ids" / f"{shard_id}.json")
