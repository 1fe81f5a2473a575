"""N-gram language models: train with KenLM's `lmplz`, score with the `kenlm` module.

A model is a KenLM file (ARPA text or `build_binary`'s binary) plus a sidecar
`<model>.json` saying what it is: language, order, tokenizer, size of the
reference, sha256 of the model file. The sidecar is how a stage refuses a model
of the wrong kind or language before scoring a single record with it.

The no-training baseline is a unigram model from the `wordfreq` lists (data in
the wheel): `wordfreq` in place of a model path.
"""
from __future__ import annotations

import functools
import hashlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Protocol

import orjson

from corpusmill.curate.selection.lm_words import TOKENIZER, sentences, words

KIND = "corpusmill-ngram-lm"
WORDFREQ = "wordfreq"
# lmplz's modified Kneser-Ney needs counts-of-counts for every order; below a few
# thousand words they are degenerate. One line of error with this number instead.
MIN_WORDS = 2000
MIN_SENTENCES = 20


class ModelError(ValueError):
    """A model (or its reference) the user must fix: one line, exit 2."""


@dataclass(frozen=True)
class ModelInfo:
    kind: str
    lang: str
    order: int
    tokenizer: str
    words: int
    sentences: int
    sha256: str


def sidecar(model: Path) -> Path:
    return model.with_name(model.name + ".json")


