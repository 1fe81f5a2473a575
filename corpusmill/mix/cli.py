"""`corpusmill mix RECIPE`: one line per user mistake, a short table of what was mixed."""
from __future__ import annotations

import sys

from corpusmill.mix.recipe import RecipeError, load_recipe
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
