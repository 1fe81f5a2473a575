"""Output folders: never delete what we did not write, never read our own output, one run at a time.

Real processes through the command line; real kill -9 where a lock must outlive nothing.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import orjson
import pytest
import yaml

from tests.conftest import CLI, ROOT, read_out, write_jsonl


def cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _corpus(folder: Path, names: list[str], rows: int = 20) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_jsonl(folder / f"{n}.jsonl.gz",
                        [{"id": f"{n}-{i}", "text": f"document {n} number {i} about rivers and hills"}
                         for i in range(rows)]) for n in names]


def _one_line_refusal(r: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and r.stderr.strip().count("\n") == 0, r.stderr
    for n in needles:
        assert n in r.stderr, r.stderr


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------ 1. never delete what is not ours

def test_a_folder_of_the_users_files_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    _corpus(tmp_path / "in", ["a"])
    out = tmp_path / "mine"
    (out / "data").mkdir(parents=True)
    (out / "data" / "00000.jsonl.gz").write_bytes(b"the user's own shard")
    (out / "rejects").mkdir()
    (out / "rejects" / "keep.txt").write_text("notes")
    (out / "stats.json").write_text("{}")
    before = _tree(out)
    for extra in ([], ["--overwrite"]):
        r = cli("pii", str(tmp_path / "in"), "-o", str(out), "--quiet", *extra)
        _one_line_refusal(r, "not written by corpusmill", "data")
        assert _tree(out) == before, "nothing of the user's was touched"


@pytest.mark.parametrize("command", ["pii", "mix"])
def test_an_output_that_cannot_be_created_is_one_line(tmp_path: Path, command: str) -> None:
    _corpus(tmp_path / "in", ["a"])
    (tmp_path / "a_file").write_text("not a folder")
    out = tmp_path / "a_file" / "out"  # its parent is a file: mkdir fails with ENOTDIR
    if command == "pii":
        r = cli("pii", str(tmp_path / "in"), "-o", str(out), "--quiet")
    else:
        recipe = tmp_path / "recipe.yaml"
        recipe.write_text(yaml.safe_dump({"sources": {"a": str(tmp_path / "in")}, "tokens": 50,
                                          "tokenizer": "whitespace", "output": str(out)}))
        r = cli("mix", str(recipe), "--quiet")
    _one_line_refusal(r, "cannot be created", str(out))


def test_overwrite_removes_only_what_the_run_wrote(tmp_path: Path) -> None:
    a, b = _corpus(tmp_path / "in", ["a", "b"])
    out = tmp_path / "out"
    assert cli("pii", str(a), "-o", str(out), "--quiet").returncode == 0
    (out / "notes.md").write_text("my notes beside the corpus")
    (out / "extra").mkdir()
    (out / "extra" / ".draft.tmp").write_text("a file named like a partial one")
    r = cli("pii", str(a), str(b), "-o", str(out), "--quiet", "--overwrite")
    assert r.returncode == 0, r.stderr
    assert (out / "notes.md").read_text() == "my notes beside the corpus"
    assert (out / "extra" / ".draft.tmp").exists()
    assert len(read_out(out)["data"]) == 40
    owns = orjson.loads((out / "corpusmill-run.json").read_bytes())["owns"]
    assert "notes.md" not in owns and "extra" not in owns and "data" in owns


def test_mix_and_pack_never_replace_a_folder_they_did_not_write(tmp_path: Path) -> None:
    _corpus(tmp_path / "in", ["a"], rows=50)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"sources": {"web": str(tmp_path / "in")}, "tokens": 200,
                                      "tokenizer": "whitespace", "output": str(mine)}))
    for args in (["mix", str(recipe), "--overwrite"],
                 ["pack", str(tmp_path / "in"), "-o", str(mine), "--seq-len", "16", "--tokenizer", "whitespace",
                  "--overwrite"]):
        r = cli(*args)
        _one_line_refusal(r, "not written by corpusmill", "thesis.tex")
        assert sorted(p.name for p in mine.iterdir()) == ["thesis.tex"]


# ------------------------------------------------------------ 3. a changed input set

def test_a_file_added_to_the_input_folder_is_refused_not_resumed_with_shifted_shards(tmp_path: Path) -> None:
    _corpus(tmp_path / "in", ["a", "c"])
    out = tmp_path / "out"
    assert cli("pii", str(tmp_path / "in"), "-o", str(out), "--quiet").returncode == 0
    _corpus(tmp_path / "in", ["b"])  # sorts between a and c: every later shard would shift
    r = cli("pii", str(tmp_path / "in"), "-o", str(out), "--quiet")
    _one_line_refusal(r, "other input files", "1 added: b.jsonl.gz", "--overwrite")
    r = cli("pii", str(tmp_path / "in"), "-o", str(out), "--quiet", "--overwrite")
    assert r.returncode == 0, r.stderr
    ids = [x["id"] for x in read_out(out)["data"]]
    assert sorted(ids) == sorted(f"{n}-{i}" for n in "abc" for i in range(20)), "each file once"


def test_a_file_rewritten_in_place_is_another_input(tmp_path: Path) -> None:
    (a,) = _corpus(tmp_path / "in", ["a"])
    out = tmp_path / "out"
    assert cli("pii", str(a), "-o", str(out), "--quiet").returncode == 0
    write_jsonl(a, [{"id": "new", "text": "another text altogether, written later"}])
    _one_line_refusal(cli("pii", str(a), "-o", str(out), "--quiet"), "1 changed: a.jsonl.gz")


# ------------------------------------------------------------ 4. the output inside the input

@pytest.mark.parametrize("command", ["pii", "pdf"])
def test_an_output_folder_inside_the_input_folder_is_not_read_back(tmp_path: Path, command: str) -> None:
    src = tmp_path / "in"
    if command == "pii":
        _corpus(src, ["a"])
    else:
        src.mkdir()
        (src / "note.txt").write_text("A short plain note about rivers.\n")
    out = src / "out"
    first = cli(command, str(src), "-o", str(out), "--quiet", "--workers", "1")
    assert first.returncode == 0, first.stderr
    stats = orjson.loads((out / "stats.json").read_bytes())
    again = cli(command, str(src), "-o", str(out), "--quiet", "--workers", "1")
    assert again.returncode == 0, again.stderr
    expected = 20 if command == "pii" else 1
    assert orjson.loads((out / "stats.json").read_bytes())["input"] == stats["input"] == expected
    assert sum(len(part) for part in read_out(out).values()) == expected, "no record made of our own files"


def test_reading_the_runs_own_output_is_refused(tmp_path: Path) -> None:
    (a,) = _corpus(tmp_path / "in", ["a"])
    out = tmp_path / "out"
    assert cli("pii", str(a), "-o", str(out), "--quiet").returncode == 0
    for own in (out / "data", out, out / "data" / "00000.jsonl.gz"):
        _one_line_refusal(cli("pii", str(own), "-o", str(out), "--quiet"), "this run's own output")


# ------------------------------------------------------------ 5. one run at a time

def _big_run(tmp_path: Path) -> tuple[list[str], Path]:
    inputs = []
    for f in range(6):
        inputs.append(str(write_jsonl(tmp_path / f"in{f}.jsonl.gz",
                                      [{"id": f"f{f}-{i}", "text": f"document {f} {i} " * 4} for i in range(15000)])))
    return inputs, tmp_path / "out"


def _wait_for(pred, proc: subprocess.Popen, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 120
    while not pred():
        assert proc.poll() is None, f"the run ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_second_run_says_who_holds_the_folder_and_a_killed_holder_frees_it(tmp_path: Path) -> None:
    inputs, out = _big_run(tmp_path)
    args = ["pii", *inputs, "-o", str(out), "--quiet", "--workers", "2"]
    first = subprocess.Popen([*CLI, *args], cwd=ROOT, start_new_session=True)
    try:
        _wait_for(lambda: (out / ".corpusmill.lock").is_file() and (out / ".corpusmill.lock").stat().st_size > 0,
                  first, "the first run took the lock")
        t0 = time.monotonic()
        second = cli(*args)
        assert time.monotonic() - t0 < 60
        _one_line_refusal(second, "is in use", f"pid {first.pid}", socket.gethostname(), "corpusmill job")
        assert first.poll() is None, "the refused run left the running one alone"
        _wait_for(lambda: len(list((out / "_markers" / "segment0").glob("*.json"))) >= 1
                  if (out / "_markers" / "segment0").is_dir() else False, first, "a shard was finished")
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    # The kernel dropped the lock with the process: the same command resumes at once.
    r = cli(*args)
    assert r.returncode == 0, r.stderr
    stats = orjson.loads((out / "stats.json").read_bytes())
    assert stats["input"] == 90000 == stats["output"] + stats["dropped"] + stats["errors"]
    got = read_out(out)
    ids = [x["id"] for part in got.values() for x in part]
    assert len(ids) == len(set(ids)) == 90000
    assert not list(out.rglob(".*.tmp"))
    assert (out / ".corpusmill.lock").read_bytes() == b"", "a finished run leaves the lock file empty"


def test_a_second_run_during_ctrl_c_cleanup_cannot_start_and_resume_works(tmp_path: Path) -> None:
    inputs, out = _big_run(tmp_path)
    args = ["pii", *inputs, "-o", str(out), "--quiet", "--workers", "2"]
    first = subprocess.Popen([*CLI, *args], cwd=ROOT, start_new_session=True, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: (out / ".corpusmill.lock").is_file() and (out / ".corpusmill.lock").stat().st_size > 0,
              first, "the first run took the lock")
    _one_line_refusal(cli(*args), "is in use")
    os.killpg(first.pid, signal.SIGINT)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 130, err
    r = cli(*args)
    assert r.returncode == 0, r.stderr
    assert orjson.loads((out / "stats.json").read_bytes())["input"] == 90000
