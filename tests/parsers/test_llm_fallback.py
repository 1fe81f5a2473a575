"""LlmPageClient against a real OpenAI-compatible HTTP server on 127.0.0.1.

The server (stdlib ThreadingHTTPServer) reads the scenario from the anchor text
in the prompt, so each test drives it through the client's real request.
"""
from __future__ import annotations

import base64
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from corpusmill.parsers.llm_fallback import LlmPageClient, check_answer, is_degenerate

PAGE_TEXT = (
    "The quick brown fox jumps over the lazy dog while the committee reviews its budget. "
    "Measurements of the second sample were repeated at three temperatures, and the results "
    "agree with the model within two percent. Table 2 lists the parameters; the appendix "
    "describes how the apparatus was calibrated before each run and which corrections were applied."
)
PNG = b"\x89PNG\r\n\x1a\n fake page bytes"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.hits: dict[str, int] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests: list[dict] = []
        self.headers_seen: list[dict] = []
        self.release = threading.Event()  # set at teardown: a "hang" answer ends then at the latest


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        assert self.path == "/v1/chat/completions"
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = self.prompt = body["messages"][0]["content"][0]["text"]
        scenario = re.search(r"SCENARIO:(\w+)", prompt).group(1)
        srv = self.server
        with srv.lock:
            srv.hits[scenario] = srv.hits.get(scenario, 0) + 1
            hit = srv.hits[scenario]
            srv.requests.append(body)
            srv.headers_seen.append(dict(self.headers))
            srv.in_flight += 1
            srv.max_in_flight = max(srv.max_in_flight, srv.in_flight)
        self._in_flight = True
        try:
            self._answer(scenario, hit)
        finally:
            self._leave()

    def _leave(self) -> None:
        """The request stops counting as in flight: before its last bytes go out, since the client
        may start its next request as soon as they arrive (before this thread runs on)."""
        if self._in_flight:
            self._in_flight = False
            with self.server.lock:
                self.server.in_flight -= 1

    def _answer(self, scenario: str, hit: int) -> None:
        if scenario == "ratelimit" and hit == 1:
            return self._send(429, {"error": "slow down"}, {"Retry-After": "1"})
        if scenario == "flaky" and hit <= 2:
            return self._send(500, {"error": "boom"})
        if scenario == "down":
            return self._send(503, {"error": "down"})
        if scenario == "badrequest":
            return self._send(400, {"error": "bad"})
        if scenario == "slow":
            time.sleep(1.5)
        if scenario == "hang":  # headers sent, then nothing until the test ends
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b'{"choices": ')
            self.wfile.flush()
            self.server.release.wait(60)
            return None
        if scenario == "trickle":  # one byte a quarter second: no read ever times out
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            for _ in range(240):
                if self.server.release.is_set():
                    break
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:  # the client gave up, as it should
                    break
                time.sleep(0.25)
            return None
        if scenario == "retry500":
            return self._send(500, {"error": "overloaded"}, {"Retry-After": "3600"})
        if scenario == "emptybody":
            return self._send_raw(200, b"")
        if scenario == "listbody":
            return self._send(200, [{"choices": []}])
        if scenario == "badusage":
            return self._send(200, {"choices": [{"message": {"content": "# Title\n\n" + PAGE_TEXT + self._page_tag()},
                                                 "finish_reason": "stop"}],
                                    "usage": {"total_tokens": "many", "prompt_tokens": [1]}})
        if scenario == "usagelist":
            return self._send(200, {"choices": [{"message": {"content": "# Title\n\n" + PAGE_TEXT}}],
                                    "usage": ["total_tokens", 5]})
        if scenario == "busy":
            # Hold the answer until three requests are in flight (or 1 s passed),
            # then a little longer, so a client that allowed more would show it.
            deadline = time.monotonic() + 1.0
            while self.server.in_flight < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.1)
        text, finish = {
            "truncated": (PAGE_TEXT[:200], "length"),
            "repeat": ("Intro line.\n" + "| a | b |\n" * 300, "stop"),
            "short": ("The quick brown fox.", "stop"),
            "empty": ("   ", "stop"),
            "fenced": ("```markdown\n# Title\n\n" + PAGE_TEXT + "\n```", "stop"),
        }.get(scenario, ("# Title\n\n" + PAGE_TEXT + self._page_tag(), "stop"))
        self._send(200, {
            "id": "x", "object": "chat.completion", "model": "test-vlm",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 900, "completion_tokens": 100, "total_tokens": 1000},
        })

    def _page_tag(self) -> str:
        """' pageN' when the prompt carries one, so answers can be matched to requests."""
        match = re.search(r"page\d+", self.prompt)
        return f" {match.group(0)}" if match else ""

    def _send(self, status: int, payload: dict | list, headers: dict | None = None) -> None:
        self._send_raw(status, json.dumps(payload).encode(), headers)

    def _send_raw(self, status: int, data: bytes, headers: dict | None = None) -> None:
        self._leave()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture()
def server():
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()


def _client(srv: _Server, **kw) -> LlmPageClient:
    kw.setdefault("backoff_s", 0.01)
    return LlmPageClient(f"http://127.0.0.1:{srv.server_port}/v1", "test-vlm", **kw)


def _anchor(scenario: str) -> str:
    return f"SCENARIO:{scenario} {PAGE_TEXT}"


def test_good_answer_sends_image_anchor_and_key(server):
    with _client(server, api_key="sk-test") as client:
        res = client.transcribe(PNG, _anchor("good"))
    assert res.ok and res.reason == "ok"
    assert res.text.startswith("# Title") and "lazy dog" in res.text
    assert res.usage["total_tokens"] == 1000 and res.usage["attempts"] == 1
    body = server.requests[0]
    parts = body["messages"][0]["content"]
    assert body["model"] == "test-vlm"
    assert "SCENARIO:good" in parts[0]["text"] and "RAW_TEXT_START" in parts[0]["text"]
    url = parts[1]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == PNG
    assert server.headers_seen[0]["Authorization"] == "Bearer sk-test"


