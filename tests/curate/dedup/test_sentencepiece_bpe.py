"""Our byte-level run of WordLlama's Llama-2 BPE gives the `tokenizers` library's tokens, on real text."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("wordllama")

from tokenizers import Tokenizer  # noqa: E402

from corpusmill.curate.dedup import sentencepiece_bpe, static_embeddings  # noqa: E402
from corpusmill.curate.dedup.static_embeddings import StaticEmbedder, wordllama_files  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "curate"
BYTE = -2  # a byte-fallback token, whichever byte


def real_words() -> list[str]:
    """Distinct words of dev-WARC text (many scripts) and of the fixture articles and paragraphs."""
    texts = [(FIXTURES / "dedup" / "dev_words.txt").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "filters").glob("article_*.txt"))]
    texts += json.loads((FIXTURES / "dedup" / "paragraphs.json").read_text(encoding="utf-8"))
    texts += json.loads((FIXTURES / "dedup" / "zh_pages.json").read_text(encoding="utf-8"))
    return list(dict.fromkeys(w for t in texts for w in t.split()))


def reference(words: list[str], normalizer: bool = True) -> list[list[int]]:
    """Each word's tokens by the full tokenizer, byte fallbacks as BYTE; without its normalizer,
    of "▁" + word (what the normalizer makes of a word, except that it leaves a special token
    at the start of a text unmarked)."""
    full = Tokenizer.from_file(str(wordllama_files()[1]))
    if not normalizer:
        full.normalizer = None
        words = ["\u2581" + w for w in words]
    return [[BYTE if 3 <= i < 259 else i for i in e.ids]
            for e in full.encode_batch(words, add_special_tokens=False)]


def per_word(words: list[str], word: np.ndarray, ids: np.ndarray, tokens: np.ndarray) -> list[list[int]]:
    got: list[list[int]] = [[] for _ in words]
    for w, i, n in zip(word.tolist(), ids.tolist(), tokens.tolist()):
        got[w] += [BYTE] * n if i == -1 or 3 <= i < 259 else [i]
    return got


def test_same_tokens_as_the_tokenizers_library_on_real_words_in_many_scripts() -> None:
    words = real_words()
    assert len(words) > 8000 and sum(not w.isascii() for w in words) > 3000
    bpe = sentencepiece_bpe.load(wordllama_files()[1])
    assert bpe is not None
    left = set(bpe.unhandled(words))
    fast = [w for k, w in enumerate(words) if k not in left]
    assert per_word(fast, *bpe.encode_words(fast)) == reference(fast)


EDGE = ["東京", "😀👍🏽", "a\u2581b", "\u2581", "<s>", "x</s>y", "<unk>", "<0x41>", "Ω≈ç√∫", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "䶵龘𠀀", "ǅ", "a" * 200, "Donaudampfschiff" * 12, "https://example.org/" + "a/b?c=d&" * 30]


def test_words_it_leaves_to_the_full_tokenizer_and_unusual_characters_tokenize_the_same() -> None:
    # Special-token strings (the full tokenizer matches them inside words), words past the
    # length limit, emoji, characters outside the vocabulary next to known ones, "▁" inside.
    emb = StaticEmbedder()
    assert emb.bpe is not None
    words = EDGE + real_words()[:500]
    assert set(emb.bpe.unhandled(words)) == {4, 5, 6, 12, 13, 14}
    got = per_word(words, *emb._tokenize(words))
    assert got == reference(words, normalizer=False)
    assert [g for k, g in enumerate(got) if k not in (4, 5, 6)] == [r for k, r in enumerate(reference(words)) if k not in (4, 5, 6)]


def test_other_kinds_of_tokenizer_json_are_not_taken_for_this_one() -> None:
    config = json.loads(wordllama_files()[1].read_text(encoding="utf-8"))
    assert sentencepiece_bpe.supported(config)
    nfkc = json.loads(json.dumps(config))
    nfkc["normalizer"]["normalizers"].insert(0, {"type": "NFKC"})
    pre = json.loads(json.dumps(config))
    pre["pre_tokenizer"] = {"type": "Whitespace"}
    no_bytes = json.loads(json.dumps(config))
    no_bytes["model"]["byte_fallback"] = False
    for other in (nfkc, pre, no_bytes):
        assert not sentencepiece_bpe.supported(other)
        with pytest.raises(ValueError):
            sentencepiece_bpe.SentencePieceBPE(other)


def test_vectors_do_not_depend_on_batches_or_a_full_word_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [(FIXTURES / "filters" / f"article_{lang}.txt").read_text(encoding="utf-8")
             for lang in ("de", "en", "es", "fr", "pl", "zh")]
    whole, whole_cov = StaticEmbedder().embed_with_coverage(texts)
    # A cache of 300 words fills in the first batch; later batches' new words get scratch rows.
    monkeypatch.setattr(static_embeddings, "_CACHE_WORDS", 300)
    small = StaticEmbedder()
    parts = [small.embed_with_coverage(texts[k: k + 2]) for k in range(0, len(texts), 2)]
    again = small.embed_with_coverage(texts[::-1])
    assert len(small._rows) == 300
    assert np.array_equal(np.concatenate([p[0] for p in parts]), whole)
    assert np.array_equal(np.concatenate([p[1] for p in parts]), whole_cov)
    assert np.array_equal(again[0][::-1], whole)


def test_lone_surrogates_are_embedded_as_replacement_characters() -> None:
    # Text decoded with errors="surrogatepass" or JSON "\\ud800" escapes: no tokenizer takes it
    # as it is; the stage must not fail on it.
    base = (FIXTURES / "filters" / "article_en.txt").read_text(encoding="utf-8")[:400]
    bad = [base + " wo\ud800rld", base + " " + "x\udc80" * 100, base + " \ud83d\ude00"]
    fixed = [t.replace("\ud800", "\ufffd").replace("\udc80", "\ufffd").replace("\ud83d\ude00", "\U0001F600")
             for t in bad]
    got, coverage, _ = StaticEmbedder().embed_with_sketches(bad)
    want, want_coverage, _ = StaticEmbedder().embed_with_sketches(fixed)
    assert np.allclose(got, want, atol=1e-6) and np.array_equal(coverage, want_coverage)
