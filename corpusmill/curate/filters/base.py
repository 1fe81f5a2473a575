"""Common ground of the quality filters: thresholds resolved per record language."""
from __future__ import annotations

from typing import Any, ClassVar

from corpusmill.curate.filters.languages import language_overrides as builtin_overrides
from corpusmill.record import Record
from corpusmill.stage import Stage


class LanguageAwareFilter(Stage):
    """A per-record filter whose thresholds depend on `record.metadata["language"]`.

    The keyword arguments of a subclass are its thresholds for English and for
    languages without their own values (None disables a rule). With
    `language_aware` (the default) the built-in FineWeb-2 values of
    `languages.py` replace them for the languages that have some, and
    `language_overrides` ({"de": {"threshold": value}}) replaces those again.
    With `language_aware=False` every language gets the keyword arguments, as
    in datatrove.
    """

    # Score name -> (comparison, threshold setting) pairs a record must meet to be kept.
    score_limits: ClassVar[dict[str, tuple[tuple[str, str], ...]]] = {}

    def __init__(self, thresholds: dict[str, Any], language_aware: bool = True,
                 language_overrides: dict[str, dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.thresholds = thresholds
        self.language_aware = language_aware
        self.language_overrides = language_overrides or {}
        unknown = {k for o in self.language_overrides.values() for k in o} - set(thresholds)
        if unknown:
            raise ValueError(f"{self.name}: unknown thresholds in language_overrides: {sorted(unknown)}")
        self._resolved: dict[str | None, dict[str, Any]] = {}

    @staticmethod
    def language(record: Record) -> str | None:
        lang = record.metadata.get("language")
        return lang if isinstance(lang, str) and lang else None

    def limits(self, record: Record) -> dict[str, str]:
        """The thresholds of this record's language next to the scores they are compared with."""
        s = self.settings(self.language(record))
        # A falsy threshold disables its rule.
        bounds = {score: ", ".join(f"{op} {s[name]}" for op, name in pairs if s.get(name))
                  for score, pairs in self.score_limits.items()}
        return {k: v for k, v in bounds.items() if v}

    def settings(self, language: str | None) -> dict[str, Any]:
        key = language if self.language_aware else None
        resolved = self._resolved.get(key)
        if resolved is None:
            resolved = dict(self.thresholds)
            if self.language_aware:
                resolved.update(builtin_overrides(self.name, language))
                resolved.update(self.language_overrides.get(language or "", {}))
            self._resolved[key] = resolved
        return resolved
