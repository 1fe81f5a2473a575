"""From available tokens per (source, domain) and a recipe to sampling rates (copies per document).

Per phase, domain targets are budget x share (shares tempered: p ∝ s^(1/T)). If a domain cannot
reach its target within the sources' epoch caps, the whole budget shrinks by the same factor, so
shares hold and the report says by how much. Within a domain, sources share one sampling rate
(natural proportions), water-filled so a source at its epoch cap hands the rest to the others.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from corpusmill.mix.recipe import Recipe, RecipeError

Key = tuple[str, str]  # (source, domain)


@dataclass
class Plan:
    requested: dict[str, dict[str, float]]  # phase -> domain -> tokens the recipe asked for
    planned: dict[str, dict[str, float]]  # phase -> domain -> tokens within the epoch caps
    rates: dict[str, dict[Key, float]]  # phase -> (source, domain) -> copies per document
    scale: float  # planned / requested budget (1.0 unless epoch caps bind)
    limiting_domain: str | None = None
    warnings: list[str] = field(default_factory=list)


def _tempered(shares: dict[str, float], temperature: float) -> dict[str, float]:
    w = {d: s ** (1.0 / temperature) for d, s in shares.items() if s > 0}
    total = sum(w.values())
    return {d: v / total for d, v in w.items()}


def _water_fill(target: float, avail: dict[str, float], caps: dict[str, float]) -> dict[str, float]:
    """Rate per source: min(r, cap_s) with sum(rate_s * avail_s) == target."""
    rates: dict[str, float] = {}
    left = target
    open_ = sorted((s for s in avail if avail[s] > 0), key=lambda s: (caps[s], s))
    while open_:
        pool = sum(avail[s] for s in open_)
        r = left / pool
        s0 = open_[0]
        if r <= caps[s0]:
            rates.update({s: r for s in open_})
            break
        rates[s0] = caps[s0]
        left -= caps[s0] * avail[s0]
        open_ = open_[1:]
    return rates


def make_plan(recipe: Recipe, available: dict[Key, int]) -> Plan:
    domains: dict[str, int] = {}
    for (_s, d), n in available.items():
        domains[d] = domains.get(d, 0) + n
    natural = {d: n / sum(domains.values()) for d, n in domains.items() if n > 0} if domains else {}
    requested: dict[str, dict[str, float]] = {}
    for ph in recipe.phases:
        shares = ph.shares or recipe.shares or natural
        empty = sorted(d for d, s in shares.items() if s > 0 and domains.get(d, 0) == 0)
        if empty:
            found = ", ".join(sorted(d for d in domains if domains[d] > 0)) or "none"
            raise RecipeError(f"domain(s) {', '.join(empty)} have no records in the sources "
                              f"(domains found: {found})")
        budget = recipe.tokens * ph.fraction
        requested[ph.name] = {d: budget * p for d, p in _tempered(shares, recipe.temperature).items()}
    caps = {s.name: s.max_epochs for s in recipe.sources}
    total_by_domain: dict[str, float] = {}
    for per in requested.values():
        for d, t in per.items():
            total_by_domain[d] = total_by_domain.get(d, 0.0) + t
    scale, limiting = 1.0, None
    for d, t in sorted(total_by_domain.items()):
        cap = sum(caps[s] * n for (s, dd), n in available.items() if dd == d)
        if t > 0 and cap / t < scale:
            scale, limiting = cap / t, d
    warnings = []
    if scale < 1.0:
        allowed = int(recipe.tokens * scale)
        warnings.append(f"budget {recipe.tokens:,} tokens exceeds what the sources allow within their epoch caps "
                        f"by {recipe.tokens - allowed:,} tokens (domain {limiting!r} runs out); "
                        f"mixing {allowed:,} tokens at the requested shares")
    planned = {p: {d: t * scale for d, t in per.items()} for p, per in requested.items()}
    rates: dict[str, dict[Key, float]] = {p: {} for p in planned}
    for d, t in total_by_domain.items():
        avail = {s: float(n) for (s, dd), n in available.items() if dd == d}
        domain_rates = _water_fill(t * scale, avail, caps)
        for p, per in planned.items():
            frac = per.get(d, 0.0) / (t * scale) if t > 0 else 0.0
            for s, r in domain_rates.items():
                if r * frac > 0:
                    rates[p][(s, d)] = r * frac
    return Plan(requested, planned, rates, scale, limiting, warnings)
