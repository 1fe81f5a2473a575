"""Fuzzing WarcReader with mutated real WARC bytes: it never raises, and damage costs nothing before it."""
from __future__ import annotations

import gzip
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpusmill.acquire.warc_reader import WarcReader
from tests.acquire.warc_bytes import DEMO, gzip_members

# Small records only, so each example reads fast: the first 13 members hold few big pages.
_SMALL = [m for m in gzip_members(DEMO.read_bytes()) if len(gzip.decompress(m)) < 40_000][:16]
SOURCES = {
    "gz": _SMALL,
    "plain": [gzip.decompress(m) for m in _SMALL],
}


def _ends(parts: list[bytes]) -> list[int]:
    out, pos = [], 0
    for p in parts:
        pos += len(p)
        out.append(pos)
    return out


def _read(data: bytes, suffix: str) -> list:
    with tempfile.NamedTemporaryFile(suffix=suffix) as f:
        f.write(data)
        f.flush()
        return list(WarcReader(max_payload_bytes=1 << 20).read(f.name))


BASELINE = {kind: _read(b"".join(parts), ".warc.gz" if kind == "gz" else ".warc")
            for kind, parts in SOURCES.items()}

mutation = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1, exclude_max=True), st.integers(1, 255),
              st.integers(1, 8)),
    st.tuples(st.just("truncate"), st.floats(0, 1, exclude_max=True), st.just(0), st.just(0)),
    st.tuples(st.just("insert"), st.floats(0, 1, exclude_max=True), st.integers(0, 255),
              st.integers(1, 300)),
    st.tuples(st.just("delete"), st.floats(0, 1, exclude_max=True), st.just(0), st.integers(1, 300)),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(SOURCES)), mutations=st.lists(mutation, min_size=1, max_size=3))
def test_mutated_warc_never_raises_and_keeps_records_before_the_damage(kind: str, mutations) -> None:
    parts = SOURCES[kind]
    data = bytearray(b"".join(parts))
    first_damage = len(data)
    for op, where, value, n in mutations:
        pos = int(where * len(data))
        if op == "flip":
            for k in range(pos, min(pos + n, len(data))):
                data[k] ^= value
        elif op == "truncate":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = bytes([value]) * n
        else:
            del data[pos:pos + n]
        first_damage = min(first_damage, pos)

    records = _read(bytes(data), ".warc.gz" if kind == "gz" else ".warc")  # must not raise

    assert all(r.status in ("ok", "dropped", "error") for r in records)
    assert all(r.reason and "offset" in r.reason for r in records if r.status == "error")
    assert all(r.content is None for r in records if not r.ok)
    # Every record that ends before the first damage comes out exactly as from the sound file.
    baseline = BASELINE[kind]
    intact = [i for i, end in enumerate(_ends(parts)) if end <= first_damage]
    got = {r.source["warc_offset"]: r for r in records}
    for i in intact:
        want = baseline[i]
        r = got.get(want.source["warc_offset"])
        assert r is not None, f"record {i} before the damage at {first_damage} is missing"
        assert (r.source["warc_record_id"], r.status, r.source.get("payload_sha1")) == (
            want.source["warc_record_id"], want.status, want.source.get("payload_sha1"))
