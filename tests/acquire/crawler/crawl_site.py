"""A real aiohttp test web server on 127.0.0.x ports, run in a thread, logging every request."""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Hit:
    host: str          # ip:port the request arrived on
    path: str          # path + query
    t: float           # time.monotonic() when the request arrived
    user_agent: str


@dataclass
class Site:
    """Routes per host ("127.0.0.1:port" -> {path: handler}); start() binds every host."""
    hits: list[Hit] = field(default_factory=list)
    routes: dict[str, dict[str, Handler]] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _runners: list[web.AppRunner] = field(default_factory=list)

    def add_host(self, ip: str = "127.0.0.1") -> str:
        """Reserve a free port on ip; returns the 'ip:port' host used in URLs."""
        with socket.socket() as s:
            s.bind((ip, 0))
            port = s.getsockname()[1]
        host = f"{ip}:{port}"
        self.routes[host] = {}
        return host

    def route(self, host: str, path: str, handler: Handler) -> None:
        self.routes[host][path] = handler

    def page(self, host: str, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8",
             status: int = 200, headers: dict[str, str] | None = None, delay: float = 0.0) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body

        async def handler(_: web.Request) -> web.Response:
            if delay:
                await asyncio.sleep(delay)
            return web.Response(body=data, status=status, headers={"Content-Type": content_type, **(headers or {})})
        self.route(host, path, handler)

    def paths(self, host: str) -> list[str]:
        return [h.path for h in self.hits if h.host == host]

    def times(self, host: str) -> list[float]:
        return [h.t for h in self.hits if h.host == host]

    def _app(self, host: str) -> web.Application:
        routes = self.routes[host]

        async def dispatch(request: web.Request) -> web.StreamResponse:
            self.hits.append(Hit(host, request.path_qs, time.monotonic(), request.headers.get("User-Agent", "")))
            handler = routes.get(request.path_qs) or routes.get(request.path)
            if handler is None:
                return web.Response(status=404, text="not found")
            return await handler(request)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", dispatch)
        return app

    def start(self) -> None:
        ready = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)

            async def up() -> None:
                for host in self.routes:
                    ip, port = host.rsplit(":", 1)
                    runner = web.AppRunner(self._app(host), access_log=None)
                    await runner.setup()
                    await web.TCPSite(runner, ip, int(port)).start()
                    self._runners.append(runner)
            self._loop.run_until_complete(up())
            ready.set()
            self._loop.run_forever()

        threading.Thread(target=serve, daemon=True).start()
        ready.wait(10)

    def stop(self) -> None:
        if self._loop is None:
            return

        async def down() -> None:
            for r in self._runners:
                await r.cleanup()
        asyncio.run_coroutine_threadsafe(down(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
