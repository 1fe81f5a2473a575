"""Training mixtures: a recipe (sources, domains, token shares, budget, epoch caps, phases) -> shards + manifest."""
from corpusmill.mix.recipe import Recipe, RecipeError, load_recipe

__all__ = ["Recipe", "RecipeError", "load_recipe"]
