"""Tiny models trained once per session on fixture text (real articles from the dev pages)."""
from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest

from corpusmill.curate.selection.ngram_lm import train
from tests.conftest import FIXTURES

SELECTION = FIXTURES / "curate" / "selection"
ARTICLES = FIXTURES / "curate" / "filters"


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
