"""Semantic dedup with real WordLlama embeddings (loaded from the wheel, offline)."""
from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest
from dedup_docs import PARAGRAPHS, body, page
from dedup_harness import flat, rec, removed, run

pytest.importorskip("wordllama")

from corpusmill.curate.dedup.semantic import SemanticDedup, greedy_dedup  # noqa: E402
from corpusmill.curate.dedup.semantic_select import cluster_balanced_sample  # noqa: E402
from corpusmill.curate.dedup import word_sketch  # noqa: E402
from corpusmill.curate.dedup.static_embeddings import StaticEmbedder  # noqa: E402

ORIGINALS = [page(body(i)) for i in range(10)]


def test_embeddings_load_and_run_without_any_network_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, a))  # type: ignore[arg-type]
    emb = StaticEmbedder()
    x = emb.embed([ORIGINALS[0], ORIGINALS[1], "", "   "])
    assert attempts == []
    assert x.shape == (4, 256) and x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x[:2], axis=1), 1.0, atol=1e-5)
    assert not x[2:].any()  # nothing to embed: a zero row
    # Same text, same vector, whatever the batch around it.
    assert np.allclose(emb.embed([ORIGINALS[1]])[0], x[1], atol=1e-6)


def test_greedy_keep_never_chains() -> None:
    # A~B and B~C above the threshold, A~C below: only B goes (as a duplicate of A); C stays.
    a = np.array([1.0, 0.0, 0.0])
    b = np.array([np.cos(0.25), np.sin(0.25), 0.0])
    c = np.array([np.cos(0.5), np.sin(0.5), 0.0])
    x = np.stack([a, b, c]).astype(np.float32)
    v = greedy_dedup(x, x, threshold=float(np.cos(0.3)))
    kept, ref, sim = v.kept, v.ref, v.sim
    assert kept.tolist() == [True, False, True]
    assert ref[1] == 0 and ref[2] == 0  # C's nearest kept neighbour is A
    assert sim[1] == pytest.approx(np.cos(0.25), abs=1e-6)


def paraphrase(paras: list[str]) -> str:
    """The same content re-templated: paragraphs reordered, another header, date line and footer."""
    return page(paras[2:] + paras[:2], header="Startseite > Archiv", date="Zuletzt aktualisiert: 2022",
                footer="Alle Rechte vorbehalten.")


def test_near_duplicates_and_rewrites_found_distinct_pages_kept(tmp_path: Path) -> None:
    shards = {"00000": [rec(f"orig{i}", t) for i, t in enumerate(ORIGINALS[:6])],
              "00001": [rec(f"copy{i}", paraphrase(body(i))) for i in range(3)]
              + [rec(f"other{i}", t) for i, t in enumerate(ORIGINALS[6:], start=6)]
              + [rec("empty", "")]}
    got = removed(run(SemanticDedup(), tmp_path, shards))
    assert got == {f"copy{i}": f"orig{i}" for i in range(3)}
    out = {r.id: r for r in flat(run(SemanticDedup(), tmp_path / "again", shards))}
    dup = out["copy1"]
    assert dup.metadata["dedup"]["cluster_id"] == "sd:orig1" and dup.reason == "semantic_dedup:duplicate"
    assert dup.provenance[-1]["scores"]["cosine"] >= 0.85
    assert dup.provenance[-1]["scores"]["word_overlap"] >= 0.7 and "word overlap" in dup.provenance[-1]["detail"]
    keeper = out["orig1"]
    assert keeper.metadata["dedup"]["cluster_size"] == 2
    alone = out["other7"]
    assert alone.ok and "nearest kept neighbour" in alone.provenance[-1]["detail"]
    assert alone.provenance[-1]["scores"]["cosine"] < 0.85
    assert out["empty"].ok and not out["empty"].provenance  # no words: untouched, never a duplicate


def test_identical_texts_alone_in_their_cluster_are_still_duplicates(tmp_path: Path) -> None:
    # One cluster per record pair at most: the pair's centroid is the text itself.
    shards = {"00000": [rec("a", ORIGINALS[0]), rec("b", ORIGINALS[0]), rec("c", ORIGINALS[1])]}
    assert removed(run(SemanticDedup(cluster_size=1), tmp_path, shards)) == {"b": "a"}


def test_keep_longest_and_decisions_do_not_depend_on_sharding(tmp_path: Path) -> None:
    texts = {f"orig{i}": t for i, t in enumerate(ORIGINALS)}
    texts |= {f"long{i}": ORIGINALS[i] + "\n" + PARAGRAPHS[-1 - i][:150] for i in range(4)}
    one = {"00000": [rec(k, v) for k, v in texts.items()]}
    items = list(texts.items())
    three = {f"{s:05d}": [rec(k, v) for k, v in items[s::3]] for s in range(3)}
    got_one = removed(run(SemanticDedup(keep="longest"), tmp_path / "a", one))
    got_three = removed(run(SemanticDedup(keep="longest"), tmp_path / "b", three))
    assert got_one == got_three == {f"orig{i}": f"long{i}" for i in range(4)}


def test_cluster_balanced_sample_spreads_over_clusters() -> None:
    labels = np.array([0] * 50 + [1] * 5 + [2] * 5)
    picked = cluster_balanced_sample(labels, 12, seed=1)
    assert len(set(picked)) == 12 and picked == cluster_balanced_sample(labels, 12, seed=1)
    assert sorted(np.bincount(labels[picked], minlength=3).tolist()) == [4, 4, 4]
    assert sorted(cluster_balanced_sample(labels, 100, seed=2)) == list(range(60))


