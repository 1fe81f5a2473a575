"""Quality classifier: accuracy on a hand-labelled gold set, scoring speed, training time (issue 18, item 2).

    python bench/quality_classifier.py [--work /tmp/corpusmill-bench] [--out bench/results/quality_classifier.md]

Gold set: `bench/quality_gold.jsonl`, 66 dev-WARC documents read and labelled by hand (1 = coherent
prose worth training on; 0 = no substantive prose: form fields, infoboxes, tables, UI strings,
robots.txt, or a stub under ~400 characters). No classifier ever trains on a gold document.

Recipes (both in the README):
- DCLM-style: positives = a reference set (the 130 Python documentation pages of the dev WARC),
  negatives = as many random pool documents (seeded).
- Distillation: positives = documents the FineWeb preset's heuristic filters keep, negatives =
  the ones they drop; the cheap classifier learns the expensive chain of filters. The filters
  themselves are the peer on the gold set.

Speed: documents/s per core scoring the dev WARC text (process CPU time); training time on
100,000 documents built from dev text (each 2-6 paragraphs drawn, seeded, from the kept or the
dropped side; the label is the side).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from dev_text import dev_records  # noqa: E402

from corpusmill.curate.quality_classifier.model import QualityModel  # noqa: E402
from corpusmill.curate.quality_classifier.train import fasttext_binary, train_classifier  # noqa: E402

HERE = Path(__file__).resolve().parent
GOLD = HERE / "quality_gold.jsonl"


def write_txt(path: Path, texts: list[str]) -> Path:
    path.write_text("".join(" ".join(t.split()) + "\n" for t in texts if t.split()), encoding="utf-8")
    return path


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    return float(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum())
                 / (len(pos) * len(neg)))


def pr(pred: np.ndarray, labels: np.ndarray, cls: int) -> tuple[float, float]:
    tp = int(((pred == cls) & (labels == cls)).sum())
    return tp / max(int((pred == cls).sum()), 1), tp / max(int((labels == cls).sum()), 1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, default=Path("/tmp/corpusmill-bench"))
    ap.add_argument("--out", type=Path, default=HERE / "results" / "quality_classifier.md")
    ap.add_argument("--train-docs", type=int, default=100_000)
    args = ap.parse_args()
    work = args.work / "quality"
    work.mkdir(parents=True, exist_ok=True)
    pool, _ = dev_records(args.work, "none")
    fw_kept, fw_dropped = dev_records(args.work, "fineweb")
    by_id = {r.id: r for r in pool}
    gold = [json.loads(line) for line in GOLD.read_text().splitlines()]
    gold_ids = {g["id"] for g in gold}
    gold_texts = [by_id[g["id"]].text for g in gold]
    labels = np.array([g["label"] for g in gold])
    kept_ids = {r.id for r in fw_kept}
    dropped_q = [r for r in fw_dropped if r.id not in gold_ids and r.text and r.reason
                 and r.reason.split(":")[0] in ("gopher_quality", "gopher_repetition", "c4_quality", "fineweb_quality")]

    rng = random.Random(1)
    reference = [r.text for r in pool if "docs.python.org" in (r.source.get("uri") or "")]
    others = [r.text for r in pool if r.id not in gold_ids and "docs.python.org" not in (r.source.get("uri") or "")]
    recipes = {
        "DCLM-style (Python docs vs random pool)": (reference, rng.sample(others, len(reference))),
        "distilled FineWeb filters (kept vs dropped)": (
            [r.text for r in fw_kept if r.id not in gold_ids], [r.text for r in dropped_q]),
    }
    backends = ["fasttext", "hashed"] if fasttext_binary() else ["hashed"]
    lines = [f"## Quality classifier (bench/quality_classifier.py) - {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             "", f"Gold set: {len(gold)} dev-WARC documents labelled by hand ({int(labels.sum())} high, "
             f"{int((labels == 0).sum())} low; `bench/quality_gold.jsonl`), never trained on. Scores are "
             "P(high); precision/recall at 0.5.", "",
             "| recipe | backend | train pos/neg | AUC | high: P / R | low: P / R |", "|---|---|---|---|---|---|"]
    models = {}
    for name, (pos, neg) in recipes.items():
        for backend in backends:
            path = work / f"{'dclm' if name.startswith('DCLM') else 'distil'}-{backend}.bin"
            train_classifier([str(write_txt(work / "pos.txt", pos))], [str(write_txt(work / "neg.txt", neg))],
                             path, backend=backend)
            models[(name, backend)] = path
            s = QualityModel(path).scores(gold_texts)
            pred = (s >= 0.5).astype(int)
            (ph, rh), (pl, rl) = pr(pred, labels, 1), pr(pred, labels, 0)
            lines.append(f"| {name} | {backend} | {len(pos)}/{len(neg)} | {auc(s, labels):.3f} | "
                         f"{ph:.2f} / {rh:.2f} | {pl:.2f} / {rl:.2f} |")
    fw_pred = np.array([1 if g["id"] in kept_ids else 0 for g in gold])
    (ph, rh), (pl, rl) = pr(fw_pred, labels, 1), pr(fw_pred, labels, 0)
    lines += [f"| peer: the FineWeb preset's filters themselves | - | - | - | {ph:.2f} / {rh:.2f} | {pl:.2f} / {rl:.2f} |",
              ""]

    # Scoring speed, per core.
    texts = [r.text for r in pool]
    lines += ["### Scoring speed (dev WARC text, one core, process CPU time)", "",
              "| model | bytes | docs/s |", "|---|---|---|"]
    distil = "distilled FineWeb filters (kept vs dropped)"
    speed_models = [(f"{b} (distilled)", models[(distil, b)]) for b in backends]
    if fasttext_binary():
        ftz = work / "distil-fasttext.ftz"
        train_classifier([str(work / "pos.txt")], [str(work / "neg.txt")], ftz, quantize=True)
        speed_models.append(("fasttext quantized (--quantize)", ftz))
    for label, path in speed_models:
        m = QualityModel(path)
        m.scores(texts[:50])
        t0 = time.process_time()
        for _ in range(3):
            m.scores(texts)
        rate = 3 * len(texts) / (time.process_time() - t0)
        lines.append(f"| {label} | {path.stat().st_size:,} | {rate:,.0f} |")
    lines.append("")

    # Training time on 100k documents.
    rng = random.Random(2)
    paras = {1: [p for r in fw_kept if r.id not in gold_ids for p in r.text.split("\n") if len(p) > 40],
             0: [p for r in dropped_q for p in r.text.split("\n") if len(p) > 10]}
    docs = {1: [], 0: []}
    for k in range(args.train_docs):
        side = k % 2
        docs[side].append("\n".join(rng.choice(paras[side]) for _ in range(rng.randint(2, 6))))
    pos_txt, neg_txt = write_txt(work / "pos100k.txt", docs[1]), write_txt(work / "neg100k.txt", docs[0])
    mb = (pos_txt.stat().st_size + neg_txt.stat().st_size) / 1e6
    lines += [f"### Training on {args.train_docs:,} documents ({mb:.0f} MB of text; one thread)", "",
              "| backend | seconds (wall) | CPU seconds | model bytes |", "|---|---|---|---|"]
    for backend in backends:
        out = work / f"big-{backend}.bin"
        t0, c0 = time.perf_counter(), time.process_time()
        before = os.times()
        train_classifier([str(pos_txt)], [str(neg_txt)], out, backend=backend)
        after = os.times()
        cpu = (after.user + after.system + after.children_user + after.children_system
               - before.user - before.system - before.children_user - before.children_system)
        lines.append(f"| {backend} | {time.perf_counter() - t0:.1f} | {cpu:.1f} | {out.stat().st_size:,} |")
    lines.append("")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
