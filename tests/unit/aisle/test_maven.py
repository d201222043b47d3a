from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from aisle.engine.maven import Artifact, MavenRepository
from aisle.errors import ChecksumError, DownloadError
from tests.support.maven_server import publish, serve_directory

JAR = Artifact("org.example", "thing", "1.2.3")


def test_artifact_path_follows_the_maven_layout() -> None:
    assert JAR.path == "org/example/thing/1.2.3/thing-1.2.3.jar"
    assert str(JAR.with_extension("pom")) == "org.example:thing:1.2.3:pom"


def test_fetch_verifies_the_published_checksum(tmp_path: Path) -> None:
    publish(tmp_path / "repo", JAR, b"jar bytes", checksum="sha512")
    with serve_directory(tmp_path / "repo") as url, MavenRepository(url) as repo:
        fetched = repo.fetch(JAR, tmp_path / "out")
    assert fetched.read_bytes() == b"jar bytes"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["thing-1.2.3.jar"]


def test_a_checksum_mismatch_is_refused_and_leaves_no_file(tmp_path: Path) -> None:
    path = publish(tmp_path / "repo", JAR, b"jar bytes")
    Path(f"{path}.sha1").write_text(hashlib.sha1(b"other bytes").hexdigest())
    with serve_directory(tmp_path / "repo") as url, MavenRepository(url) as repo:
        with pytest.raises(ChecksumError, match="org.example:thing:1.2.3:jar failed its sha1 check"):
            repo.fetch(JAR, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_an_artifact_without_any_checksum_is_refused_unless_pinned(tmp_path: Path) -> None:
    publish(tmp_path / "repo", JAR, b"jar bytes", checksum=None)
    with serve_directory(tmp_path / "repo") as url:
        with MavenRepository(url) as repo:
            assert not repo.is_available(JAR)
            with pytest.raises(DownloadError, match="no checksum is published or pinned"):
                repo.fetch(JAR, tmp_path / "out")
        pinned = {str(JAR): hashlib.sha512(b"jar bytes").hexdigest()}
        with MavenRepository(url, pinned_sha512=pinned) as repo:
            assert repo.is_available(JAR)
            assert repo.fetch(JAR, tmp_path / "out").read_bytes() == b"jar bytes"


def test_a_wrong_pinned_checksum_is_refused(tmp_path: Path) -> None:
    publish(tmp_path / "repo", JAR, b"jar bytes", checksum=None)
    with serve_directory(tmp_path / "repo") as url, MavenRepository(url, pinned_sha512={str(JAR): "00"}) as repo:
        with pytest.raises(ChecksumError):
            repo.fetch(JAR, tmp_path / "out")


def test_the_local_repository_is_used_before_the_remote_one(tmp_path: Path) -> None:
    publish(tmp_path / "m2", JAR, b"local bytes")
    # The remote has nothing at all: the fetch must not need it.
    with serve_directory(tmp_path / "empty") as url, MavenRepository(url, local_repo=tmp_path / "m2") as repo:
        assert repo.is_available(JAR)
        assert repo.fetch(JAR, tmp_path / "out").read_bytes() == b"local bytes"


def test_a_missing_artifact_names_its_url(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    with serve_directory(tmp_path / "repo") as url, MavenRepository(url) as repo:
        assert not repo.is_available(JAR)
        with pytest.raises(DownloadError, match=r"thing-1\.2\.3\.jar: HTTP 404"):
            repo.fetch(JAR, tmp_path / "out")


def test_an_unreachable_repository_is_a_download_error() -> None:
    with MavenRepository("http://127.0.0.1:9", timeout_s=2) as repo:
        with pytest.raises(DownloadError, match="AISLE_OPENSEARCH_MAVEN_URL"):
            repo.versions("org.example", "thing")


def test_versions_come_from_maven_metadata(tmp_path: Path) -> None:
    meta = tmp_path / "repo" / "org" / "example" / "thing" / "maven-metadata.xml"
    meta.parent.mkdir(parents=True)
    meta.write_text(
        "<metadata><versioning><versions><version>1.0</version><version>1.1</version>"
        "</versions></versioning></metadata>"
    )
    with serve_directory(tmp_path / "repo") as url, MavenRepository(url) as repo:
        assert repo.versions("org.example", "thing") == ["1.0", "1.1"]
        assert repo.versions("org.example", "absent") == []
