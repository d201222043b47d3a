"""Errors of the OpenSearch engine: assembling, starting and reaching a node.

AisleError
└── EngineError
    ├── DownloadError          an artifact could not be fetched
    ├── ChecksumError          an artifact does not match its published checksum
    ├── VersionNotFoundError   no release line has every artifact we need
    ├── AssemblyError          the downloaded parts do not make a working distribution
    ├── JavaNotFoundError      no usable Java runtime
    ├── PortBusyError          the configured port is taken
    ├── NodeFailedError        the node exited or never became healthy (carries the log tail)
    ├── NodeNotRunningError    an operation needs a running node and there is none
    └── EngineUnreachableError a configured cluster does not answer
"""

from __future__ import annotations

from aisle.errors import AisleError

__all__ = [
    "AssemblyError",
    "ChecksumError",
    "DownloadError",
    "EngineError",
    "EngineUnreachableError",
    "ImageBuildError",
    "JavaNotFoundError",
    "NodeFailedError",
    "NodeNotRunningError",
    "PortBusyError",
    "VersionNotFoundError",
]


class EngineError(AisleError):
    """Something about the OpenSearch engine went wrong."""


class DownloadError(EngineError):
    """An artifact could not be downloaded from the Maven repository."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            f"Could not download {url}: {reason}. Check network access to the repository, the proxy "
            "variables (HTTPS_PROXY), or point AISLE_OPENSEARCH_MAVEN_URL at a reachable mirror."
        )
        self.url = url


class ChecksumError(EngineError):
    """A downloaded artifact does not match its published checksum."""

    def __init__(self, what: str, algorithm: str, expected: str, actual: str) -> None:
        super().__init__(
            f"{what} failed its {algorithm} check: expected {expected}, got {actual}. The file was not "
            "used; run the command again, and if it repeats, the mirror is serving a corrupt copy."
        )


class VersionNotFoundError(EngineError):
    """No OpenSearch version on the line has all artifacts aisle needs."""


class AssemblyError(EngineError):
    """The downloaded parts could not be assembled into a working distribution."""


class JavaNotFoundError(EngineError):
    """No Java runtime that OpenSearch can run on was found."""


class PortBusyError(EngineError):
    """The configured HTTP port is already in use."""

    def __init__(self, port: int) -> None:
        super().__init__(
            f"Port {port} on 127.0.0.1 is already in use. Stop what listens there, or set "
            "AISLE_OPENSEARCH_PORT to another port (or leave it unset to pick a free one)."
        )
        self.port = port


class NodeFailedError(EngineError):
    """The node process exited, or did not become healthy in time."""

    def __init__(self, reason: str, log_path: str, log_tail: str) -> None:
        super().__init__(f"{reason}\n--- last lines of {log_path} ---\n{log_tail}")
        self.log_tail = log_tail


class NodeNotRunningError(EngineError):
    """The managed node is not running."""


class EngineUnreachableError(EngineError):
    """A configured OpenSearch cluster does not answer."""


class ImageBuildError(EngineError):
    """The OpenSearch container image could not be built."""
