"""`corpusmill mix`: shares by tokens, epoch caps, phases, determinism, provenance, bad recipes."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import xxhash
import yaml

from corpusmill.mix import load_recipe
from corpusmill.mix.passes import RunOptions
from corpusmill.mix.sample import run_mix
from corpusmill.record import Record
from corpusmill.tokens import load_tokenizer
from corpusmill.writers import RecordFileWriter
from tests.conftest import read_out, write_jsonl
from tests.jobs.test_warc_job import cli

QUIET = RunOptions(quiet=True)
WORDS = ("river market engine theory garden signal harbor lantern winter protein algebra museum "
         "copper violin desert orbit ledger canyon").split()


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 400))) + "."


def _sources(tmp: Path, n: int = 600) -> dict[str, Path]:
    rng = random.Random(7)
    # An HF-style corpus file with urls and languages.
    web = write_jsonl(tmp / "web.jsonl.gz", [
        {"id": f"w{i}", "text": _text(rng), "url": f"https://{'news' if i % 3 else 'blog'}.example/{i}",
         "language": "en" if i % 4 else "de"} for i in range(n)])
    # A corpusmill run folder (data/ of our own records), two shards.
    run = tmp / "pdf_run"
    for shard in range(2):
        w = RecordFileWriter(run / "data" / f"s{shard}.jsonl.gz")
        for i in range(n // 4):
            w.write(Record(id=f"p{shard}-{i}", text=_text(rng), metadata={"language": "en"}))
        w.commit()
    code = write_jsonl(tmp / "code.jsonl.gz", [{"id": f"c{i}", "text": _text(rng)} for i in range(n // 20)])
    return {"web": web, "papers": run, "code": code}


def _recipe(tmp: Path, **over: object) -> Path:
    src = _sources(tmp) if not (tmp / "web.jsonl.gz").exists() else {
        "web": tmp / "web.jsonl.gz", "papers": tmp / "pdf_run", "code": tmp / "code.jsonl.gz"}
    r: dict[str, object] = {"sources": {k: str(v) for k, v in src.items()}, "domain": "source",
                            "shares": {"web": 0.5, "papers": 0.3, "code": 0.2}, "tokens": 60000,
                            "tokenizer": "o200k_base", "max_epochs": 4, "seed": 0, "output": str(tmp / "mix")}
    r.update(over)
    p = tmp / "recipe.yaml"
    p.write_text(yaml.safe_dump(r))
    return p


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def _outputs(out: Path) -> dict[str, bytes]:
    """What a mix writes for its users: the shards and the manifest (markers hold timings)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and (p.parent == out / "data" or p == out / "manifest.json")}


def test_shares_budget_and_provenance(tmp_path: Path) -> None:
    r = cli("mix", str(_recipe(tmp_path)))
    assert r.returncode == 0, r.stderr
    m = _manifest(tmp_path / "mix")
    assert set(m["requested"]) == {"web", "papers", "code"}
    total = sum(m["achieved"].values())
    assert abs(total - 60000) < 60000 * 0.02
    for d, share in {"web": 0.5, "papers": 0.3, "code": 0.2}.items():
        assert abs(m["achieved"][d] / total - share) < 0.01, (d, m["achieved"])
    # code (30 docs) needs more than one epoch; the cap holds.
    assert 1.0 < m["sources"]["code"]["epochs_used"] <= 4.0
    tok = load_tokenizer("o200k_base")
    rows = read_out(tmp_path / "mix")["data"]
    assert sum(x["metadata"]["mix"]["tokens"] for x in rows) == total
    assert len({x["id"] for x in rows}) == len(rows)
    for x in rows[:50]:
        mix = x["metadata"]["mix"]
        assert mix["source"] == mix["domain"] and mix["weight"] > 0 and mix["epoch"] >= 0
        assert x["provenance"][-1]["stage"] == "mix"
        assert x["metadata"]["tokens"] == tok.count_batch([x["text"]])[0]
    # Every input fingerprinted.
    assert {i["source"] for i in m["inputs"]} == {"web", "papers", "code"} and len(m["inputs"]) == 4
    for i in m["inputs"]:
        data = Path(i["path"]).read_bytes()
        assert i["bytes"] == len(data) and i["xxh3_128"] == xxhash.xxh3_128_hexdigest(data)


def test_byte_identical_rerun_and_seed_changes_sample(tmp_path: Path) -> None:
    rec = load_recipe(_recipe(tmp_path, shard_tokens=20000))
    run_mix(rec, options=QUIET)
    first = _outputs(tmp_path / "mix")
    assert len([n for n in first if n.startswith("data/mix-p00-")]) >= 3
    run_mix(rec, overwrite=True, options=QUIET)
    assert _outputs(tmp_path / "mix") == first
    run_mix(load_recipe(_recipe(tmp_path, seed=1, shard_tokens=20000)), overwrite=True, options=QUIET)
    third = _outputs(tmp_path / "mix")
    assert third["data/mix-p00-00000.jsonl.gz"] != first["data/mix-p00-00000.jsonl.gz"]


