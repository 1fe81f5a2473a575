from __future__ import annotations

import inspect

from corpusmill.corpus_stage import CorpusStage
from corpusmill.curate.dedup import DEDUP_STAGES


def test_registry_names_and_config_keys() -> None:
    assert set(DEDUP_STAGES) == {"exact_dedup", "minhash_dedup", "substring_dedup",
                                 "paragraph_dedup"}
    for name, cls in DEDUP_STAGES.items():
        assert issubclass(cls, CorpusStage) and cls.name == name
        params = inspect.signature(cls).parameters
        assert all(p.default is not inspect.Parameter.empty for p in params.values())
        cls()  # defaults construct
    mh = DEDUP_STAGES["minhash_dedup"](n_gram=5, bands=14, rows=8, keep="longest")
    assert mh.hasher.permutations == 112
