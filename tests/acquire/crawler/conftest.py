from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from crawl_site import Site


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.stop()
