"""YAML anchors and aliases in configs and recipes are bounded: a bomb is one line and exit 2."""
from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from corpusmill.mix.recipe import RecipeError, load_recipe
from corpusmill.yaml_load import MAX_ALIAS_EXPANSION, safe_load
from tests.conftest import ROOT


def _laughs(levels: int = 9) -> str:
    """Nested aliases: ~600 bytes that expand to 9**levels strings."""
    parts = ['&l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    parts += [f"&l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "[" + ", ".join(parts) + "]"


def _limited() -> None:
    # Before the fix the bomb expands while the job is checked: keep that from taking the machine.
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def test_an_alias_bomb_in_a_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_text('{"text": "hi"}\n')
    cfg = tmp_path / "bomb.yaml"
    cfg.write_text(f"reader: corpus\ninputs: [{tmp_path / 'in.jsonl'}]\noutput: {tmp_path / 'out'}\n"
                   f"reader_options: {{text_field: {_laughs()}}}\n")
    assert len(cfg.read_bytes()) < 1000
    r = subprocess.run([sys.executable, "-m", "corpusmill.cli", "run", str(cfg)], cwd=ROOT, capture_output=True,
                       text=True, timeout=120, preexec_fn=_limited)
    assert r.returncode == 2, r.stderr[-2000:]
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "not valid YAML" in r.stderr and "aliases expand to more than" in r.stderr
    assert not (tmp_path / "out").exists()


def test_aliases_within_the_budget_load_and_recursive_ones_do_not() -> None:
    assert safe_load("a: &x [1, 2]\nb: *x\nc: *x\n") == {"a": [1, 2], "b": [1, 2], "c": [1, 2]}
    assert safe_load(f"a: {_laughs(3)}")["a"][2][0][0] == ["lol"] * 9         # 9 + 81 + 729 values
    big = "inputs: [" + ", ".join(f"f{i}.jsonl" for i in range(3 * MAX_ALIAS_EXPANSION)) + "]"
    assert len(safe_load(big)["inputs"]) == 3 * MAX_ALIAS_EXPANSION          # no aliases: no budget
    with pytest.raises(yaml.YAMLError, match="aliases expand"):
        safe_load(f"a: {_laughs(6)}")
    with pytest.raises(yaml.YAMLError, match="recursive"):
        safe_load("a: &x [1, *x]\n")
    with pytest.raises(yaml.YAMLError, match="nested too deeply"):
        safe_load("a: " + "[" * 50_000 + "]" * 50_000)


def test_an_alias_bomb_in_a_mix_recipe_is_a_recipe_error(tmp_path: Path) -> None:
    p = tmp_path / "recipe.yaml"
    p.write_text(f"sources: {_laughs()}\ntokens: 10\noutput: out\n")
    with pytest.raises(RecipeError, match="not valid YAML: .*aliases expand"):
        load_recipe(p)
