"""Claiming an output folder: never write into, or delete from, a folder that is not ours.

Every command that writes an output folder (the jobs, `crawl`, `mix`, `pack`) claims it first:

- Ownership. The folder must be new, empty, or hold our run marker (`corpusmill-run.json`) left
  by a command that may continue it; a folder holding anything else is the user's, and the command
  refuses before writing a byte. Every top-level entry a command writes is listed in the marker
  *before* it is created, so `--overwrite` (and a failed `mix`) removes exactly those entries and
  nothing a user put beside them.
- One run at a time. An exclusive POSIX lock (`fcntl.lockf`) on `.corpusmill.lock` is held until
  the claiming process ends; the kernel drops it when the process exits or is killed, so there is
  no stale lock to clean up. POSIX locks are per process, not inherited by forked workers: an
  orphaned child cannot keep a dead run's folder locked. The holder writes its pid, host, start
  time and command into the lock file, so a second run can say who holds it. (A POSIX lock is
dropped when its process closes *any* descriptor of the file: nothing but the claim opens it.)

Claims nest within one process (the crawl command claims its folder, then runs the WARC job in
it): the inner claim reuses the outer one, since a process cannot conflict with its own lock.
"""
from __future__ import annotations

import errno
import fcntl
import os
import shutil
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import orjson

MARKER = "corpusmill-run.json"
LOCK = ".corpusmill.lock"
_MARKER_TMP = f".{MARKER}.tmp"
_OURS = {MARKER, LOCK, _MARKER_TMP}

# (folder's command, claiming command) pairs that share a folder: a crawl folder holds the WARC job's output.
_CONTINUES = {("crawl", "job")}


class OutputInUse(RuntimeError):
    """The output folder cannot be used: a file, someone else's files, another command's, or locked."""


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def is_within(path: str | Path, folder: str | Path) -> bool:
    """Whether `path` is `folder` or lies under it (both made absolute, symlinks resolved)."""
    return _within(Path(path).resolve(), Path(folder).resolve())


class OutputFolder:
    """A claimed output folder: locked by this process, its marker listing what we wrote."""

    def __init__(self, path: Path, command: str) -> None:
        self.path = path
        self.command = command
        self._fd: int | None = None
        self.created = False  # the claim made the folder

    # -- claiming -------------------------------------------------------------------------
    def _acquire(self) -> None:
        out = self.path
        if out.exists() and not out.is_dir():
            raise OutputInUse(f"output {str(out)!r} is a file; name a folder")
        self._refuse_foreign()
        self.created = not out.exists()
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:  # a parent that is a file, a read-only or virtual file system
            raise OutputInUse(f"output {str(out)!r} cannot be created ({e.strerror}); "
                              "name a folder you can write to") from None
        fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            raise OutputInUse(f"output {str(out)!r} is in use by {_holder(out / LOCK)}; wait for that run "
                              "to finish (or stop it), or use another -o") from None
        self._fd = fd
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
        os.ftruncate(fd, 0)
        os.pwrite(fd, orjson.dumps(info), 0)
        try:
            (out / _MARKER_TMP).unlink(missing_ok=True)  # a marker write cut short by a kill
            self._refuse_foreign()  # again, now that no other run can be writing here
            marker = self._marker()
            if marker is None:
                self._write_marker({"command": self.command, "owns": []})
            elif marker["command"] != self.command and (marker["command"], self.command) not in _CONTINUES:
                raise OutputInUse(f"output {str(out)!r} holds the output of `corpusmill {marker['command']}`; "
                                  "use another -o")
        except BaseException:
            self.release()
            raise

    def _refuse_foreign(self) -> None:
        """A folder with entries but no marker of ours holds the user's files: never write there."""
        if not self.path.is_dir() or (self.path / MARKER).is_file():
            return
        foreign = sorted(n for n in os.listdir(self.path) if n not in _OURS)
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise OutputInUse(f"output {str(self.path)!r} is not empty and was not written by corpusmill "
                              f"(it holds {shown}); name a new or empty folder")

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)  # an empty lock file: nobody holds it
            os.close(self._fd)  # drops the lock
            self._fd = None

    # -- the marker -----------------------------------------------------------------------
    def _marker(self) -> dict | None:
        try:
            return orjson.loads((self.path / MARKER).read_bytes())
        except FileNotFoundError:
            return None

    def _write_marker(self, marker: dict) -> None:
        tmp = self.path / _MARKER_TMP
        tmp.write_bytes(orjson.dumps(marker, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        os.replace(tmp, self.path / MARKER)

    def owned(self) -> list[str]:
        """The top-level entries we wrote (or were about to write) here."""
        marker = self._marker()
        return list(marker["owns"]) if marker else []

    def own(self, *names: str) -> None:
        """List `names` (top-level entries) as ours; call before creating them."""
        marker = self._marker() or {"command": self.command, "owns": []}
        new = sorted(set(marker["owns"]) | set(names))
        if new != marker["owns"]:
            self._write_marker({**marker, "owns": new})

    def clear(self, names: tuple[str, ...] | None = None) -> None:
        """Remove what we wrote (only `names` of it, when given); never anything the marker does not list."""
        marker = self._marker()
        if marker is None:
            return
        gone = [n for n in marker["owns"] if names is None or n in names]
        for name in gone:
            p = self.path / name
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink(missing_ok=True)
        self._write_marker({**marker, "owns": [n for n in marker["owns"] if n not in gone]})

    def discard(self) -> None:
        """Undo the claim's work: clear what we wrote, and the folder too when the claim made it and it is empty."""
        self.clear()
        if self.created and set(os.listdir(self.path)) <= _OURS:
            for name in _OURS:
                (self.path / name).unlink(missing_ok=True)
            self.path.rmdir()

    def remove_partial_files(self) -> None:
        """Half-written files of killed processes (`.NAME*.tmp`), inside what we wrote only."""
        owned = self.owned()
        for name in owned:
            p = self.path / name
            if p.is_dir() and not p.is_symlink():
                for tmp in p.rglob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
        # Temporary siblings of our top-level files (`.report.html.<pid>.tmp`).
        for entry in os.scandir(self.path):
            if entry.name.endswith(".tmp") and any(entry.name.startswith(f".{n}.") for n in owned) \
                    and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)


def _holder(lock: Path) -> str:
    """Who holds a lock, from what the holder wrote into it."""
    try:
        info = orjson.loads(lock.read_bytes())
        return (f"another run: `corpusmill {info['command']}`, pid {info['pid']} on {info['host']}, "
                f"started {info['started']}")
    except (OSError, ValueError, KeyError, TypeError):
        return "another run (it has not said who it is yet)"


_held: dict[Path, OutputFolder] = {}


@contextmanager
def claim(path: str | Path, command: str) -> Iterator[OutputFolder]:
    """Claim `path` for `command` for the duration of the block (see the module's doc)."""
    key = Path(path).resolve()
    outer = _held.get(key)
    if outer is not None:
        if outer.command != command and (outer.command, command) not in _CONTINUES:
            raise OutputInUse(f"output {str(path)!r} is already used by this process for "
                              f"`corpusmill {outer.command}`")
        yield outer
        return
    folder = OutputFolder(Path(path), command)
    folder._acquire()
    _held[key] = folder
    try:
        yield folder
    finally:
        del _held[key]
        folder.release()
