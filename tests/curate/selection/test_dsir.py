from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson

from corpusmill.curate.selection.dsir import gumbel_top_k
from corpusmill.curate.selection.selectors import DsirSelector, PerplexitySelector, RandomSelector, order
from tests.conftest import ROOT
from tests.curate.selection.conftest import SELECTION, article, write_corpus

LANGS = ("en", "de", "fr", "es", "pl")


def _pool() -> list[dict]:
    """Paragraphs of real articles in five languages, one document each."""
    rows = []
    for lang in LANGS:
        paras = [p for p in article(lang).split("\n") if len(p.split()) >= 15]
        rows += [{"id": f"{lang}{i}", "text": p, "language": lang} for i, p in enumerate(paras)]
    return rows


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "corpusmill.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=300)


def _selected(out: Path) -> list[str]:
    ids = []
    for line in gzip.open(out / "selected.jsonl.gz"):
        row = orjson.loads(line)
        ids.append(orjson.loads(row["corpusmill"])["id"])
    return ids


def test_dsir_selects_toward_the_target_and_reports_kl_reduction(tmp_path: Path) -> None:
    rows = _pool()
    pool = write_corpus(tmp_path / "pool.jsonl", rows)
    n_de = sum(r["language"] == "de" for r in rows)
    # The target: German texts that are not in the pool.
    r = cli("select", "dsir", "--pool", str(pool), "--target", str(SELECTION / "reference_de.txt"), "-k", str(n_de),
            "-o", str(tmp_path / "dsir"), "--quiet")
    assert r.returncode == 0, r.stderr
    chosen = _selected(tmp_path / "dsir")
    assert len(chosen) == len(set(chosen)) == n_de
    assert sum(c.startswith("de") for c in chosen) >= 0.8 * n_de
    summary = orjson.loads((tmp_path / "dsir" / "selection.json").read_bytes())
    assert summary["kl_reduction"] > 0 and summary["kl_target_selected"] < summary["kl_target_raw"]
    # Random at the same k: about the German share of the pool
    r = cli("select", "random", "--pool", str(pool), "-k", str(n_de), "-o", str(tmp_path / "random"), "--quiet")
    assert r.returncode == 0, r.stderr
    assert sum(c.startswith("de") for c in _selected(tmp_path / "random")) < 0.5 * n_de


def test_same_seed_same_selection(tmp_path: Path) -> None:
    pool = write_corpus(tmp_path / "pool.jsonl", _pool())
    runs = []
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        assert cli("select", "dsir", "--pool", str(pool), "--target", str(SELECTION / "reference_en.txt"), "-k", "10",
                   "--seed", seed, "-o", str(tmp_path / name), "--quiet").returncode == 0
        runs.append((tmp_path / name / "selected.jsonl.gz").read_bytes())
    assert gzip.decompress(runs[0]) == gzip.decompress(runs[1])


def test_target_without_overlap_is_one_line_exit_2(tmp_path: Path) -> None:
    pool = write_corpus(tmp_path / "pool.jsonl", [r for r in _pool() if r["language"] == "en"])
    target = tmp_path / "greek.txt"
    target.write_text("Καλημέρα κόσμε, αυτό είναι ένα ελληνικό κείμενο για δοκιμή.\n")
    r = cli("select", "dsir", "--pool", str(pool), "--target", str(target), "-k", "3", "-o", str(tmp_path / "x"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "of the target's words" in r.stderr
    r = cli("select", "dsir", "--pool", str(pool), "-k", "3", "-o", str(tmp_path / "y"))
    assert r.returncode == 2 and "needs --target" in r.stderr
    r = cli("select", "random", "--pool", str(pool), "-k", "3", "-o", str(pool))
    assert r.returncode == 2 and "is a file; name a folder" in r.stderr and "Traceback" not in r.stderr


def test_gumbel_top_k_draws_in_proportion_to_weights() -> None:
    log_w = np.array([np.log(1.0), np.log(2.0), np.log(7.0), -np.inf])  # the last can never be drawn
    firsts = np.bincount([gumbel_top_k(log_w, 1, seed)[0] for seed in range(3000)], minlength=4) / 3000
    assert np.allclose(firsts, [0.1, 0.2, 0.7, 0.0], atol=0.03)
    drawn = gumbel_top_k(log_w, 10, 0)
    assert sorted(drawn.tolist()) == [0, 1, 2]


def test_selector_interface_orders_a_pool(de_model: Path) -> None:
    rows = _pool()
    texts = [r["text"] for r in rows]
    dsir = DsirSelector()
    dsir.fit([(SELECTION / "reference_de.txt").read_text()], texts)
    top = order(dsir, texts, seed=0)[:5]
    assert all(rows[i]["language"] == "de" for i in top)
    ppl = PerplexitySelector(str(de_model), "de")
    ppl.fit([], texts)
    ranked = order(ppl, texts)
    n_de = sum(r["language"] == "de" for r in rows)
    assert all(rows[i]["language"] == "de" for i in ranked[:n_de])  # German model: German paragraphs first
    assert np.array_equal(ranked, order(ppl, texts, seed=5))  # deterministic: no noise
    rand = order(RandomSelector(), texts, seed=0)
    assert sorted(rand.tolist()) == list(range(len(texts)))
    assert not np.array_equal(rand, order(RandomSelector(), texts, seed=1))
