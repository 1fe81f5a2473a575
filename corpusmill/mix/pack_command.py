"""`corpusmill pack`: a corpus (or a mixture's output) -> fixed-length token sequences + text view."""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import orjson

from corpusmill.mix.packing import PackStats, best_fit_decreasing, fill
from corpusmill.mix.recipe import source_files
from corpusmill.output_folder import OutputFolder, claim, is_within
from corpusmill.readers import CorpusReader
from corpusmill.record import OK, Record
from corpusmill.tokens import Tokenizer, load_tokenizer

_BATCH = 1024


def _documents(inputs: list[str], text_field: str, tok: Tokenizer, eos: bool,
               out: Path) -> Iterator[tuple[Record, np.ndarray]]:
    reader = CorpusReader(text_field=text_field)
    tail = [tok.eos_id] if eos and tok.eos_id is not None else []
    batch: list[Record] = []

    def flush() -> Iterator[tuple[Record, np.ndarray]]:
        for r, ids in zip(batch, tok.encode_batch([r.text for r in batch])):
            yield r, np.array(ids + tail, dtype=np.uint32)

    for inp in inputs:
        p = Path(inp)
        if not p.exists():
            raise ValueError(f"no input {inp}")
        for f in source_files(p, exclude=out):
            for r in reader.read(f):
                if r.status == OK and r.text:
                    batch.append(r)
                    if len(batch) >= _BATCH:
                        yield from flush()
                        batch = []
    yield from flush()


def run_pack(inputs: list[str], out: Path, seq_len: int, tokenizer: str, window_tokens: int = 20_000_000,
             eos: bool = True, text_field: str = "text", text_view: bool = True, overwrite: bool = False) -> dict[str, Any]:
    if seq_len < 2:
        raise ValueError("--seq-len must be at least 2")
    tok = load_tokenizer(tokenizer)
    for inp in inputs:
        if not Path(inp).exists():
            raise ValueError(f"no input {inp}")
        if is_within(inp, out):
            raise ValueError(f"input {inp} is inside the output folder {out}; pack into another folder")
    with claim(out, "pack") as folder:
        if folder.owned():
            if not overwrite:
                raise ValueError(f"output {out} holds a pack already (use --overwrite to replace it)")
            folder.clear()
        return _pack(folder, inputs, seq_len, tok, tokenizer, window_tokens, eos, text_field, text_view)


def _pack(folder: OutputFolder, inputs: list[str], seq_len: int, tok: Tokenizer, tokenizer: str,
          window_tokens: int, eos: bool, text_field: str, text_view: bool) -> dict[str, Any]:
    out = folder.path
    folder.own("documents.jsonl", "pack.json")
    can_decode = text_view and tok.name != "whitespace"
    stats = PackStats(seq_len)
    pad_id = tok.eos_id if tok.eos_id is not None else 0
    window: list[tuple[Record, np.ndarray]] = []
    n_tok = 0
    seq_base = doc_base = 0
    with open(out / "documents.jsonl", "wb") as docs_fh:
        def pack_window() -> None:
            nonlocal seq_base, doc_base
            w = stats.windows
            folder.own(f"tokens-{w:05d}.npy", f"segments-{w:05d}.npy", f"text-{w:05d}.jsonl.gz")
            lengths = [len(ids) for _r, ids in window]
            packed = best_fit_decreasing(lengths, seq_len)
            np.save(out / f"tokens-{w:05d}.npy", fill(packed.sequences, [ids for _r, ids in window], seq_len, pad_id))
            seg = [(seq_base + i, sum(q.length for q in s[:k]), p.length, doc_base + p.doc, p.start)
                   for i, s in enumerate(packed.sequences) for k, p in enumerate(s)]
            np.save(out / f"segments-{w:05d}.npy", np.array(seg, dtype=np.int64).reshape(-1, 5))
            for k, (r, ids) in enumerate(window):
                docs_fh.write(orjson.dumps({"index": doc_base + k, "id": r.id, "tokens": len(ids),
                                            **({"mix": r.metadata["mix"]} if "mix" in r.metadata else {})},
                                           option=orjson.OPT_APPEND_NEWLINE))
            if can_decode:
                with open(out / f"text-{w:05d}.jsonl.gz", "wb") as raw, \
                        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=3) as gz:
                    for i, s in enumerate(packed.sequences):
                        pieces = [{"id": window[p.doc][0].id, "start": p.start, "length": p.length,
                                   "text": tok.decode(window[p.doc][1][p.start:p.start + p.length].tolist())}
                                  for p in s]
                        gz.write(orjson.dumps({"sequence": seq_base + i, "pieces": pieces},
                                              option=orjson.OPT_APPEND_NEWLINE))
            stats.add(lengths, packed)
            seq_base += len(packed.sequences)
            doc_base += len(window)

        for r, ids in _documents(inputs, text_field, tok, eos, out):
            window.append((r, ids))
            n_tok += len(ids)
            if n_tok >= window_tokens:
                pack_window()
                window, n_tok = [], 0
        if window:
            pack_window()
    stats.extra.update(tokenizer=tokenizer, eos_appended=bool(eos and tok.eos_id is not None), pad_id=pad_id,
                       files={"tokens": "tokens-*.npy (uint32, sequences x seq_len)",
                              "segments": "segments-*.npy (int64: sequence, offset, length, document, doc_offset)",
                              "documents": "documents.jsonl", "text": "text-*.jsonl.gz" if can_decode else None})
    report = stats.to_dict()
    (out / "pack.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    return report