def test_429_honours_retry_after(server):
    with _client(server) as client:
        t = time.monotonic()
        res = client.transcribe(PNG, _anchor("ratelimit"))
        waited = time.monotonic() - t
    assert res.ok and res.usage["attempts"] == 2
    assert waited >= 0.9  # Retry-After: 1, while the backoff alone would wait ~10 ms
    assert server.hits["ratelimit"] == 2


def test_5xx_retried_until_success_then_gives_up(server):
    with _client(server, retries=3) as client:
        assert client.transcribe(PNG, _anchor("flaky")).usage["attempts"] == 3
        down = client.transcribe(PNG, _anchor("down"))
    assert not down.ok and down.reason == "http_503" and down.usage["attempts"] == 4
    assert server.hits == {"flaky": 3, "down": 4}


def test_client_errors_are_not_retried(server):
    with _client(server, retries=3) as client:
        res = client.transcribe(PNG, _anchor("badrequest"))
    assert (res.ok, res.reason, server.hits["badrequest"]) == (False, "http_400", 1)


def test_timeout_retried_then_reported(server):
    with _client(server, timeout_s=0.3, retries=1) as client:
        res = client.transcribe(PNG, _anchor("slow"))
    assert (res.ok, res.reason, res.usage["attempts"]) == (False, "timeout", 2)
    assert res.usage["seconds"] < 1.5  # did not wait for the slow answer


@pytest.mark.parametrize("scenario,reason", [
    ("truncated", "truncated"), ("repeat", "repetition"), ("short", "too_short"), ("empty", "empty"),
])
def test_bad_answers_are_refused(server, scenario, reason):
    with _client(server) as client:
        res = client.transcribe(PNG, _anchor(scenario))
    assert (res.ok, res.reason) == (False, reason)


def test_code_fence_is_removed(server):
    with _client(server) as client:
        res = client.transcribe(PNG, _anchor("fenced"))
    assert res.ok and res.text.startswith("# Title") and "```" not in res.text


def test_concurrency_limit_and_order(server):
    items = [(PNG, _anchor("busy") + f" page{i}") for i in range(8)]
    with _client(server, concurrency=3) as client:
        results = client.transcribe_many(items)
    assert all(r.ok for r in results) and len(results) == 8
    assert server.max_in_flight == 3  # never more than asked, and it did run in parallel
    assert [r.text.rsplit(" ", 1)[-1] for r in results] == [f"page{i}" for i in range(8)]


def test_page_budget(server):
    with _client(server, budget_pages=2, concurrency=4) as client:
        results = client.transcribe_many([(PNG, _anchor("good"))] * 5)
    assert sorted(r.reason for r in results) == ["budget_pages"] * 3 + ["ok"] * 2
    assert server.hits["good"] == 2


def test_token_budget(server):
    # 1000 tokens a page: the budget is spent after the second page.
    with _client(server, budget_tokens=1500, concurrency=1) as client:
        results = client.transcribe_many([(PNG, _anchor("good"))] * 4)
    assert [r.reason for r in results] == ["ok", "ok", "budget_tokens", "budget_tokens"]
    assert client.tokens_used == 2000 and server.hits["good"] == 2


def test_connection_refused_is_reported():
    client = LlmPageClient("http://127.0.0.1:9/v1", "m", retries=1, backoff_s=0.01)
    res = client.transcribe(PNG, "anchor")
    assert not res.ok and res.reason.startswith("transport:") and res.usage["attempts"] == 2


def test_checks_directly():
    assert check_answer("fine text " * 30, "stop", "fine text " * 30) is None
    assert check_answer("x", "stop", "") is None  # no anchor to compare with
    assert is_degenerate("start " + "abc " * 200)
    assert not is_degenerate(PAGE_TEXT + " And then something else entirely.")


@pytest.mark.parametrize("scenario", ["emptybody", "listbody"])
def test_malformed_bodies_fail_the_page_without_raising(server, scenario):
    with _client(server) as client:
        res = client.transcribe(PNG, _anchor(scenario))
    assert (res.ok, res.reason, res.usage["attempts"]) == (False, "bad_response", 1)


@pytest.mark.parametrize("scenario", ["badusage", "usagelist"])
def test_non_numeric_usage_is_ignored_not_fatal(server, scenario):
    with _client(server, budget_tokens=10_000) as client:
        res = client.transcribe(PNG, _anchor(scenario))
    assert res.ok and "lazy dog" in res.text
    assert "total_tokens" not in res.usage and client.tokens_used == 0


@pytest.mark.parametrize("scenario", ["hang", "trickle"])
def test_a_hanging_server_is_left_within_the_page_budget(server, scenario):
    # The per-request timeout alone (120 s) would not end either: the page's budget does.
    with _client(server, timeout_s=120, retries=3, page_budget_s=1.5) as client:
        res = client.transcribe(PNG, _anchor(scenario))
    assert not res.ok and res.reason.startswith("timeout")
    assert res.usage["seconds"] < 3.0


def test_retry_after_beyond_the_page_budget_gives_up_at_once(server):
    with _client(server, retries=3, page_budget_s=30, max_backoff_s=3600) as client:
        res = client.transcribe(PNG, _anchor("retry500"))
    assert (res.ok, res.reason, res.usage["attempts"]) == (False, "http_500; page budget spent", 1)
    assert res.usage["seconds"] < 5 and server.hits["retry500"] == 1
