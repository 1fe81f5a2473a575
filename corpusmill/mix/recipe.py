"""The mixture recipe: parsed and checked before any work starts.

    sources: {web: out/web, papers: out/pdf}   # run folders (their data/), corpus files, or folders of them
    domain: source                              # or language, a metadata field path, or {url: [...]} rules
    shares: {web: 0.7, papers: 0.3}             # target token shares per domain
    tokens: 5000000                             # total budget
    tokenizer: o200k_base
    max_epochs: 4                               # or per source: {web: 1, papers: 4}
    temperature: 1.0                            # p_d ∝ share_d^(1/T)
    phases: [{name: main, fraction: 0.9}, {name: anneal, fraction: 0.1, shares: {...}}]
    seed: 0
    output: out/mix
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from corpusmill import yaml_load as bounded_yaml
from corpusmill.output_folder import is_within
from corpusmill.readers import CorpusReader

_KEYS = {"sources", "domain", "shares", "tokens", "tokenizer", "max_epochs", "temperature", "phases", "seed",
         "output", "shard_tokens", "text_field"}


class RecipeError(ValueError):
    """A recipe a mixture cannot be made from; the message says what to fix."""


@dataclass
class Source:
    name: str
    path: Path
    files: list[Path]
    text_field: str = "text"
    max_epochs: float = 1.0


@dataclass
class Phase:
    name: str
    fraction: float
    shares: dict[str, float] | None  # None: the recipe's shares


@dataclass
class Recipe:
    sources: list[Source]
    domain: Any
    shares: dict[str, float] | None
    tokens: int
    tokenizer: str
    temperature: float
    phases: list[Phase]
    seed: int
    output: Path
    shard_tokens: int
    raw: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def source_files(path: Path, exclude: Path | None = None) -> list[Path]:
    """A run folder's data/ files, a corpus file, or the corpus files under a folder; sorted.

    `exclude`: the command's output folder, never read as its own input when it lies in `path`.
    """
    if path.is_file():
        return [path]
    root = path / "data" if (path / "data").is_dir() else path
    skip = exclude is not None and is_within(exclude, root)
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")
                  and CorpusReader.takes(p) and not (skip and is_within(p, exclude)))


def _normalise(shares: Any, what: str, strict: bool, warnings: list[str]) -> dict[str, float]:
    if not isinstance(shares, dict) or not shares:
        raise RecipeError(f"{what} must be a mapping of domain -> share, e.g. {{web: 0.7, papers: 0.3}}")
    out: dict[str, float] = {}
    for k, v in shares.items():
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or not math.isfinite(v):
            raise RecipeError(f"{what}: share of {k!r} must be a number >= 0, got {v!r}")
        out[str(k)] = float(v)
    total = sum(out.values())
    if total <= 0:
        raise RecipeError(f"{what} sum to 0")
    if abs(total - 1.0) > 1e-6:
        if strict:
            raise RecipeError(f"{what} sum to {total:g}, not 1 (drop --strict to normalise them)")
        warnings.append(f"{what} sum to {total:g}, not 1: normalised")
        out = {k: v / total for k, v in out.items()}
    return out


def load_recipe(path: str | Path, strict: bool = False) -> Recipe:
    path = Path(path)
    try:
        raw = bounded_yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise RecipeError(f"no recipe file {path}") from None
    except yaml.YAMLError as e:
        raise RecipeError(f"{path} is not valid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise RecipeError(f"{path}: a recipe is a mapping with sources, shares, tokens, output")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise RecipeError(f"{path}: unknown recipe key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}")
    for key in ("sources", "tokens", "output"):
        if key not in raw:
            raise RecipeError(f"{path}: the recipe needs {key!r}")
    warnings: list[str] = []
    caps = raw.get("max_epochs", 1)
    if not isinstance(raw["sources"], dict) or not raw["sources"]:
        raise RecipeError("sources must be a mapping of name -> folder or corpus file")
    sources = []
    for name, spec in raw["sources"].items():
        spec = spec if isinstance(spec, dict) else {"path": spec}
        p = Path(str(spec.get("path", "")))
        if not p.exists():
            raise RecipeError(f"source {name!r}: {p} does not exist")
        output = Path(str(raw["output"]))
        if is_within(p, output):
            raise RecipeError(f"source {name!r}: {p} is inside the output folder {output}; write the mix elsewhere")
        files = source_files(p, exclude=output)
        if not files:
            raise RecipeError(f"source {name!r}: no JSONL/Parquet files in {p}")
        cap = caps.get(name, 1) if isinstance(caps, dict) else caps
        if not isinstance(cap, (int, float)) or cap <= 0:
            raise RecipeError(f"max_epochs for {name!r} must be a number > 0, got {cap!r}")
        sources.append(Source(str(name), p, files, str(spec.get("text_field", raw.get("text_field", "text"))),
                              float(cap)))
    if isinstance(caps, dict):
        stray = sorted(set(map(str, caps)) - {s.name for s in sources})
        if stray:
            raise RecipeError(f"max_epochs names unknown source(s) {', '.join(stray)}")
    tokens = raw["tokens"]
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens <= 0:
        raise RecipeError(f"tokens must be a positive integer budget, got {tokens!r}")
    shares = _normalise(raw["shares"], "shares", strict, warnings) if raw.get("shares") is not None else None
    temperature = float(raw.get("temperature", 1.0))
    if temperature <= 0:
        raise RecipeError("temperature must be > 0")
    phases = _phases(raw.get("phases"), strict, warnings)
    if raw.get("domain", "source") == "source":
        # Domains are the sources' names: a share of anything else is refused before any work.
        names = {s.name for s in sources}
        empty = sorted({d for sh in [shares or {}, *(p.shares or {} for p in phases)] for d, v in sh.items()
                        if v > 0 and d not in names})
        if empty:
            raise RecipeError(f"domain(s) {', '.join(empty)} have no records in the sources "
                              f"(domains found: {', '.join(sorted(names))})")
    return Recipe(sources, raw.get("domain", "source"), shares, tokens, str(raw.get("tokenizer", "o200k_base")),
                  temperature, phases, int(raw.get("seed", 0)), Path(str(raw["output"])),
                  int(raw.get("shard_tokens", 20_000_000)), raw, warnings)


def _phases(spec: Any, strict: bool, warnings: list[str]) -> list[Phase]:
    if spec is None:
        return [Phase("main", 1.0, None)]
    if not isinstance(spec, list) or not spec:
        raise RecipeError("phases must be a list of {name, fraction, shares}")
    phases = []
    for i, ph in enumerate(spec):
        if not isinstance(ph, dict) or "fraction" not in ph:
            raise RecipeError(f"phase {i + 1} needs a fraction of the token budget")
        name = str(ph.get("name", f"phase{i + 1}"))
        sh = _normalise(ph["shares"], f"shares of phase {name!r}", strict, warnings) if ph.get("shares") else None
        phases.append(Phase(name, float(ph["fraction"]), sh))
    total = sum(p.fraction for p in phases)
    if total <= 0 or any(p.fraction < 0 for p in phases):
        raise RecipeError("phase fractions must be >= 0 and not all 0")
    if abs(total - 1.0) > 1e-6:
        if strict:
            raise RecipeError(f"phase fractions sum to {total:g}, not 1 (drop --strict to normalise them)")
        warnings.append(f"phase fractions sum to {total:g}, not 1: normalised")
        for p in phases:
            p.fraction /= total
    if len({p.name for p in phases}) != len(phases):
        raise RecipeError("phase names must differ")
    return phases