def _tool(name: str) -> str:
    """`lmplz`/`build_binary`: $CORPUSMILL_KENLM_BIN, the PATH, then beside this Python (`make install`)."""
    for folder in (os.environ.get("CORPUSMILL_KENLM_BIN"), None, str(Path(sys.executable).parent)):
        found = shutil.which(name, path=folder) if folder else shutil.which(name)
        if found:
            return found
    raise ModelError(f"KenLM's {name} is not installed; `make install` builds it into the venv "
                     "(or set CORPUSMILL_KENLM_BIN to the folder holding lmplz and build_binary)")


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def train(texts: Iterable[str], out: Path, lang: str, order: int = 3, memory: str = "1G") -> ModelInfo:
    """Train an order-`order` modified-Kneser-Ney model on `texts`; `.bin` output is KenLM's binary (probing)."""
    if not 2 <= order <= 6:
        raise ModelError(f"--order {order}: use 2 to 6")
    lmplz = _tool("lmplz")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    n_words = n_sent = 0
    with tempfile.TemporaryDirectory(prefix="corpusmill-lm-", dir=out.parent) as tmp:
        corpus = Path(tmp) / "corpus.txt"
        with open(corpus, "w", encoding="utf-8") as f:
            for text in texts:
                for sent in sentences(text):
                    n_sent += 1
                    n_words += sent.count(" ") + 1
                    f.write(sent + "\n")
        if n_words < MIN_WORDS or n_sent < MIN_SENTENCES:
            raise ModelError(f"reference too small to train a language model: {n_words} words in {n_sent} lines; "
                             f"give at least {MIN_WORDS} words in {MIN_SENTENCES} lines")
        arpa = Path(tmp) / "model.arpa"
        cmd = [lmplz, "-o", str(order), "-S", memory, "-T", tmp, "--discount_fallback", "--text", str(corpus),
               "--arpa", str(arpa)]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            raise ModelError(f"lmplz failed: {run.stderr.strip().splitlines()[-1] if run.stderr.strip() else run.returncode}")
        tmp_out = Path(tmp) / "model.out"
        if out.suffix == ".bin":
            run = subprocess.run([_tool("build_binary"), "-T", tmp, "probing", str(arpa), str(tmp_out)],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                raise ModelError(f"build_binary failed: {run.stderr.strip()[-300:]}")
        else:
            arpa.rename(tmp_out)
        info = ModelInfo(KIND, lang, order, TOKENIZER, n_words, n_sent, _sha256(tmp_out))
        os.replace(tmp_out, out)
    sidecar(out).write_bytes(orjson.dumps(asdict(info), option=orjson.OPT_INDENT_2))
    return info


class Scorer(Protocol):
    """Perplexity of a text under one language's model (lower = more like the reference)."""

    lang: str
    sha256: str

    def perplexity(self, text: str) -> float | None: ...


class KenlmScorer:
    """A trained model: per-line log10 probabilities with sentence boundaries, perplexity over all tokens."""

    def __init__(self, path: str | os.PathLike[str], lang: str) -> None:
        import kenlm

        path = Path(path)
        info = load_info(path)
        if info.lang != lang:
            raise ModelError(f"model {path} was trained for language {info.lang!r}, not {lang!r}")
        try:
            self.model = kenlm.Model(str(path))
        except (OSError, RuntimeError) as e:
            raise ModelError(f"{path} is not a KenLM model ({str(e).splitlines()[0][:200]})") from None
        self.lang = lang
        self.sha256 = info.sha256
        self.order = info.order

    def perplexity(self, text: str) -> float | None:
        score = self.model.score
        total = 0.0
        n = 0
        for sent in sentences(text):
            total += score(sent, True, True)
            n += sent.count(" ") + 2  # the words and </s>
        if not n:
            return None
        return 10.0 ** (-total / n)


class WordfreqScorer:
    """No training: unigram perplexity from the wordfreq list of the language (OOV at the list's floor)."""

    def __init__(self, lang: str) -> None:
        import wordfreq

        if lang not in wordfreq.available_languages():
            raise ModelError(f"wordfreq has no list for language {lang!r}; it has {', '.join(sorted(wordfreq.available_languages()))}")
        freqs = wordfreq.get_frequency_dict(lang)
        floor = min(freqs.values()) / 10.0
        self._logp = {w: math.log(f) for w, f in freqs.items()}
        self._oov = math.log(floor)
        self.lang = lang
        self.sha256 = f"wordfreq-{wordfreq.__version__}" if hasattr(wordfreq, "__version__") else "wordfreq"

    def perplexity(self, text: str) -> float | None:
        toks = words(text)
        if not toks:
            return None
        get, oov = self._logp.get, self._oov
        return math.exp(-sum(get(t, oov) for t in toks) / len(toks))


def load_info(path: Path) -> ModelInfo:
    if not path.is_file():
        raise ModelError(f"model {path} does not exist")
    side = sidecar(path)
    try:
        data = orjson.loads(side.read_bytes())
        info = ModelInfo(**data)
    except (OSError, orjson.JSONDecodeError, TypeError) as e:
        raise ModelError(f"{path} has no readable {side.name} ({type(e).__name__}); train it with "
                         "`corpusmill train-lm`") from None
    if info.kind != KIND:
        raise ModelError(f"{path} is a {info.kind!r}, not an n-gram language model")
    if info.tokenizer != TOKENIZER:
        raise ModelError(f"{path} was trained with tokenizer {info.tokenizer!r}; this corpusmill scores "
                         f"with {TOKENIZER!r}: retrain it")
    return info


def load_scorer(spec: str, lang: str) -> Scorer:
    """`wordfreq` or a model path -> its scorer for `lang` (loaded once per process and file version)."""
    if spec == WORDFREQ:
        return _cached(spec, lang, None)
    try:
        st = Path(spec).stat()
    except OSError:
        raise ModelError(f"model {spec} does not exist") from None
    return _cached(str(Path(spec).resolve()), lang, (st.st_size, st.st_mtime_ns))


@functools.lru_cache(maxsize=16)
def _cached(spec: str, lang: str, version: tuple[int, int] | None) -> Scorer:
    # A stage is built per shard and per segment; the models it scores with are read-only, so
    # one copy per process serves them all (wordfreq's lists take ~1-2 s to load).
    if spec == WORDFREQ:
        return WordfreqScorer(lang)
    return KenlmScorer(spec, lang)
