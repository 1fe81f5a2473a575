"""Offline tokenizers: hashes match tiktoken's published ones, counts equal tiktoken's on real text."""
from __future__ import annotations

import hashlib
import inspect
import re
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from corpusmill.tokens import load_tokenizer
from corpusmill.tokens.tokenizer import _OPENAI, rank_file_bytes

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _published() -> dict[str, tuple[str, str]]:
    """name -> (url, expected_hash) as written in tiktoken_ext.openai_public."""
    import tiktoken_ext.openai_public as op

    out = {}
    for name in _OPENAI:
        src = inspect.getsource(getattr(op, name))
        url = re.search(r'"(https://[^"]+\.tiktoken)"', src).group(1)
        h = re.search(r'expected_hash="([0-9a-f]{64})"', src).group(1)
        out[name] = (url, h)
    return out


def _real_texts() -> list[str]:
    texts = [HTMLParser(p.read_bytes()).body.text(separator="\n") for p in sorted((FIXTURES / "extract").glob("*.html"))]
    texts += ["中文分词与标记化测试，包含标点。", "emoji 🙂👍🏽 and ünïcödé — “quotes”", "def f(x):\n    return x ** 2\n",
              "literal <|endoftext|> in a document", "   \n\n\t  ", ""]
    assert sum(len(t) for t in texts) > 20000
    return texts


@pytest.mark.parametrize("name", sorted(_OPENAI))
def test_rank_files_match_tiktoken_published_hashes(name: str) -> None:
    _url, published = _published()[name]
    assert _OPENAI[name]["sha256"] == published
    assert hashlib.sha256(rank_file_bytes(name)).hexdigest() == published


@pytest.mark.parametrize("name", sorted(_OPENAI))
def test_counts_equal_tiktoken(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # tiktoken's own encoder, fed from its cache (keyed by the URL's sha1) so it never fetches;
    # it checks the published hash itself before using the file.
    import tiktoken
    import tiktoken.registry

    url, _h = _published()[name]
    (tmp_path / hashlib.sha1(url.encode()).hexdigest()).write_bytes(rank_file_bytes(name))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    ref = tiktoken.get_encoding(name)
    ours = load_tokenizer(name)
    texts = _real_texts()
    assert ours.encode_batch(texts) == [ref.encode_ordinary(t) for t in texts]
    assert ours.count_batch(texts) == [len(ref.encode_ordinary(t)) for t in texts]
    assert ours.decode(ours.encode_batch(texts[:1])[0]) == texts[0]


def _llama2_tokenizer_json() -> Path:
    wordllama = pytest.importorskip("wordllama")
    path = Path(wordllama.__file__).parent / "tokenizers" / "l2_supercat_tokenizer_config.json"
    assert path.exists(), "the wordllama wheel no longer ships its Llama-2 tokenizer"
    return path


def test_hf_tokenizer_json_from_local_path() -> None:
    from tokenizers import Tokenizer as HF

    path = _llama2_tokenizer_json()
    tok = load_tokenizer(str(path))
    ref = HF.from_file(str(path))
    texts = _real_texts()
    assert tok.count_batch(texts) == [len(ref.encode(t, add_special_tokens=False).ids) for t in texts]
    assert ref.get_vocab_size() == 32000  # the Llama-2 vocabulary
    assert tok.eos_id == ref.token_to_id("</s>")


def test_whitespace_fallback() -> None:
    tok = load_tokenizer("whitespace")
    assert tok.count_batch(["a b  c\nd", ""]) == [4, 0]
    assert tok.encode_batch(["x y x"])[0][0] == tok.encode_batch(["x y x"])[0][2]


def test_bad_tokenizer_path(tmp_path: Path) -> None:
    bogus = tmp_path / "tokenizer.json"
    bogus.write_text('{"not": "a tokenizer"}')
    with pytest.raises(ValueError, match="is not a tokenizer"):
        load_tokenizer(str(bogus))
    with pytest.raises(ValueError, match="unknown tokenizer"):
        load_tokenizer(str(tmp_path / "missing"))
