from __future__ import annotations

import json
from pathlib import Path

import pytest
from filter_helpers import CORPORA, prose, run

from corpusmill.curate.filters import UrlFilter


def reason(stage: UrlFilter, uri: str) -> str | None:
    return run(stage, prose(2), uri=uri).reason


def test_blocklisted_domain_and_subdomains() -> None:
    f = UrlFilter()
    assert reason(f, "https://www.pornhub.com/view?x=1") == "url:domain"
    assert reason(f, "https://de.xhamster.com/videos") == "url:domain"
    assert reason(f, "https://notpornhub.com.example.org/") != "url:domain"


def test_hard_and_soft_words() -> None:
    f = UrlFilter()
    assert reason(f, "https://example.com/free-porn-videos") == "url:banned_word"
    # One soft word alone is fine (Sussex, sex education, ...), two are not.
    assert reason(f, "https://example.com/sex-education-in-schools") is None
    r = run(f, prose(2), uri="https://example.com/sexy-webcam-girls")
    assert r.reason == "url:soft_banned_words"
    assert r.provenance[-1]["scores"]["soft_banned_words"] == 2
    assert reason(UrlFilter(soft_word_threshold=3), "https://example.com/sexy-webcam-girls") is None


def test_banned_subwords_inside_words() -> None:
    assert reason(UrlFilter(), "https://example.com/best-freexvideosclips") == "url:banned_subword"


def test_user_lists_extend_the_builtin_ones(tmp_path: Path) -> None:
    blocklist = tmp_path / "block.txt"
    blocklist.write_text("# my list\nspam-farm.example\nexample.org/some/page\n", encoding="utf-8")
    f = UrlFilter(blocklist_paths=[blocklist], banned_words=["casino"])
    assert reason(f, "http://www.spam-farm.example/a") == "url:domain"
    assert reason(f, "https://example.org/some/page/") == "url:url"
    assert reason(f, "https://example.org/other/page") is None
    assert reason(f, "https://example.net/online-casino-bonus") == "url:banned_word"
    assert reason(f, "https://pornhub.com/") == "url:domain"  # built-ins still apply
    assert reason(UrlFilter(use_builtin_lists=False), "https://pornhub.com/") is None


def test_record_without_url_is_kept() -> None:
    r = run(UrlFilter(), prose(2))
    assert r.ok and r.provenance[-1]["detail"] == "no url"


def test_dev_crawl_urls_are_all_kept() -> None:
    manifest = CORPORA / "warc" / "dev.manifest.jsonl"
    if not manifest.exists():
        pytest.skip(f"dev corpus not found at {manifest}")
    f = UrlFilter()
    uris = {json.loads(line).get("target_uri") for line in manifest.open()} - {None}
    dropped = [u for u in uris if reason(f, u) is not None]
    assert len(uris) > 1000
    assert dropped == []
