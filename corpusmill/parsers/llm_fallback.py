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
import math
import random
import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Self

import httpx
import orjson

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
# The largest answer read: a page's Markdown is tens of KiB; a server sending more is broken.
_MAX_RESPONSE_BYTES = 16 << 20
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
    and otherwise back off exponentially with jitter. `page_budget_s` bounds a
    page: all its attempts and waits (a Retry-After that would end past it
    ends the page's tries at once), and `timeout_s` each attempt. `budget_pages` and
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
        page_budget_s: float = 300.0,
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
        self.page_budget_s = page_budget_s
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
        """One page: the checked transcription, or ok=False with the reason. Never raises.

        Every attempt, and every wait between attempts, fits in `page_budget_s`
        from the start of the page: the caller keeps its own reading of the page
        (text layer, OCR) when the answer is not there in time.
        """
        refused = self._reserve_page()
        if refused:
            return LlmResult("", False, refused, {"attempts": 0})
        started = time.monotonic()
        usage: dict[str, Any] = {}
        try:
            body = self._request_body(image_png, anchor_text)
            answer, reason, attempts = self._post_with_retries(body, started + self.page_budget_s)
            usage["attempts"] = attempts
            if answer is None:
                return LlmResult("", False, reason, usage)
            if not isinstance(answer, dict):
                return LlmResult("", False, "bad_response", usage)
            usage.update(_numeric_usage(answer.get("usage")))
            with self._lock:
                self.tokens_used += int(usage.get("total_tokens", 0))
            try:
                choice = answer["choices"][0]
                text = choice["message"]["content"] or ""
                finish = choice.get("finish_reason")
            except (KeyError, IndexError, TypeError, AttributeError):
                return LlmResult("", False, "bad_response", usage)
            if not isinstance(text, str):
                return LlmResult("", False, "bad_response", usage)
            text = _strip_fence(text.strip())
            problem = check_answer(text, finish, anchor_text, self.min_anchor_ratio)
            return LlmResult(text, problem is None, problem or "ok", usage)
        except Exception as e:  # noqa: BLE001 - whatever the server sent, the page keeps its own reading
            return LlmResult("", False, f"client_error:{type(e).__name__}", usage)
        finally:
            usage["seconds"] = round(time.monotonic() - started, 3)

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

    def _post_with_retries(self, body: dict[str, Any], deadline: float) -> tuple[Any, str, int]:
        """The decoded answer, or None with the last failure's reason; and the attempts made.

        No attempt runs past `deadline`, and no wait starts that would end after it.
        """
        reason = "no_attempt"
        attempts = 0
        for attempt in range(self.retries + 1):
            left = deadline - time.monotonic()
            if left <= 0:
                return None, f"{reason}; page budget spent", attempts
            attempts += 1
            wait: float | None = None
            try:
                status, headers, payload = self._post(body, min(self.timeout_s, left), deadline)
            except (_TooLate, httpx.TimeoutException):
                reason = "timeout"
            except httpx.TransportError as exc:
                reason = f"transport:{type(exc).__name__}"
            except _TooLarge:
                return None, "response_too_large", attempts
            else:
                if status == 200:
                    try:
                        return orjson.loads(payload), "ok", attempts
                    except orjson.JSONDecodeError:
                        return None, "bad_response", attempts
                reason = f"http_{status}"
                if status not in _RETRY_STATUS:
                    return None, reason, attempts
                wait = parse_retry_after(headers.get("retry-after"))
            if attempt < self.retries:
                if wait is None:
                    wait = self.backoff_s * (2 ** attempt) * (0.5 + random.random())
                wait = min(wait, self.max_backoff_s)
                if time.monotonic() + wait >= deadline:
                    # The server asks for longer than the page has left: give up now, not at the deadline.
                    return None, f"{reason}; page budget spent", attempts
                time.sleep(wait)
        return None, reason, attempts

    def _post(self, body: dict[str, Any], timeout_s: float, deadline: float) -> tuple[int, httpx.Headers, bytes]:
        """One request: status, headers and body, read in chunks so that a server trickling
        bytes cannot hold the page past `deadline`, nor fill memory past `_MAX_RESPONSE_BYTES`."""
        with self._http.stream("POST", self.url, json=body, timeout=httpx.Timeout(timeout_s)) as resp:
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > _MAX_RESPONSE_BYTES:
                    raise _TooLarge
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise _TooLate
            return resp.status_code, resp.headers, b"".join(chunks)


class _TooLate(Exception):
    """The page's time ran out while the answer was still arriving."""


class _TooLarge(Exception):
    """The answer is larger than any transcription of a page can be."""


def _numeric_usage(usage: Any) -> dict[str, int]:
    """The token counts of a `usage` object; anything else in it (or a `usage` that is not an object) is ignored."""
    if not isinstance(usage, dict):
        return {}
    out: dict[str, int] = {}
    for key, value in usage.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
            out[str(key)] = int(value)
    return out


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
