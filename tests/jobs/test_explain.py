"""`corpusmill explain`: a record named in any form it is printed in, or by URL; scores next to thresholds."""
from __future__ import annotations

import json
import re
from pathlib import Path

from tests.conftest import read_out
from tests.jobs.test_warc_job import cli, demo_out  # noqa: F401  (the module's demo run)


def _first_line(stdout: str) -> str:
    return stdout.splitlines()[0]


def test_explain_takes_the_id_as_printed_bare_or_as_a_urn(demo_out: Path) -> None:  # noqa: F811
    kept = read_out(demo_out)["data"][0]
    urn = kept["source"]["warc_record_id"]
    assert urn.startswith("<urn:uuid:")
    bare = urn[len("<urn:uuid:"):-1]
    seen = set()
    for query in (kept["id"], urn, urn.strip("<>"), bare, bare.upper(), f"  {urn} "):
        r = cli("explain", str(demo_out), query)
        assert r.returncode == 0, (query, r.stderr)
        seen.add(_first_line(r.stdout))
    assert len(seen) == 1 and kept["id"] in seen.pop()
    r = cli("explain", str(demo_out), "<urn:uuid:00000000-0000-0000-0000-000000000000>")
    assert r.returncode == 1 and "no record" in r.stderr


def test_explain_by_url_shows_the_document_first_then_the_other_records_of_it(demo_out: Path) -> None:  # noqa: F811
    kept = read_out(demo_out)["data"][0]
    r = cli("explain", str(demo_out), kept["source"]["uri"])
    assert r.returncode == 0, r.stderr
    blocks = r.stdout.split("\n\nrecord ")
    assert kept["id"] in blocks[0].splitlines()[0] and "[ok]" in blocks[0].splitlines()[0]
    assert len(blocks) >= 2 and any("warc_type:request" in b for b in blocks[1:])
    r = cli("explain", str(demo_out), kept["source"]["uri"], "--json")
    infos = json.loads(r.stdout)
    assert isinstance(infos, list) and infos[0]["id"] == kept["id"]


def test_explain_shows_each_threshold_next_to_its_score(demo_out: Path) -> None:  # noqa: F811
    rejects = read_out(demo_out)["rejects"]
    dropped = next(x for x in rejects if x["provenance"][-1].get("reason") == "gopher_quality:too_few_words")
    r = cli("explain", str(demo_out), dropped["id"])
    assert r.returncode == 0, r.stderr
    m = re.search(r"words=(\d+) \(needs >= (\d+), <= (\d+)\)", r.stdout)
    assert m, r.stdout
    assert int(m.group(1)) < int(m.group(2)) == 50  # the score that failed, and the bound it failed
    # Every filter that scored the record shows its bounds, the language score included.
    assert re.search(r"language_score=[\d.]+ \(needs >= 0\.65\)", r.stdout), r.stdout
    kept = read_out(demo_out)["data"][0]
    r = cli("explain", str(demo_out), kept["id"])
    pairs = re.findall(r"(\w+)=([-\d.e]+) \(needs >= ([-\d.e]+)(?:, <= ([-\d.e]+))?\)", r.stdout)
    assert pairs
    for _, value, low, high in pairs:  # a kept record meets every lower (and upper) bound it shows
        assert float(value) >= float(low) and (not high or float(value) <= float(high))


def test_explain_shows_the_bounds_of_corpus_stages_too(tmp_path: Path) -> None:
    from tests.conftest import write_jsonl

    paras = ["The council approved the budget for the new library after a long debate on Tuesday.",
             "Opening hours will be extended in the evenings from the first of March onwards.",
             "Residents can comment on the plans at the town hall until the end of the month."]
    rows = [{"id": "first", "text": "\n".join(paras)},
            {"id": "second", "text": "\n".join(paras[:2] + ["A new paragraph that nobody has written before."])}]
    src = write_jsonl(tmp_path / "c.jsonl.gz", rows)
    cfg = tmp_path / "p.yaml"
    cfg.write_text(json.dumps({"reader": "corpus", "inputs": [str(src)], "output": str(tmp_path / "out"),
                               "pipeline": [{"stage": "paragraph_dedup", "expected_items": 1000}]}))
    assert cli("run", str(cfg), "--quiet").returncode == 0
    r = cli("explain", str(tmp_path / "out"), "second")
    assert r.returncode == 0, r.stderr
    assert re.search(r"paragraph_dedup v1: modified .*removed_fraction=0\.\d+ \(needs < 0\.8\)", r.stdout), r.stdout
