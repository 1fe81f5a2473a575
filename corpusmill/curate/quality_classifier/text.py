"""The one text normalisation both classifier kinds see, at training and at scoring time.

Lower case, all whitespace runs collapsed to one space (fastText reads one line per
example), and at most `MAX_CHARS` characters: a document's quality shows in its first
pages, and the cap bounds the cost of one huge record. Changing any of this changes
every score, so it is versioned with the stage (`QualityClassifier.version`).
"""
from __future__ import annotations

MAX_CHARS = 20_000


def prepare(text: str) -> str:
    return " ".join(text[:MAX_CHARS].lower().split())
