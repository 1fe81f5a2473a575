"""Semantic dedup vs MinHash on the dev WARC, plus a labelled pair set (issue 18, item 4).

    python bench/semantic_dedup.py [--work /tmp/corpusmill-bench] [--out bench/results/semantic_dedup.md]

1. Dev WARC pool: MinHash, semantic dedup with its static check only, and semantic dedup as it
   ships (static + contextual check) over the extracted text; the pairs each flags, their
   overlap, and precision against the hand judgements in `bench/semdedup_pairs.jsonl` (kind
   `dev_pair`: every pair a stage flags on the dev WARC was read and judged).
2. Labelled set: the pool plus (a) near-duplicates made from 40 seeded dev documents by the edits
   a crawl produces (date/boilerplate lines changed, paragraphs reordered, the last fifth cut,
   5% of words swapped for other words of the page), (b) the hand-written paraphrases of real
   dev paragraphs (kind `paraphrase`, in en/de/es/fr), and (c) hand-written texts on a paraphrased
   paragraph's topic with other facts (kind `same_topic`: each is a hard negative of both sides of
   that paraphrase pair). Found = both texts end in one duplicate group; per kind and language,
   also with the contextual check on for every language. Precision counts every flagged pair that
   is not labelled or judged a duplicate as a false positive.
3. The contextual threshold swept on the labelled set (a plateau, not a point).
4. Throughput per core (process CPU time, one thread): embeddings with word sketches, as the
   stage computes them, cold (every word new to the process) and warm (the same texts again);
   the whole stage (collect, k-means, groups with the contextual check, apply) with and without
   the contextual check, with the check's candidate pairs, model windows and CPU time; two
   candidate floors compared; MinHash signatures as the peer.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import sys
import time
from pathlib import Path

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # one core: figures are per core

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dev_text import dev_records  # noqa: E402

from corpusmill.corpus_stage import CorpusStage, RunContext  # noqa: E402
from corpusmill.curate.dedup.minhash import MinHashDedup  # noqa: E402
from corpusmill.curate.dedup.minhash_signatures import MinHasher  # noqa: E402
from corpusmill.curate.dedup.contextual_check import MAX_LENGTH_RATIO  # noqa: E402
from corpusmill.curate.dedup.semantic import SemanticDedup  # noqa: E402
from corpusmill.curate.dedup.static_embeddings import StaticEmbedder  # noqa: E402
from corpusmill.record import Record  # noqa: E402

HERE = Path(__file__).resolve().parent
PAIRS = HERE / "semdedup_pairs.jsonl"
FLOORS = (0.5, 0.65)  # candidate residual cosines compared for cost and recall
SWEEP = (0.70, 0.74, 0.76, 0.78, 0.80, 0.82, 0.84, 0.86, 0.88, 0.90)  # contextual thresholds tried


def run_stage(stage: CorpusStage, work: Path, records: list[Record], stats: dict | None = None
              ) -> dict[str, str]:
    """id -> duplicate group id, for every record in a group of two or more. `stats` gets the
    pass tasks' numbers summed (e.g. the contextual check's pairs, windows, CPU seconds) and the
    whole stage's process CPU seconds."""
    records = copy.deepcopy(records)
    t0 = time.process_time()
    ctx = RunContext(work)
    st = stage.collect(ctx, "00000")
    list(st(records))
    st.close()
    for p in stage.passes(ctx, ["00000"]):
        for task in p.tasks:
            out = task.fn(*task.args)
            if stats is not None and p.name.endswith(":groups"):
                for k, v in out.items():
                    if k.startswith("contextual"):
                        stats[k] = stats.get(k, 0) + v
    ap = stage.apply(ctx, "00000")
    groups = {}
    for r in ap(records):
        d = r.metadata.get("dedup")
        if d and d.get("cluster_id") is not None and d.get("cluster_size", 0) > 1:
            groups[r.id] = d["cluster_id"]
    if stats is not None:
        stats["stage_cpu_seconds"] = time.process_time() - t0
    return groups


def pairs_of(groups: dict[str, str]) -> set[frozenset[str]]:
    by: dict[str, list[str]] = {}
    for rid, g in groups.items():
        by.setdefault(g, []).append(rid)
    return {frozenset((a, b)) for m in by.values() for i, a in enumerate(m) for b in m[i + 1:]}


def swap_words(text: str, fraction: float, rng: random.Random) -> str:
    words = text.split(" ")
    pool = [w for w in words if w.isalpha()] or words
    for i in rng.sample(range(len(words)), max(1, round(len(words) * fraction))):
        words[i] = rng.choice(pool)
    return " ".join(words)


