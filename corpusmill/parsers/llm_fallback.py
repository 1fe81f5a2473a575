"""Page transcription by a multimodal LLM behind an OpenAI-compatible API.

The last resort for pages that neither the text layer nor OCR read well
(handwriting, dense formulas, odd scripts): vLLM, SGLang, olmOCR's server or a
hosted API get the page image plus the page's text layer as an anchor (the
anchor keeps the model honest about names and numbers that are in the PDF,
which is what olmOCR's document anchoring does). Models fail in known ways, so
an answer is checked before it may replace a page: empty, cut off by the token
limit, stuck repeating itself, or far shorter than the text the page is known
to hold. A per-run budget of pages and tokens bounds what a run can spend.

`transcribe` is one page; `transcribe_many` runs up to `concurrency` pages at
once on threads (a page is seconds of server time, so threads are plenty, and
callers need no event loop).
"""
from __future__ import annotations

import base64
import random
import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Self

import httpx

from corpusmill.retry_after import parse_retry_after

PROMPT = (
    "Below is the image of one page of a document, and the raw text that was extracted from the "
    "page's text layer (it may be incomplete, garbled or out of order). Return the natural text of "
    "the page in reading order, as Markdown: headings with #, tables as Markdown tables, formulas "
    "in LaTeX. Do not describe the page, do not add commentary, do not translate.\n"
    "RAW_TEXT_START\n{anchor}\nRAW_TEXT_END"
)
# Statuses worth another try: rate limiting and server-side trouble.
_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
# The longest anchor sent: enough for a dense page, bounded prompt size.
_MAX_ANCHOR_CHARS = 8000
_FENCE = re.compile(r"^```[a-zA-Z]*\n(.*?)\n?```\s*$", re.DOTALL)


@dataclass
class LlmResult:
    """`ok` says whether `text` may replace the page; `reason` says why not."""

    text: str
    ok: bool
    reason: str
    usage: dict[str, Any] = field(default_factory=dict)


