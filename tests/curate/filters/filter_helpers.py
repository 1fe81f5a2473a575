"""Shared helpers of the filter tests (imported by name: pytest puts this folder on sys.path)."""
from __future__ import annotations

from pathlib import Path

from corpusmill.record import Record
from corpusmill.stage import Stage

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures" / "curate" / "filters"
CORPORA = ROOT.parent / "shared" / "corpora"
LANGUAGES = ("de", "en", "es", "fr", "pl", "zh")


def article(lang: str) -> str:
    """A real article's main text (see fixtures/curate/filters/README.md)."""
    return (FIXTURES / f"article_{lang}.txt").read_text(encoding="utf-8")


def run(stage: Stage, text: str, language: str | None = None, uri: str | None = None) -> Record:
    """One record through one stage."""
    record = Record("r1", text=text, metadata={"language": language} if language else {},
                    source={"uri": uri} if uri else {})
    (out,) = list(stage([record]))
    return out


def prose(sentences: int = 12) -> str:
    """Plain English prose, varied enough to pass every rule."""
    base = [
        "The river runs through the old town and the fields beyond it.",
        "Farmers have grown wheat and barley there for many generations.",
        "In spring the water rises and covers the lower meadows with silt.",
        "That silt makes the soil rich, which is why the harvests are good.",
        "Visitors come to walk along the banks and to watch the herons.",
        "A small museum tells the story of the mills that once stood here.",
        "Most of them closed when the railway arrived in the last century.",
        "Today only one mill still turns, kept running by volunteers.",
        "Children from the village school learn how flour used to be made.",
        "The volunteers also repair the wooden wheel with the help of a carpenter.",
        "Every autumn there is a market where bread from the mill is sold.",
        "People say it tastes better than anything bought in the city.",
    ]
    return "\n".join(base[i % len(base)] for i in range(sentences))
