"""Data selection measured offline (issue 18): does a selector pick data closer to a target than random?

No LLM is trained and no downstream gain is claimed. The measure is a proxy: for each selector, a
3-gram KenLM model trained on the documents it selects (a fixed budget of words, the same for
every selector) and its perplexity on held-out target documents that played no part in selection.

Setup, on the dev WARC extracted by corpusmill (`--corpus` or built here):
- target domain: the 130 Python documentation pages of the dev crawl. Each seed splits them at
  random into a selection part (35%: what DSIR fits and the perplexity selector's reference model
  trains on), an evaluation part (35%: only ever scored) and a pool part (30%, mixed into the pool);
- pool: every other document (news, blogs, shops, government pages; German-heavy, ~10 languages)
  plus the pool part of the Python docs;
- budget: `--budget` words per selected subset; several seeds; mean and 95% t-interval over seeds,
  and the paired difference to random on the same seed;
- gold: `bench/selection_gold.jsonl`, 70 English pages of the dev crawl (not Python docs) labelled by
  hand "about programming/software development" or not; precision and recall of each selection on
  those of them in the pool (all of them are).

Selectors implement `corpusmill.curate.selection.selectors.Selector`; add one to `SELECTORS` (a
factory taking the run's scratch folder and the target's selection texts) to measure it here.
"""
from __future__ import annotations

import argparse
import gzip
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from corpusmill.curate.quality_classifier.select import ClassifierSelector  # noqa: E402
from corpusmill.curate.selection.lm_words import sentences  # noqa: E402
from corpusmill.curate.selection.ngram_lm import KenlmScorer, WordfreqScorer, train  # noqa: E402
from corpusmill.curate.selection.selectors import (DsirSelector, PerplexitySelector, RandomSelector,  # noqa: E402
                                                   Selector, order)

from dev_text import warc_uuid  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpora"
# t quantiles (two-sided 95%) by degrees of freedom, for intervals over a handful of seeds
T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23}


def _perplexity_selector(work: Path, target: Sequence[str]) -> Selector:
    model = work / "target.bin"
    train(target, model, "en", order=3)
    return PerplexitySelector(str(model), "en")


