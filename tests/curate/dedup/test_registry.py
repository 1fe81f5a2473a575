from __future__ import annotations

import inspect

from corpusmill.corpus_stage import CorpusStage
from corpusmill.registry import STAGES, stage_class

DEDUP = ("exact_dedup", "minhash_dedup", "substring_dedup", "paragraph_dedup", "semantic_dedup")


def test_registry_names_and_config_keys() -> None:
    for name in DEDUP:
        cls = stage_class(name)
        assert issubclass(cls, CorpusStage) and cls.name == name
        params = inspect.signature(cls).parameters
        assert all(p.default is not inspect.Parameter.empty for p in params.values())
        cls()  # defaults construct
    mh = stage_class("minhash_dedup")(n_gram=5, bands=14, rows=8, keep="longest")
    assert mh.hasher.permutations == 112


def test_one_registry_names_every_stage_by_its_own_name() -> None:
    from corpusmill.stage import Stage

    for name in STAGES:
        cls = stage_class(name)
        assert issubclass(cls, (Stage, CorpusStage)) and cls.name == name, name
    # Stages that need every record's score before deciding are corpus stages too.
    assert {s for s in STAGES if issubclass(stage_class(s), CorpusStage)} == set(DEDUP) | {"quality_classifier", "perplexity", "dsir"}
