"""Errors of the commands: installing and starting OpenSearch, the quickstart's API, the relevance gate.

AisleError
├── NodeError                  installing, assembling or starting the managed OpenSearch node
│   ├── DownloadError          an artifact could not be fetched
│   ├── ChecksumError          an artifact does not match its published checksum
│   ├── VersionNotFoundError   no release line has every artifact we need
│   ├── AssemblyError          the downloaded parts do not make a working distribution
│   ├── JavaNotFoundError      no usable Java runtime
│   ├── PortBusyError          the configured port is taken
│   ├── NodeFailedError        the node exited or never became healthy (carries the log tail)
│   └── ImageBuildError        the container image could not be built
├── ApiStartError              the quickstart's API process exited or did not become ready
├── EvalGateError              a relevance metric fell below its baseline by more than the tolerance
└── ReproError                 a reproduction entry is malformed, its data differs or its command failed
"""

from __future__ import annotations

from kernel.errors import AisleError

__all__ = [
    "ApiStartError",
    "AssemblyError",
    "ChecksumError",
    "DownloadError",
    "EvalGateError",
    "ImageBuildError",
    "JavaNotFoundError",
    "NodeError",
    "NodeFailedError",
    "PortBusyError",
    "ReproError",
    "VersionNotFoundError",
]


class NodeError(AisleError):
    """Installing, assembling or starting the managed OpenSearch node went wrong."""


class DownloadError(NodeError):
    """An artifact could not be downloaded from the Maven repository."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(
            f"Could not download {url}: {reason}. Check network access to the repository, the proxy "
            "variables (HTTPS_PROXY), or point AISLE_OPENSEARCH_MAVEN_URL at a reachable mirror."
        )
        self.url = url


class ChecksumError(NodeError):
    """A downloaded artifact does not match its published checksum."""

    def __init__(self, what: str, algorithm: str, expected: str, actual: str) -> None:
        super().__init__(
            f"{what} failed its {algorithm} check: expected {expected}, got {actual}. The file was not "
            "used; run the command again, and if it repeats, the mirror is serving a corrupt copy."
        )


class VersionNotFoundError(NodeError):
    """No OpenSearch version on the line has all artifacts aisle needs."""


class AssemblyError(NodeError):
    """The downloaded parts could not be assembled into a working distribution."""


class JavaNotFoundError(NodeError):
    """No Java runtime that OpenSearch can run on was found."""


class PortBusyError(NodeError):
    """The configured HTTP port is already in use."""

    def __init__(self, port: int) -> None:
        super().__init__(
            f"Port {port} on 127.0.0.1 is already in use. Stop what listens there, or set "
            "AISLE_OPENSEARCH_PORT to another port (or leave it unset to pick a free one)."
        )
        self.port = port


class NodeFailedError(NodeError):
    """The node process exited, or did not become healthy in time."""

    def __init__(self, reason: str, log_path: str, log_tail: str) -> None:
        super().__init__(f"{reason}\n--- last lines of {log_path} ---\n{log_tail}")
        self.log_tail = log_tail


class ImageBuildError(NodeError):
    """The OpenSearch container image could not be built."""


class ApiStartError(AisleError):
    """The API process exited or did not become ready."""


class EvalGateError(AisleError):
    """A metric fell below its baseline by more than the tolerance."""


class ReproError(AisleError):
    """A reproduction entry is malformed, its dataset is not the one measured, or its command failed."""
