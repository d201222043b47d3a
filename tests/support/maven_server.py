"""A real HTTP server on 127.0.0.1 serving a directory laid out as a Maven repository."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

from aisle.engine.maven import Artifact

__all__ = ["publish", "serve_directory"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve `root` over HTTP on a free loopback port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def publish(root: Path, artifact: Artifact, content: bytes, *, checksum: str | None = "sha1") -> Path:
    """Place `content` at the artifact's path below `root`, with a checksum file unless None."""
    path = root / artifact.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if checksum:
        Path(f"{path}.{checksum}").write_text(hashlib.new(checksum, content).hexdigest())
    return path
