"""`corpusmill mix RECIPE` and `corpusmill pack`: one line per user mistake, a short summary of the result."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from corpusmill.mix.recipe import RecipeError, load_recipe
from corpusmill.mix.pack_command import run_pack
from corpusmill.mix.sample import run_mix


def mix_command(recipe_path: str, strict: bool = False, overwrite: bool = False, quiet: bool = False) -> int:
    try:
        recipe = load_recipe(recipe_path, strict=strict)
        manifest = run_mix(recipe, overwrite=overwrite)
    except (RecipeError, ValueError) as e:
        print(f"corpusmill: {e}", file=sys.stderr)
        return 2
    for w in manifest["warnings"]:
        print(f"corpusmill: warning: {w}", file=sys.stderr)
    if not quiet:
        b = manifest["budget"]
        print(f"mixed {b['achieved']:,} tokens (requested {b['requested']:,}) into "
              f"{len(manifest['shards'])} shard(s) in {recipe.output}")
        for d, e in manifest["domains"].items():
            print(f"  {d:<20} share {e['share_achieved']:.4f} (requested {e['share_requested']:.4f})  "
                  f"{e['achieved']:,} tokens, {e['documents']:,} docs")
        for s, e in manifest["sources"].items():
            print(f"  source {s:<13} {e['epochs_used']:.3f} epochs (cap {e['max_epochs']:g})")
    return 0


def pack_command(args: argparse.Namespace) -> int:
    try:
        rep = run_pack(args.inputs, Path(args.output), args.seq_len, args.tokenizer, args.window_tokens,
                       eos=not args.no_eos, text_field=args.text_field, text_view=not args.no_text,
                       overwrite=args.overwrite)
    except ValueError as e:
        print(f"corpusmill: {e}", file=sys.stderr)
        return 2
    if not args.quiet:
        bf, cc = rep["best_fit"], rep["concat_and_chunk"]
        print(f"packed {rep['documents']:,} documents, {rep['tokens']:,} tokens into {bf['sequences']:,} "
              f"sequences of {rep['seq_len']} in {args.output}")
        print(f"  best-fit decreasing: {bf['split_documents']:,} split documents, padding {bf['padding_fraction']:.4%}")
        print(f"  concat-and-chunk:    {cc['split_documents']:,} split documents, padding {cc['padding_fraction']:.4%}")
    return 0