class LlmPageClient:
    """Transcribes page images with a chat-completions endpoint.

    `endpoint` is the API base (`http://host:8000/v1`) or the full
    `.../chat/completions` URL. `retries` is the number of extra attempts after
    a 429, a 5xx, a timeout or a dropped connection; waits honour Retry-After
    and otherwise back off exponentially with jitter. `budget_pages` and
    `budget_tokens` cap the run: once spent, pages come back `ok=False` with
    reason `budget_pages` / `budget_tokens` without a request.
    """

    def __init__(
        self,
        endpoint: str,
        model: str,
        api_key: str | None = None,
        concurrency: int = 4,
        timeout_s: float = 120,
        retries: int = 3,
        budget_pages: int | None = None,
        budget_tokens: int | None = None,
        *,
        max_tokens: int = 4096,
        temperature: float = 0.0,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        min_anchor_ratio: float = 0.3,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        base = endpoint.rstrip("/")
        self.url = base if base.endswith("/chat/completions") else base + "/chat/completions"
        self.model = model
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.retries = retries
        self.budget_pages = budget_pages
        self.budget_tokens = budget_tokens
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.min_anchor_ratio = min_anchor_ratio
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            headers=headers, timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self._lock = threading.Lock()
        self.pages_sent = 0
        self.tokens_used = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transcribe(self, image_png: bytes, anchor_text: str) -> LlmResult:
        """One page: the checked transcription, or ok=False with the reason."""
        refused = self._reserve_page()
        if refused:
            return LlmResult("", False, refused, {"attempts": 0})
        started = time.monotonic()
        body = self._request_body(image_png, anchor_text)
        answer, reason, attempts = self._post_with_retries(body)
        usage: dict[str, Any] = {"attempts": attempts, "seconds": round(time.monotonic() - started, 3)}
        if answer is None:
            return LlmResult("", False, reason, usage)
        usage.update(answer.get("usage") or {})
        with self._lock:
            self.tokens_used += int(usage.get("total_tokens") or 0)
        try:
            choice = answer["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            return LlmResult("", False, "bad_response", usage)
        text = _strip_fence(text.strip())
        problem = check_answer(text, choice.get("finish_reason"), anchor_text, self.min_anchor_ratio)
        return LlmResult(text, problem is None, problem or "ok", usage)

    def transcribe_many(self, items: Iterable[tuple[bytes, str]]) -> list[LlmResult]:
        """(image_png, anchor_text) pairs, at most `concurrency` in flight; results in input order."""
        items = list(items)
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(lambda item: self.transcribe(*item), items))

    def _reserve_page(self) -> str | None:
        with self._lock:
            if self.budget_pages is not None and self.pages_sent >= self.budget_pages:
                return "budget_pages"
            if self.budget_tokens is not None and self.tokens_used >= self.budget_tokens:
                return "budget_tokens"
            self.pages_sent += 1
            return None

    def _request_body(self, image_png: bytes, anchor_text: str) -> dict[str, Any]:
        image_url = "data:image/png;base64," + base64.b64encode(image_png).decode("ascii")
        anchor = anchor_text[:_MAX_ANCHOR_CHARS]
        return {
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "messages": [{
                "role": "user",
                "content": [
                    {"type": "text", "text": PROMPT.format(anchor=anchor)},
                    {"type": "image_url", "image_url": {"url": image_url}},
                ],
            }],
        }

    def _post_with_retries(self, body: dict[str, Any]) -> tuple[dict[str, Any] | None, str, int]:
        """The decoded answer, or None with the last failure's reason; and the attempts made."""
        reason = "no_attempt"
        for attempt in range(self.retries + 1):
            wait: float | None = None
            try:
                resp = self._http.post(self.url, json=body)
            except httpx.TimeoutException:
                reason = "timeout"
            except httpx.TransportError as exc:
                reason = f"transport:{type(exc).__name__}"
            else:
                if resp.status_code == 200:
                    try:
                        return resp.json(), "ok", attempt + 1
                    except ValueError:
                        return None, "bad_response", attempt + 1
                reason = f"http_{resp.status_code}"
                if resp.status_code not in _RETRY_STATUS:
                    return None, reason, attempt + 1
                wait = parse_retry_after(resp.headers.get("retry-after"))
            if attempt < self.retries:
                if wait is None:
                    wait = self.backoff_s * (2 ** attempt) * (0.5 + random.random())
                time.sleep(min(wait, self.max_backoff_s))
        return None, reason, self.retries + 1


def check_answer(text: str, finish_reason: str | None, anchor_text: str, min_anchor_ratio: float = 0.3) -> str | None:
    """Why the answer may not replace the page, or None when it may."""
    if finish_reason == "length":
        return "truncated"
    if not text.strip():
        return "empty"
    if is_degenerate(text):
        return "repetition"
    anchor_chars = len(re.sub(r"\s+", "", anchor_text))
    # Only a substantial anchor is evidence: a page with a near-empty text
    # layer is exactly the one the model is asked to read from the image.
    if anchor_chars >= 200 and len(re.sub(r"\s+", "", text)) < min_anchor_ratio * anchor_chars:
        return "too_short"
    return None


def is_degenerate(text: str) -> bool:
    """A model stuck in a loop: a periodic tail, or few distinct word 4-grams."""
    tail = text[-2000:]
    for period in range(1, 201):
        repeats = max(8, 400 // period)
        span = period * repeats
        if span > len(tail):
            break
        chunk = tail[-span:]
        if chunk == chunk[-period:] * repeats and chunk.strip():
            return True
    words = text.split()
    grams = [tuple(words[i:i + 4]) for i in range(len(words) - 3)]
    return len(grams) >= 60 and len(set(grams)) < 0.3 * len(grams)



def _strip_fence(text: str) -> str:
    match = _FENCE.match(text)
    return match.group(1).strip() if match else text