EDITS = {
    "date_and_boilerplate": lambda t, r: "Home | News | Login\nUpdated 14 November 2023\n" + t
    + "\nCopyright 2024 Example Media Ltd. All rights reserved.",
    "paragraphs_reordered": lambda t, r: "\n".join((p := t.split("\n"))[len(p) // 3:] + p[: len(p) // 3]),
    "last_fifth_cut": lambda t, r: t[: int(len(t) * 0.8)],
    "words_5pct_swapped": lambda t, r: swap_words(t, 0.05, r),
}


def labelled_set(pool: list[Record], seed: int = 1
                 ) -> tuple[list[Record], set[frozenset[str]], dict[str, str], set[frozenset[str]],
                            set[frozenset[str]], dict[frozenset[str], str]]:
    """(documents, positive pairs, kind of each added id, excerpt pairs, negative pairs, language of
    each hand-written pair). A hand-written pair's texts carry its language as `metadata["language"]`,
    as the pool's pages do from extraction."""
    rng = random.Random(seed)
    extra, positives, kind, excerpts, negatives, lang = [], set(), {}, set(), set(), {}
    sources = rng.sample([r for r in pool if len(r.text) >= 1000], 40)
    for k, src in enumerate(sources):
        name = list(EDITS)[k % len(EDITS)]
        rid = f"edit{k}-{name}"
        extra.append(Record(id=rid, text=EDITS[name](src.text, rng), media_type="text/html",
                            metadata=dict(src.metadata)))
        positives.add(frozenset((rid, src.id)))
        kind[rid] = name
    rows = [json.loads(line) for line in PAIRS.read_text().splitlines()]
    para_of: dict[str, tuple[str, str]] = {}
    for k, row in enumerate(rows):
        if row["kind"] != "paraphrase":
            continue
        a, b = f"para{k}-a", f"para{k}-b"
        meta = {"language": row["lang"]}
        extra += [Record(id=a, text=row["a"], media_type="text/html", metadata=dict(meta)),
                  Record(id=b, text=row["b"], media_type="text/html", metadata=dict(meta))]
        positives.add(frozenset((a, b)))
        # "a" is the page's own paragraph, verbatim: an excerpt of (contained in) that page.
        excerpts.add(frozenset((a, row["source_id"])))
        kind[a] = kind[b] = "paraphrase"
        lang[frozenset((a, b))] = row["lang"]
        para_of[row["source_id"]] = (a, b)
    for k, row in enumerate(rows):
        if row["kind"] != "same_topic":
            continue
        n = f"topic{k}"
        extra.append(Record(id=n, text=row["b"], media_type="text/html", metadata={"language": row["lang"]}))
        kind[n] = "same_topic"
        for other in para_of[row["source_id"]]:  # the paraphrase pair on that topic, each side
            negatives.add(frozenset((n, other)))
            lang[frozenset((n, other))] = row["lang"]
    return pool + extra, positives, kind, excerpts, negatives, lang


def closure(pairs: set[frozenset[str]]) -> set[frozenset[str]]:
    """Every pair within a connected group: a copy of a page is a duplicate of that page's duplicates."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b in (tuple(p) for p in pairs):
        parent[root(a)] = root(b)
    return pairs_of({x: root(x) for x in parent})


def judged() -> tuple[set[frozenset[str]], set[frozenset[str]]]:
    yes, no = set(), set()
    for row in (json.loads(line) for line in PAIRS.read_text().splitlines()):
        if row["kind"] == "dev_pair":
            (yes if row["label"] else no).add(frozenset((row["a_id"], row["b_id"])))
    return yes, no


def per_core_rate(fn, items: list) -> float:
    t0 = time.process_time()
    fn(items)
    return len(items) / max(time.process_time() - t0, 1e-9)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, default=Path("/tmp/corpusmill-bench"))
    ap.add_argument("--out", type=Path, default=HERE / "results" / "semantic_dedup.md")
    args = ap.parse_args()
    pool, _ = dev_records(args.work)
    for r in pool:
        r.provenance = []
    yes, no = judged()
    default = SemanticDedup()
    static = SemanticDedup(contextual_threshold=None)
    lines = [f"## Semantic dedup vs MinHash (bench/semantic_dedup.py) - {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             "",
             "Defaults of both stages: `semantic_dedup` (WordLlama l2_supercat 256-d static embeddings from the "
             "wheel, k-means with ~50 records a cluster; static check: residual cosine >= "
             f"{default.threshold} and word overlap >= {default.min_word_overlap}; contextual check: "
             f"all-MiniLM-L6-v2 cosine >= {default.contextual_threshold} on candidates with residual cosine >= "
             f"{default.candidate_cosine}, word overlap >= {default.candidate_overlap}, lengths within "
             f"{MAX_LENGTH_RATIO}x, language in {sorted(default.contextual_languages)}; keep first) and "
             "`minhash_dedup` (5-grams, 14 bands x 8 rows). `static only` is semantic_dedup with "
             "`contextual_threshold: null`. One process, one thread.", ""]

    # 1. dev pool
    mh = pairs_of(run_stage(MinHashDedup(), args.work / "mh-dev", pool))
    so = pairs_of(run_stage(static, args.work / "so-dev", pool))
    sd = pairs_of(run_stage(default, args.work / "sd-dev", pool))

    def prec(found: set) -> str:
        good = len(found & yes)
        return f"{good}/{len(found)}" + (f" = {good / len(found):.2f}" if found else "")
    lines += [f"### Dev WARC ({len(pool)} documents)", "",
              "| | pairs flagged | judged duplicates among them | also flagged by MinHash |",
              "|---|---|---|---|",
              f"| minhash_dedup | {len(mh)} | {prec(mh)} | - |",
              f"| semantic_dedup, static only | {len(so)} | {prec(so)} | {len(mh & so)} |",
              f"| semantic_dedup (default) | {len(sd)} | {prec(sd)} | {len(mh & sd)} |", "",
              f"Every flagged pair was read and judged (`bench/semdedup_pairs.jsonl`, kind `dev_pair`: "
              f"{len(yes)} duplicates, {len(no)} not). Semantic-only pairs judged duplicates: "
              f"{len((sd - mh) & yes)}; MinHash pairs semantic dedup misses: {len(mh - sd)}; pairs the "
              f"contextual check adds: {len(sd - so)} ({len((sd - so) & yes)} judged duplicates); "
              f"unjudged pairs: {len(sd - yes - no)}.", ""]

    # 2. labelled set
    docs, positives, kind, excerpts, negatives, lang = labelled_set(pool)
    truth = closure(positives | yes | excerpts)
    mh = pairs_of(run_stage(MinHashDedup(), args.work / "mh-lab", docs))
    so = pairs_of(run_stage(static, args.work / "so-lab", docs))
    sd = pairs_of(run_stage(default, args.work / "sd-lab", docs))
    languages = sorted({r.metadata["language"] for r in docs if r.metadata.get("language")})
    every = pairs_of(run_stage(SemanticDedup(contextual_languages=languages), args.work / "all-lab", docs))
    rows = ["| pair kind | n | minhash found | static only found | default found | "
            "contextual check in every language found |", "|---|---|---|---|---|---|"]
    for name in EDITS:
        ps = [p for p in positives if any(kind.get(i) == name for i in p)]
        rows.append(f"| {name} | {len(ps)} | {sum(p in mh for p in ps)} | {sum(p in so for p in ps)} | "
                    f"{sum(p in sd for p in ps)} | {sum(p in every for p in ps)} |")
    for code in sorted({lang[p] for p in positives if p in lang}):
        ps = [p for p in positives if lang.get(p) == code]
        rows.append(f"| paraphrase ({code}) | {len(ps)} | {sum(p in mh for p in ps)} | {sum(p in so for p in ps)} | "
                    f"{sum(p in sd for p in ps)} | {sum(p in every for p in ps)} |")
    for code in sorted({lang[p] for p in negatives}):
        ps = [p for p in negatives if lang[p] == code]
        rows.append(f"| same topic, other facts ({code}): wrongly flagged | {len(ps)} | {sum(p in mh for p in ps)} | "
                    f"{sum(p in so for p in ps)} | {sum(p in sd for p in ps)} | {sum(p in every for p in ps)} |")
    mh_true = mh & truth

    def summary(name: str, found: set) -> str:
        return (f"| {name} | {len(found)} | {len(found & truth) / max(len(found), 1):.3f} | {len(found - truth)} | "
                f"{len(mh_true & found)}/{len(mh_true)} = {len(mh_true & found) / max(len(mh_true), 1):.3f} |")
    lines += [f"### Labelled set ({len(docs)} documents: the pool + {len(docs) - len(pool)} added)", "", *rows, "",
              "| | flagged pairs | precision | false positives | MinHash's true pairs also found |",
              "|---|---|---|---|---|",
              f"| minhash_dedup | {len(mh)} | {len(mh & truth) / max(len(mh), 1):.3f} | {len(mh - truth)} | - |",
              summary("semantic_dedup, static only", so), summary("semantic_dedup (default)", sd),
              summary("contextual check in every language", every), "",
              f"Paraphrases MinHash misses that the default finds: "
              f"{sum(1 for p in positives - mh if p in sd and kind.get(next(iter(p))) == 'paraphrase')}. "
              "Truth is the transitive closure of the labelled pairs, the judged dev pairs and each paraphrase "
              "source paragraph with its page (it is an excerpt of it); a false positive is a flagged pair "
              "outside it (each same-topic text is a new text, so a pair with it is one).", ""]
    false_pos = sorted(tuple(sorted(p)) for p in every - truth)
    if false_pos:
        lines += ["False positives of the every-language run: " + ", ".join(f"{a} ~ {b}" for a, b in false_pos), ""]

    # 3. plateau of the contextual threshold (default languages)
    en_para = [p for p in positives if lang.get(p) in default.contextual_languages]
    lines += ["### Contextual threshold (labelled set, default languages)", "",
              "| contextual threshold | paraphrases found (" + "/".join(sorted(default.contextual_languages))
              + f", {len(en_para)}) | flagged pairs | false positives |", "|---|---|---|---|"]
    for t in SWEEP:
        found = pairs_of(run_stage(SemanticDedup(contextual_threshold=t), args.work / f"sweep-{t}", docs))
        lines.append(f"| {t:.2f} | {sum(p in found for p in en_para)} | {len(found)} | {len(found - truth)} |")
    lines.append("")

    # 4. throughput
    texts = [r.text for r in pool]
    emb = StaticEmbedder()
    cold = per_core_rate(emb.embed_with_sketches, texts)  # what the stage's collect runs
    warm = per_core_rate(emb.embed_with_sketches, texts)
    hasher = MinHasher()
    mh_rate = per_core_rate(lambda ts: hasher.signatures([s for s in map(hasher.shingles, ts) if len(s)]), texts)
    chars = sum(map(len, texts)) / len(texts)
    s_static, s_default = {}, {}
    run_stage(static, args.work / "t-static", pool, s_static)  # the embedder is warm in this process now
    run_stage(default, args.work / "t-default", pool, s_default)
    n = len(pool)
    floors = ["| candidate residual cosine >= | paraphrases found (labelled, "
              + "/".join(sorted(default.contextual_languages)) + f", {len(en_para)}) | false positives (labelled) | "
              "dev-WARC pairs scored | windows | contextual CPU s | whole stage, warm, docs/s |",
              "|---|---|---|---|---|---|---|"]
    for floor in FLOORS:
        st = SemanticDedup(candidate_cosine=floor)
        found = pairs_of(run_stage(st, args.work / f"floor-lab-{floor}", docs))
        fs: dict = {}
        run_stage(st, args.work / f"floor-dev-{floor}", pool, fs)
        floors.append(f"| {floor:.2f} | {sum(p in found for p in en_para)} | {len(found - truth)} | "
                      f"{fs.get('contextual_pairs', 0)} | {fs.get('contextual_windows', 0)} | "
                      f"{fs.get('contextual_cpu_seconds', 0):.2f} | {n / fs['stage_cpu_seconds']:,.0f} |")
    cold_extra = n / cold - n / warm  # what a cold embedder adds to a stage run
    lines += ["### Throughput (documents/s per core, process CPU time; dev WARC text, "
              f"{chars:,.0f} characters a document on average)", "",
              "| | docs/s | vs MinHash signatures |", "|---|---|---|",
              f"| embeddings + word sketches, cold (every word new to the process) | {cold:,.0f} | "
              f"{cold / mh_rate:.2f}x |",
              f"| embeddings + word sketches, warm (word vectors cached) | {warm:,.0f} | {warm / mh_rate:.2f}x |",
              f"| whole stage, static only, warm (collect, k-means, groups, apply) | "
              f"{n / s_static['stage_cpu_seconds']:,.0f} | {n / s_static['stage_cpu_seconds'] / mh_rate:.2f}x |",
              f"| whole stage, default (contextual check on), warm | {n / s_default['stage_cpu_seconds']:,.0f} | "
              f"{n / s_default['stage_cpu_seconds'] / mh_rate:.2f}x |",
              f"| whole stage, default, cold | {n / (s_default['stage_cpu_seconds'] + cold_extra):,.0f} | "
              f"{n / (s_default['stage_cpu_seconds'] + cold_extra) / mh_rate:.2f}x |",
              f"| MinHash signatures (peer) | {mh_rate:,.0f} | 1.00x |", "",
              f"Contextual check on the dev WARC: {s_default.get('contextual_pairs', 0)} candidate pairs scored, "
              f"{s_default.get('contextual_windows', 0)} windows through the model, "
              f"{s_default.get('contextual_cpu_seconds', 0):.2f} CPU s (of {s_default['stage_cpu_seconds']:.2f} s for "
              f"the whole stage; static only {s_static['stage_cpu_seconds']:.2f} s); duplicates it named: "
              f"{s_default.get('contextual_duplicates', 0)}. Cold adds {cold_extra:.2f} s of embedding to a run.", "",
              "Candidate floor (the residual cosine a pair needs before the model reads it): recall against cost.", "",
              *floors, ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