class RandomEnglish(RandomSelector):
    """Control: random among the pool's English documents (by the run's language ID), i.e. what a
    language filter alone gets; a selector must beat this, not only random over ten languages."""

    name = "random_en"

    def __init__(self, english: set[str]) -> None:
        self.english = english

    def priorities(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([0.0 if t in self.english else -np.inf for t in texts])


ENGLISH: set[str] = set()  # texts the run's language ID called English; filled by `load_corpus`

SELECTORS: dict[str, Callable[[Path, Sequence[str]], Selector]] = {
    "random": lambda work, target: RandomSelector(),
    "random_en": lambda work, target: RandomEnglish(ENGLISH),
    "perplexity": _perplexity_selector,
    "dsir": lambda work, target: DsirSelector(),
    "classifier": lambda work, target: ClassifierSelector(),
}


def load_corpus(corpus: Path | None, scratch: Path) -> list[dict]:
    if corpus is None:
        corpus = scratch / "devrun"
        if not (corpus / "stats.json").exists():
            subprocess.run([sys.executable, "-m", "corpusmill.cli", "warc", str(SHARED / "warc" / "dev.warc.gz"),
                            "-o", str(corpus), "--preset", "none", "--no-dedup", "--no-pii", "--workers", "2",
                            "--quiet", "--overwrite"], check=True, cwd=ROOT)
    docs = []
    for f in sorted((corpus / "data").glob("*.jsonl.gz")):
        for line in gzip.open(f):
            row = orjson.loads(line)
            meta = orjson.loads(row["metadata"]) if isinstance(row["metadata"], str) else row["metadata"]
            source = orjson.loads(row["source"]) if isinstance(row["source"], str) else row["source"]
            # gold ids are WARC-Record-IDs (record ids are file + offset)
            docs.append({"id": warc_uuid(source) or row["id"], "text": row["text"], "uri": source.get("uri", ""),
                         "lang": meta.get("language"), "words": len(row["text"].split())})
            if meta.get("language") == "en":
                ENGLISH.add(row["text"])
    return docs


def proxy_perplexity(subset: list[str], heldout: list[str], work: Path) -> tuple[float, float]:
    """(perplexity, OOV rate) of `heldout` under a 3-gram model trained on `subset`."""
    model = work / "proxy.bin"
    train(subset, model, "en", order=3)
    lm = KenlmScorer(model, "en").model
    logp = 0.0
    n = oov = 0
    for text in heldout:
        for sent in sentences(text):
            for prob, _, is_oov in lm.full_scores(sent, True, True):
                logp += prob
                n += 1
                oov += is_oov
    return 10 ** (-logp / n), oov / n


def ci(values: list[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, float("nan")
    return mean, T95.get(len(values) - 1, 1.96) * statistics.stdev(values) / math.sqrt(len(values))


def run(args: argparse.Namespace) -> str:
    scratch = Path(args.scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    docs = load_corpus(Path(args.corpus) if args.corpus else None, scratch)
    gold = {g["id"]: g["programming"] for g in map(orjson.loads, (HERE / "selection_gold.jsonl").read_bytes().splitlines())}
    is_target = np.array(["docs.python.org" in d["uri"] for d in docs])
    target_idx = np.flatnonzero(is_target)
    results: dict[str, list[dict]] = {name: [] for name in args.selectors}
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        perm = rng.permutation(target_idx)
        a, b = int(0.35 * len(perm)), int(0.70 * len(perm))
        t_sel, t_eval, t_pool = perm[:a], perm[a:b], perm[b:]
        pool = np.sort(np.concatenate([np.flatnonzero(~is_target), t_pool]))
        pool_texts = [docs[i]["text"] for i in pool]
        sel_texts = [docs[i]["text"] for i in t_sel]
        eval_texts = [docs[i]["text"] for i in t_eval]
        for name in args.selectors:
            work = scratch / f"{name}-{seed}"
            work.mkdir(exist_ok=True)
            t0 = time.process_time()
            selector = SELECTORS[name](work, sel_texts)
            selector.fit(sel_texts, pool_texts)
            ranked = pool[order(selector, pool_texts, seed=seed)]
            select_s = time.process_time() - t0
            chosen, words = [], 0
            for i in ranked:
                if words >= args.budget:
                    break
                chosen.append(int(i))
                words += docs[i]["words"]
            ppl, oov = proxy_perplexity([docs[i]["text"] for i in chosen], eval_texts, work)
            chosen_set = set(chosen)
            gold_in_pool = [docs[i]["id"] for i in pool if docs[i]["id"] in gold]
            picked_gold = [g for g in gold_in_pool if g in {docs[i]["id"] for i in chosen_set}]
            tp = sum(gold[g] for g in picked_gold)
            results[name].append({
                "seed": seed, "ppl": ppl, "oov": oov, "docs": len(chosen), "words": words,
                "target_share": sum(is_target[i] for i in chosen) / len(chosen),
                "precision": tp / len(picked_gold) if picked_gold else float("nan"),
                "recall": tp / sum(gold[g] for g in gold_in_pool), "cpu_s": select_s})
            print(f"seed {seed} {name:10s} ppl {ppl:8.1f} oov {oov:.3f} docs {len(chosen)} "
                  f"python-docs share {results[name][-1]['target_share']:.2f}", flush=True)
    return report(args, docs, results, scratch)


def throughput(docs: list[dict], scratch: Path) -> list[str]:
    """Documents per CPU-second (one process) for each scorer over every dev document."""
    texts = [d["text"] for d in docs]
    model = next(scratch.glob("perplexity-0/target.bin"))
    scorers = {"perplexity, KenLM 3-gram (python-docs model)": KenlmScorer(model, "en").perplexity,
               "perplexity, wordfreq unigram (en)": WordfreqScorer("en").perplexity}
    dsir = DsirSelector()
    dsir.fit(texts[:50], texts)
    scorers["DSIR log importance weight"] = lambda t: dsir.model.log_weight(t)  # type: ignore[union-attr]
    lines = ["| scorer | docs/s per core | chars/doc |", "|---|---:|---:|"]
    chars = sum(map(len, texts)) / len(texts)
    for name, fn in scorers.items():
        best = 0.0
        for _ in range(3):  # best of three: the machine is shared
            t0 = time.process_time()
            for t in texts:
                fn(t)
            best = max(best, len(texts) / (time.process_time() - t0))
        lines.append(f"| {name} | {best:,.0f} | {chars:,.0f} |")
    return lines


def report(args: argparse.Namespace, docs: list[dict], results: dict[str, list[dict]], scratch: Path) -> str:
    bases = {b: {r["seed"]: r["ppl"] for r in results.get(b, [])} for b in ("random", "random_en")}
    out = [f"## Data selection (bench/selection.py, issue 18) - {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
           "",
           f"Target: Python documentation pages of the dev crawl (35% to select with, 35% held out, 30% in the "
           f"pool); pool: the other {sum('docs.python.org' not in d['uri'] for d in docs):,} documents of the dev "
           f"WARC plus that 30%. Budget {args.budget:,} words per subset; {args.seeds} seeds (each a new split and "
           "new Gumbel noise). Proxy: a 3-gram KenLM model trained on the subset, perplexity on the held-out "
           "target part (lower = the subset is more like the target). Mean ± 95% t-interval over seeds; the "
           "differences to the random baselines are paired by seed. `random_en` is a control: random among the "
           "pool's English documents (what a language filter alone gives). No language model was trained on "
           "these subsets and no "
           "downstream gain is claimed.",
           "",
           "| selector | proxy perplexity | vs random | vs random_en | held-out OOV rate | python-docs share of "
           "subset | gold precision | gold recall | docs | CPU s to rank |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, runs in results.items():
        ppl, ppl_ci = ci([r["ppl"] for r in runs])
        paired = []
        for b, base in bases.items():
            if not base or name == b:
                paired.append("-")
                continue
            d, d_ci = ci([r["ppl"] - base[r["seed"]] for r in runs])
            paired.append(f"{d:+.1f} ± {d_ci:.1f}")
        prec = [r["precision"] for r in runs if not math.isnan(r["precision"])]
        out.append(f"| {name} | {ppl:.1f} ± {ppl_ci:.1f} | {paired[0]} | {paired[1]} | "
                   f"{statistics.fmean(r['oov'] for r in runs):.3f} | "
                   f"{statistics.fmean(r['target_share'] for r in runs):.2f} | "
                   f"{statistics.fmean(prec) if prec else float('nan'):.2f} | "
                   f"{statistics.fmean(r['recall'] for r in runs):.2f} | "
                   f"{statistics.fmean(r['docs'] for r in runs):.0f} | {statistics.fmean(r['cpu_s'] for r in runs):.1f} |")
    n_pos = sum(g["programming"] for g in map(orjson.loads, (HERE / "selection_gold.jsonl").read_bytes().splitlines()))
    out += ["", f"Gold: `bench/selection_gold.jsonl`, 70 English dev pages (no Python docs) labelled by hand "
            f"\"about programming/software\" ({n_pos} yes); precision = labelled-yes share of the gold pages a "
            "selector took (blank when it took none), recall = share of the yes pages it took. Six positives: "
            "read these two columns as coarse.", "",
            "### Scoring throughput (one process, CPU time, dev WARC documents)", ""]
    out += throughput(docs, scratch)
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=None, help="a corpusmill run folder of the dev WARC (built when absent)")
    ap.add_argument("--scratch", default="/tmp/corpusmill-bench-selection")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=int, default=100_000, help="words per selected subset")
    ap.add_argument("--selectors", nargs="+", default=list(SELECTORS), choices=list(SELECTORS))
    ap.add_argument("--write", action="store_true", help="write bench/results/selection.md")
    args = ap.parse_args()
    text = run(args)
    print(text)
    if args.write:
        (HERE / "results" / "selection.md").write_text(text)


if __name__ == "__main__":
    main()