@pytest.mark.parametrize("bad", [{"threshold": 1.5}, {"keep": "random"}, {"dim": 100}, {"partitions": 0},
                                 {"min_word_overlap": 1.2}])
def test_bad_settings(bad: dict) -> None:
    with pytest.raises(ValueError, match="semantic_dedup"):
        SemanticDedup(**bad)


# Three different real Chinese pages of the dev WARC (xinhuanet.com, banyuetan.org, he.xinhuanet.com):
# the vocabulary spells most of their characters as byte-fallback tokens, so their vectors rest on
# a few common characters and, among pages in other languages, look alike.
ZH = json.loads((Path(__file__).resolve().parents[3] / "fixtures" / "curate" / "dedup" / "zh_pages.json")
                .read_text(encoding="utf-8"))


def test_texts_in_scripts_the_vocabulary_lacks_match_only_when_near_identical(tmp_path: Path) -> None:
    _, coverage = StaticEmbedder().embed_with_coverage([ZH[0], ORIGINALS[0]])
    assert coverage[0] < 0.8 <= 0.95 <= coverage[1]
    shards = {"00000": [rec(f"zh{i}", t) for i, t in enumerate(ZH)] + [rec("zh0-copy", ZH[0] + " ")]
              + [rec(f"o{i}", t) for i, t in enumerate(ORIGINALS)]}
    assert removed(run(SemanticDedup(), tmp_path, shards)) == {"zh0-copy": "zh0"}


def test_word_vectors_are_the_sums_of_their_token_rows() -> None:
    # Words of one token, of many (a long word), of the same token repeated ("aaaa..."), in a
    # script the vocabulary spells in bytes, and punctuation glued on: each word's cached
    # vector is the plain sum of its meaningful tokens' rows, tokenized as the full tokenizer
    # (with its normalizer) tokenizes the word.
    from tokenizers import Tokenizer

    from corpusmill.curate.dedup.static_embeddings import wordllama_files

    emb = StaticEmbedder()
    words = ["the", "Straße", "a" * 40, "Donaudampfschifffahrtsgesellschaftskapitän", "東京", "(1,234)", "naïve."]
    full = Tokenizer.from_file(str(wordllama_files()[1]))
    got = emb._word_vectors(words)
    for word, row in zip(words, got):
        ids = [i for i in full.encode(word, add_special_tokens=False).ids]
        meaningful = [i for i in ids if i >= 259]
        assert row[-2] == len(ids) and row[-1] == len(meaningful)
        expected = emb.table[meaningful].sum(axis=0) if meaningful else np.zeros(emb.dim)
        assert np.allclose(row[: emb.dim], expected, atol=1e-5), word


ARTICLES = {lang: (Path(__file__).resolve().parents[3] / "fixtures" / "curate" / "filters" / f"article_{lang}.txt")
            .read_text(encoding="utf-8") for lang in ("en", "de", "fr")}


def exact_overlap(a: str, b: str) -> float:
    x, y = set(a.split()), set(b.split())
    return len(x & y) / min(len(x), len(y))


def test_word_overlap_from_sketches_is_close_to_the_exact_share_on_real_text() -> None:
    en, de, fr = ARTICLES["en"], ARTICLES["de"], ARTICLES["fr"]
    long = "\n".join(PARAGRAPHS)  # ~50 paragraphs: far more distinct words than a sketch holds
    excerpt = PARAGRAPHS[7]
    pairs = [(en, en[: int(len(en) * 0.8)]), (long, excerpt), (long, long[len(long) // 2:]), (en, de), (en, fr),
             (long, en), (page(body(0)), paraphrase(body(0)))]
    _, _, sketches = StaticEmbedder().embed_with_sketches([t for p in pairs for t in p])
    assert (sketches[:, -1] == word_sketch.EMPTY).sum() < len(sketches)  # some sketches are full
    for k, (a, b) in enumerate(pairs):
        got = word_sketch.overlap(sketches[2 * k], sketches[2 * k + 1])
        assert abs(got - exact_overlap(a, b)) <= 0.12, (k, got, exact_overlap(a, b))
    assert word_sketch.overlap(sketches[2], sketches[3]) > 0.95  # an excerpt of a long text
    assert word_sketch.overlap(sketches[6], sketches[7]) < 0.3


def test_similar_vectors_without_shared_words_are_not_duplicates() -> None:
    # Three texts whose vectors are equally close (as two pages on one topic can be): the
    # cut copy shares its words with the original and goes; the other text shares few and stays.
    en = ARTICLES["en"]
    texts = [en, en[: int(len(en) * 0.8)], "\n".join(PARAGRAPHS[:6])]
    _, _, sketches = StaticEmbedder().embed_with_sketches(texts)
    x = np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (3, 1))
    x[:, 1] = [0.0, 0.1, 0.2]  # raw cosines ~0.99, below IDENTICAL
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    r = np.array([[1.0, 0.0], [0.96, 0.28], [0.96, -0.28]], dtype=np.float32)  # residual cosines 0.96 / 0.84
    v = greedy_dedup(x, r, 0.9, sketches=sketches, min_overlap=0.7)
    assert v.kept.tolist() == [True, False, True] and v.ref[1] == 0 and v.shared[1] > 0.9
    r[2] = r[1]  # as close to the original as the cut copy is
    assert greedy_dedup(x, r, 0.9, sketches=sketches, min_overlap=0.7).kept.tolist() == [True, False, True]
    assert greedy_dedup(x, r, 0.9, sketches=sketches, min_overlap=0.0).kept.tolist() == [True, False, False]  # without the word check it would go too