def test_budget_beyond_epoch_caps_shrinks_and_says_by_how_much(tmp_path: Path) -> None:
    r = cli("mix", str(_recipe(tmp_path, max_epochs={"web": 1, "papers": 1, "code": 1}, tokens=10_000_000)))
    assert r.returncode == 0, r.stderr
    assert "exceeds what the sources allow" in r.stderr and "by " in r.stderr
    m = _manifest(tmp_path / "mix")
    assert m["budget"]["shortfall"] > 0
    assert m["budget"]["planned"] + m["budget"]["shortfall"] == 10_000_000
    # code is the binding domain: it is used once, and the others keep the requested shares.
    assert m["sources"]["code"]["epochs_used"] <= 1.0
    assert all(s["epochs_used"] <= 1.0 for s in m["sources"].values())
    total = sum(m["achieved"].values())
    assert abs(m["achieved"]["web"] / total - 0.5) < 0.02


def test_phases_upsample_a_domain_at_the_end(tmp_path: Path) -> None:
    phases = [{"name": "main", "fraction": 0.8}, {"name": "anneal", "fraction": 0.2,
                                                   "shares": {"code": 0.6, "papers": 0.4}}]
    assert cli("mix", str(_recipe(tmp_path, phases=phases))).returncode == 0
    m = _manifest(tmp_path / "mix")
    assert abs(m["phases"]["anneal"]["achieved"] - 12000) < 12000 * 0.05
    rows = read_out(tmp_path / "mix")["data"]
    anneal = [x["metadata"]["mix"] for x in rows if x["metadata"]["mix"]["phase"] == "anneal"]
    # Phases are in file order: the anneal phase's records are all in the last shard(s).
    phases = [x["metadata"]["mix"]["phase"] for x in rows]
    assert phases == sorted(phases, key=lambda p: p == "anneal")
    assert {x["domain"] for x in anneal} == {"code", "papers"}
    code = sum(x["tokens"] for x in anneal if x["domain"] == "code")
    assert abs(code / sum(x["tokens"] for x in anneal) - 0.6) < 0.05


def test_domains_by_language_and_url_rules(tmp_path: Path) -> None:
    assert cli("mix", str(_recipe(tmp_path, domain="language", shares={"en": 0.5, "de": 0.5}))).returncode == 0
    m = _manifest(tmp_path / "mix")
    assert abs(m["domains"]["de"]["share_achieved"] - 0.5) < 0.02
    url = {"url": [{"match": r"//blog\.", "domain": "blogs"}], "default": "other"}
    assert cli("mix", str(_recipe(tmp_path, domain=url, shares={"blogs": 0.7, "other": 0.3})),
               "--overwrite").returncode == 0
    rows = read_out(tmp_path / "mix")["data"]
    assert all("blog." in x["source"].get("uri", "") for x in rows if x["metadata"]["mix"]["domain"] == "blogs")


@pytest.mark.parametrize("over,needle", [
    ({"sources": {"web": "/nonexistent/corpus"}}, "does not exist"),
    ({"shares": {"web": 0.5, "poetry": 0.5}}, "poetry have no records"),
    ({"tokenizer": "/etc/hostname"}, "is not a tokenizer"),
    ({"tokens": -5}, "positive integer"),
])
def test_bad_recipes_are_one_line_errors(tmp_path: Path, over: dict, needle: str) -> None:
    r = cli("mix", str(_recipe(tmp_path, **over)))
    assert r.returncode == 2 and needle in r.stderr, r.stderr
    assert r.stderr.strip().count("\n") == 0
    assert not (tmp_path / "mix").exists()  # nothing half-made left behind


def test_shares_not_summing_to_one(tmp_path: Path) -> None:
    p = _recipe(tmp_path, shares={"web": 5, "papers": 3, "code": 2})
    r = cli("mix", str(p), "--strict")
    assert r.returncode == 2 and "sum to 10" in r.stderr
    r = cli("mix", str(p))
    assert r.returncode == 0 and "normalised" in r.stderr
    assert _manifest(tmp_path / "mix")["domains"]["web"]["share_requested"] == 0.5


def test_temperature_and_water_filling_plan(tmp_path: Path) -> None:
    from corpusmill.mix.plan import make_plan

    rec = load_recipe(_recipe(tmp_path, domain="language", shares={"en": 0.8, "de": 0.2}, temperature=2.0,
                              tokens=1000, max_epochs={"web": 1, "papers": 4, "code": 4}))
    avail = {("web", "en"): 300, ("papers", "en"): 100, ("web", "de"): 500}
    plan = make_plan(rec, avail)
    req = plan.requested["main"]
    assert req["en"] / 1000 == pytest.approx(0.8 ** 0.5 / (0.8 ** 0.5 + 0.2 ** 0.5))  # p ∝ share^(1/T)
    # en wants ~667 tokens from 400 available: web is capped at 1 epoch, papers takes the rest.
    rates = plan.rates["main"]
    assert rates[("web", "en")] == 1.0
    assert 300 + rates[("papers", "en")] * 100 == pytest.approx(req["en"])
    assert plan.scale == 1.0


def test_a_changed_recipe_is_refused_not_resumed(tmp_path: Path) -> None:
    assert cli("mix", str(_recipe(tmp_path)), "--quiet").returncode == 0
    first = _outputs(tmp_path / "mix")
    r = cli("mix", str(_recipe(tmp_path, shares={"web": 0.2, "papers": 0.4, "code": 0.4})), "--quiet")
    assert r.returncode == 2 and "different run" in r.stderr and "--overwrite" in r.stderr, r.stderr
    assert r.stderr.strip().count("\n") == 0
    assert _outputs(tmp_path / "mix") == first  # untouched
    # The same recipe again: a finished run, resumed, changes nothing.
    assert cli("mix", str(_recipe(tmp_path)), "--quiet").returncode == 0
    assert _outputs(tmp_path / "mix") == first
