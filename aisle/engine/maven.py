"""Fetch artifacts from a Maven repository, verified against their published checksums.

A local `~/.m2/repository` copy is used first when it holds the file; otherwise the file comes from
the remote repository. Either way the bytes are checked against the checksum found beside them
before anything uses them, and a download lands under its final name only once it has passed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx

from aisle.errors import ChecksumError, DownloadError

__all__ = ["Artifact", "MavenRepository"]

# Strongest first: Maven Central publishes sha512 for newer uploads, sha1 for all of them.
_CHECKSUM_ALGORITHMS = ("sha512", "sha256", "sha1")


@dataclass(frozen=True)
class Artifact:
    """Maven coordinates of one file."""

    group: str
    name: str
    version: str
    extension: str = "jar"

    @property
    def path(self) -> str:
        """The file's path below a repository root."""
        return f"{self.group.replace('.', '/')}/{self.name}/{self.version}/{self.filename}"

    @property
    def filename(self) -> str:
        """The file's name, e.g. `lang-painless-2.19.1.jar`."""
        return f"{self.name}-{self.version}.{self.extension}"

    def with_extension(self, extension: str) -> Artifact:
        """The same coordinates with another extension (`pom`, `zip`)."""
        return Artifact(self.group, self.name, self.version, extension)

    def __str__(self) -> str:
        return f"{self.group}:{self.name}:{self.version}:{self.extension}"


class MavenRepository:
    """A remote Maven repository, with a local repository consulted first.

    Args:
        base_url: Root of the remote repository, e.g. `https://repo1.maven.org/maven2`.
        local_repo: A local repository laid out like `~/.m2/repository`; may not exist.
        pinned_sha512: SHA-512 digests, by `str(Artifact)`, for artifacts the repository publishes
            without a checksum.
        timeout_s: Timeout of each HTTP request.
    """

    def __init__(
        self,
        base_url: str,
        local_repo: Path | None = None,
        pinned_sha512: Mapping[str, str] | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._local_repo = local_repo
        self._pinned = dict(pinned_sha512 or {})
        # trust_env: honour HTTPS_PROXY / NO_PROXY and the system CA bundle settings.
        self._http = httpx.Client(timeout=timeout_s, follow_redirects=True, trust_env=True)

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> MavenRepository:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def versions(self, group: str, name: str) -> list[str]:
        """Versions listed in the artifact's `maven-metadata.xml`, or [] when it has none."""
        url = f"{self._base_url}/{group.replace('.', '/')}/{name}/maven-metadata.xml"
        response = self._get(url, missing_ok=True)
        if response is None:
            return []
        try:
            root = ET.fromstring(response.content)
        except ET.ParseError as exc:
            raise DownloadError(url, f"not valid XML ({exc})") from exc
        return [v.text for v in root.iter("version") if v.text]

    def is_available(self, artifact: Artifact) -> bool:
        """Whether the artifact can be fetched and verified (a file plus a checksum to check it by)."""
        if self._local_file(artifact) is not None:
            return True
        if not self._head(f"{self._base_url}/{artifact.path}"):
            return False
        return str(artifact) in self._pinned or any(
            self._head(f"{self._base_url}/{artifact.path}.{algorithm}") for algorithm in _CHECKSUM_ALGORITHMS
        )

    def read_text(self, artifact: Artifact) -> str:
        """A small verified artifact (a `.pom`) as text."""
        with tempfile.TemporaryDirectory() as tmp:
            return self.fetch(artifact, Path(tmp)).read_text(encoding="utf-8")

    def fetch(self, artifact: Artifact, directory: Path) -> Path:
        """Copy the verified artifact into `directory` and return its path there."""
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / artifact.filename
        local = self._local_file(artifact)
        fd, partial_name = tempfile.mkstemp(prefix=f".{artifact.filename}.", dir=directory)
        partial = Path(partial_name)
        try:
            with os.fdopen(fd, "wb") as out:
                if local is not None:
                    with local.open("rb") as src:
                        shutil.copyfileobj(src, out)
                else:
                    self._download(f"{self._base_url}/{artifact.path}", out)
            self._verify(artifact, partial, local)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return target

    def _local_file(self, artifact: Artifact) -> Path | None:
        if self._local_repo is None:
            return None
        candidate = self._local_repo / artifact.path
        return candidate if candidate.is_file() else None

    def _verify(self, artifact: Artifact, file: Path, local: Path | None) -> None:
        algorithm, expected = self._expected_checksum(artifact, local)
        digest = hashlib.new(algorithm)
        with file.open("rb") as src:
            while chunk := src.read(1 << 20):
                digest.update(chunk)
        actual = digest.hexdigest()
        if actual != expected:
            raise ChecksumError(str(artifact), algorithm, expected, actual)

    def _expected_checksum(self, artifact: Artifact, local: Path | None) -> tuple[str, str]:
        # A local copy is checked against the checksum Maven stored beside it; without one, against
        # the remote repository's. A file is never used unchecked.
        if local is not None:
            for algorithm in _CHECKSUM_ALGORITHMS:
                sidecar = local.with_name(f"{local.name}.{algorithm}")
                if sidecar.is_file():
                    return algorithm, _first_token(sidecar.read_text(encoding="ascii", errors="replace"))
        for algorithm in _CHECKSUM_ALGORITHMS:
            url = f"{self._base_url}/{artifact.path}.{algorithm}"
            response = self._get(url, missing_ok=True)
            if response is not None:
                return algorithm, _first_token(response.text)
        if str(artifact) in self._pinned:
            return "sha512", self._pinned[str(artifact)]
        raise DownloadError(
            f"{self._base_url}/{artifact.path}.sha1",
            "no checksum is published or pinned for it, so it cannot be verified",
        )

    def _head(self, url: str) -> bool:
        try:
            return self._http.head(url).status_code == 200
        except httpx.HTTPError as exc:
            raise DownloadError(url, str(exc) or type(exc).__name__) from exc

    def _get(self, url: str, *, missing_ok: bool) -> httpx.Response | None:
        try:
            response = self._http.get(url)
        except httpx.HTTPError as exc:
            raise DownloadError(url, str(exc) or type(exc).__name__) from exc
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code != 200:
            raise DownloadError(url, f"HTTP {response.status_code}")
        return response

    def _download(self, url: str, out: BinaryIO) -> None:
        try:
            with self._http.stream("GET", url) as response:
                if response.status_code != 200:
                    raise DownloadError(url, f"HTTP {response.status_code}")
                for chunk in response.iter_bytes(1 << 20):
                    out.write(chunk)
        except httpx.HTTPError as exc:
            raise DownloadError(url, str(exc) or type(exc).__name__) from exc


def _first_token(text: str) -> str:
    # Checksum files hold the hex digest, sometimes followed by the file name.
    token = text.strip().split()[0] if text.strip() else ""
    return token.lower()
