"""URL filtering: a domain/URL blocklist plus RefinedWeb's URL word scoring.

Lists ship in package data (`data/url_*.txt`, sources and licences in their
headers) and can be extended with files of the same format (one entry per
line, "#" comments) or with entries passed directly.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from urllib.parse import urlsplit

from corpusmill.record import Record
from corpusmill.stage import Stage

_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")


def read_list(path: str | Path | Traversable) -> set[str]:
    """Entries of a list file: one per line, lower-cased, '#' comments and blanks skipped."""
    text = (Path(path) if isinstance(path, str) else path).read_text(encoding="utf-8")
    return {ln.strip().lower() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")}


def _builtin(name: str) -> set[str]:
    return read_list(files("corpusmill.curate.filters").joinpath("data", name))


class UrlFilter(Stage):
    """Drops records by the URL in `record.source["uri"]`.

    A record is dropped when its host or a parent domain of it is blocklisted
    ("domain"), its URL is blocklisted ("url"), a hard-banned word is a word
    of the URL ("banned_word"), at least `soft_word_threshold` distinct
    soft-banned words are ("soft_banned_words"), or a banned substring occurs
    in the URL stripped of non-alphanumerics ("banned_subword"). Records with
    no URL are kept.
    """

    name = "url"
    version = "1"

    def __init__(
        self,
        *,
        soft_word_threshold: int = 2,
        blocklist_paths: Iterable[str | Path] = (),
        extra_domains: Iterable[str] = (),
        extra_urls: Iterable[str] = (),
        banned_words: Iterable[str] = (),
        soft_banned_words: Iterable[str] = (),
        banned_subwords: Iterable[str] = (),
        use_builtin_lists: bool = True,
    ) -> None:
        super().__init__()
        self.soft_word_threshold = soft_word_threshold
        entries: set[str] = {e.lower() for e in (*extra_domains, *extra_urls)}
        for path in blocklist_paths:
            entries |= read_list(path)
        self.banned_words = {w.lower() for w in banned_words}
        self.soft_banned_words = {w.lower() for w in soft_banned_words}
        subwords = {_NON_ALNUM_RE.sub("", w.lower()) for w in banned_subwords}
        if use_builtin_lists:
            entries |= _builtin("url_blocklist.txt")
            self.banned_words |= _builtin("url_banned_words.txt")
            self.soft_banned_words |= _builtin("url_soft_banned_words.txt")
            subwords |= _builtin("url_banned_subwords.txt")
        # A blocklist entry with a path is a URL, otherwise a domain.
        self.blocked_urls = {_normalise_url(e) for e in entries if "/" in e}
        self.blocked_domains = {e.removeprefix("www.") for e in entries if "/" not in e}
        self.subword_re = (re.compile("|".join(sorted(map(re.escape, subwords), key=len, reverse=True)))
                           if subwords else None)

    def limits(self, record: Record) -> dict[str, str]:
        return {"soft_banned_words": f"< {self.soft_word_threshold}"}

    def process(self, record: Record) -> None:
        url = record.source.get("uri") or record.source.get("url")
        if not url:
            return self.keep(record, detail="no url")
        url = str(url)
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        labels = host.split(".")
        # Every parent domain of the host: a.b.example.com -> b.example.com, example.com, com.
        if any(".".join(labels[i:]) in self.blocked_domains for i in range(len(labels))):
            return self.drop(record, "domain", {"blocked_domain": 1}, detail=host)
        if self.blocked_urls and _normalise_url(url) in self.blocked_urls:
            return self.drop(record, "url", {"blocked_url": 1})

        lowered = url.lower()
        words = set(_NON_ALNUM_RE.split(lowered))
        hard = words & self.banned_words
        if hard:
            return self.drop(record, "banned_word", {"banned_words": len(hard)}, detail=",".join(sorted(hard)))
        soft = words & self.soft_banned_words
        scores = {"soft_banned_words": len(soft)}
        if len(soft) >= self.soft_word_threshold:
            return self.drop(record, "soft_banned_words", scores, detail=",".join(sorted(soft)))
        if self.subword_re is not None:
            hit = self.subword_re.search(_NON_ALNUM_RE.sub("", lowered))
            if hit:
                return self.drop(record, "banned_subword", {**scores, "banned_subwords": 1}, detail=hit.group())
        self.keep(record, scores)


def _normalise_url(url: str) -> str:
    """Scheme and "www." dropped, lower-cased host, no trailing slash: how blocklists write URLs."""
    parts = urlsplit(url if "://" in url else "//" + url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    rest = parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")
    return host + rest
