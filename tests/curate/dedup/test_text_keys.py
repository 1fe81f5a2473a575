from __future__ import annotations

import random

from corpusmill.curate.dedup.text_keys import (
    normalized_text,
    normalized_url,
    word_hashes,
    words,
)


def test_word_hashes_follow_words_exactly() -> None:
    rng = random.Random(3)
    alphabet = list("abcXYZ éßÆ١٢٣ 中文 _-.,!?\n\t\u00a0\u200b😀ﬁＡ") + ["\udce9"]
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 80)))
        w = words(text)
        h = word_hashes(text).tolist()
        assert len(h) == len(w), text
        # Equal words hash equal, different words (here) hash different.
        assert len(set(zip(w, h))) == len(set(w)) == len(set(h)), text


def test_word_hashes_of_a_text_cut_into_pieces() -> None:
    text = "word " * 300_000  # longer than one piece: cut at whitespace
    h = word_hashes(text)
    assert len(h) == 300_000 and len(set(h.tolist())) == 1


def test_normalisation() -> None:
    assert normalized_text("  Ｈｅｌｌｏ,\n\tWORLD!! straße_x ") == "hello world strasse x"
    assert normalized_text(" \n ... ") == ""
    assert normalized_url("HTTP://Example.ORG:80/a?b=1&utm_medium=x&a=2#f") == \
        "https://example.org/a?a=2&b=1"
    assert normalized_url("https://example.org") == "https://example.org/"
    assert normalized_url("file:///x.pdf") is None
    assert normalized_url("http://[::1") is None  # malformed: no key, no crash
