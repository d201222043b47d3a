"""The API's middleware: a request id and a log line per request, and a cap on how much body is read.

Pure ASGI: Starlette's `BaseHTTPMiddleware` costs a task and a response copy per request, which
showed in the API's latency at concurrency 4.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from query_api.errors import BodyTooLargeError
from query_api.handlers import error_response
from query_api.metrics import ApiMetrics

__all__ = ["BodyLimit", "RequestLog"]

log = logging.getLogger("aisle.api")


class RequestLog:
    """Pure ASGI middleware: a request id on every response and one structured log line per request.

    (Starlette's `BaseHTTPMiddleware` costs a task and a response copy per request, which showed
    in the API's latency at concurrency 4.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, tagging the response and logging it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1") or uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    }
                )
            )


class BodyLimit:
    """Refuses a request body over `max_bytes` with 413, having read no more of it than that.

    A declared length over the limit is refused before any of the body is read; a body that does not
    say its length is read up to the limit and then handed on whole.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, metrics: ApiMetrics, retry_after_s: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self._metrics = metrics
        self._retry_after_s = retry_after_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the body's size, then pass the request on."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(int(declared), scope, receive, send)
            return
        chunks: list[bytes] = []
        received, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app finds out on its own
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            if received > self.max_bytes:
                await self._refuse(received, scope, receive, send)
                return
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, size: int, scope: Scope, receive: Receive, send: Send) -> None:
        error = BodyTooLargeError(
            f"The request body is {size:,} bytes or more; the API reads at most {self.max_bytes:,} "
            "(AISLE_API_MAX_BODY_BYTES). A search body is a few hundred bytes.",
            field="body",
        )
        await error_response(error, self._metrics, self._retry_after_s)(scope, receive, send)
