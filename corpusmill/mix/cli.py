"""`corpusmill mix RECIPE` and `corpusmill pack`: one line per user mistake, a short summary of the result."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from corpusmill.mix.pack_command import run_pack
from corpusmill.mix.passes import RunOptions
from corpusmill.mix.recipe import RecipeError, load_recipe
from corpusmill.mix.sample import run_mix


def _options(args: argparse.Namespace) -> RunOptions:
    return RunOptions(workers=args.workers, executor=args.executor,
                      executor_options={"address": args.address} if args.address else {}, quiet=args.quiet)


def _ran(run: dict, wall: float) -> str:
    return (f"  {run['executor']} executor, {run['workers']} worker(s), {wall:,.1f} s wall; "
            "task seconds by pass (summed wall): " + ", ".join(f"{p} {s:,.1f}" for p, s in run["task_seconds"].items()))


def mix_command(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    try:
        recipe = load_recipe(args.recipe, strict=args.strict)
        manifest = run_mix(recipe, overwrite=args.overwrite, options=_options(args))
    except (RecipeError, ValueError) as e:
        print(f"corpusmill: {e}", file=sys.stderr)
        return 2
    for w in manifest["warnings"]:
        print(f"corpusmill: warning: {w}", file=sys.stderr)
    if not args.quiet:
        b = manifest["budget"]
        print(f"mixed {b['achieved']:,} tokens (requested {b['requested']:,}) into "
              f"{len(manifest['shards'])} shard(s) in {recipe.output}")
        for d, e in manifest["domains"].items():
            print(f"  {d:<20} share {e['share_achieved']:.4f} (requested {e['share_requested']:.4f})  "
                  f"{e['achieved']:,} tokens, {e['documents']:,} docs")
        for s, e in manifest["sources"].items():
            print(f"  source {s:<13} {e['epochs_used']:.3f} epochs (cap {e['max_epochs']:g})")
        print(_ran(manifest["run"], time.monotonic() - t0))
    return 0


def pack_command(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    try:
        rep = run_pack(args.inputs, Path(args.output), args.seq_len, args.tokenizer, args.window_tokens,
                       eos=not args.no_eos, text_field=args.text_field, text_view=not args.no_text,
                       overwrite=args.overwrite, fill_gaps=not args.no_fill, options=_options(args))
    except ValueError as e:
        print(f"corpusmill: {e}", file=sys.stderr)
        return 2
    if not args.quiet:
        bf, cc = rep["best_fit"], rep["concat_and_chunk"]
        print(f"packed {rep['documents']:,} documents, {rep['tokens']:,} tokens into {bf['sequences']:,} "
              f"sequences of {rep['seq_len']} ({rep['windows']} window(s)) in {args.output}")
        name = "best-fit decreasing" + (" + gap fill" if rep["fill_gaps"] else "")
        for label, x in ((name, bf), ("concat-and-chunk", cc)):
            print(f"  {label + ':':<33} {x['split_documents']:,} split documents ({x['split_pieces']:,} pieces), "
                  f"padding {x['padding_tokens']:,} tokens ({x['padding_fraction']:.4%})")
        if rep["skipped_records"]:
            print("  not packed: " + ", ".join(f"{n:,} {why}" for why, n in rep["skipped_records"].items()))
        print(_ran(rep["run"], time.monotonic() - t0))
    return 0
