"""Tiny models trained once per session on fixture text (real articles from the dev pages)."""
from __future__ import annotations

import gzip
import random
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import yaml

from corpusmill.curate.selection.ngram_lm import train
from tests.conftest import FIXTURES, ROOT

SELECTION = FIXTURES / "curate" / "selection"
ARTICLES = FIXTURES / "curate" / "filters"


def run_stage(tmp_path: Path, stage: dict, name: str, inputs: list[Path],
              workers: int = 1) -> subprocess.CompletedProcess:
    """`corpusmill run` of a one-stage pipeline over corpus files, into tmp_path/name."""
    cfg = {"reader": "corpus", "inputs": [str(p) for p in inputs], "output": str(tmp_path / name),
           "workers": workers, "pipeline": [stage]}
    (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(cfg))
    return subprocess.run([sys.executable, "-m", "corpusmill.cli", "run", str(tmp_path / f"{name}.yaml"), "--quiet"],
                          capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                          timeout=300)


def stage_entries(out: Path, stage: str) -> dict[str, dict]:
    """id -> the record's status and `stage`'s last provenance entry, over kept and rejected records."""
    found = {}
    for f in sorted((out / "data").glob("*.gz")) + sorted((out / "rejects").glob("*.gz")):
        for line in gzip.open(f):
            row = orjson.loads(line)
            if "corpusmill" in row:  # a kept row of another tool's corpus: our fields in one added column
                row = orjson.loads(row["corpusmill"])
            prov = row["provenance"]
            prov = orjson.loads(prov) if isinstance(prov, str) else prov
            found[row["id"]] = {"status": row.get("status", "ok"), **[e for e in prov if e["stage"] == stage][-1]}
    return found


def article(lang: str) -> str:
    return (ARTICLES / f"article_{lang}.txt").read_text()


def word_salad(text: str, seed: int = 0) -> str:
    """The same words in random order, in lines as long as the text's: only the word order differs."""
    lines = [line.split() for line in text.splitlines()]
    words = [w for line in lines for w in line]
    random.Random(seed).shuffle(words)
    out, i = [], 0
    for line in lines:
        out.append(" ".join(words[i:i + len(line)]))
        i += len(line)
    return "\n".join(out)


@pytest.fixture(scope="session")
def en_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lm") / "en.bin"
    train([(SELECTION / "reference_en.txt").read_text()], out, "en", order=3)
    return out


@pytest.fixture(scope="session")
def de_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lm") / "de.arpa"
    train([(SELECTION / "reference_de.txt").read_text()], out, "de", order=3)
    return out


def write_corpus(path: Path, rows: list[dict]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path
