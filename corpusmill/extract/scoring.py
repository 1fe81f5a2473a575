"""The html-dev scoring rule (trafilatura's tests/eval_common.py), shared by the bench and tests.

Both the output and each snippet are whitespace-normalised; a `with` snippet found is a
true positive, missing a false negative; a `without` snippet found is a false positive,
absent a true negative. Counts are summed over the corpus.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_WS = re.compile(r"\s+")


def normalise_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()


@dataclass
class SnippetScore:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    def add(self, text: str, with_: list[str], without: list[str]) -> None:
        text = normalise_ws(text)
        for snippet in with_:
            if normalise_ws(snippet) in text:
                self.tp += 1
            else:
                self.fn += 1
        for snippet in without:
            if normalise_ws(snippet) in text:
                self.fp += 1
            else:
                self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def accuracy(self) -> float:
        total = self.tp + self.fn + self.fp + self.tn
        return (self.tp + self.tn) / total if total else 0.0

    @property
    def f1(self) -> float:
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else 0.0
