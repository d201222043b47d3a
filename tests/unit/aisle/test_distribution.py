from __future__ import annotations

from pathlib import Path

import pytest

from aisle.engine.distribution import _runtime_dependencies, open_repository, resolve_version
from aisle.engine.maven import Artifact, MavenRepository
from aisle.engine.settings import EngineSettings
from aisle.errors import VersionNotFoundError
from tests.support.maven_server import publish, serve_directory

MODULE_ARTIFACTS = ["lang-painless", "analysis-common", "reindex-client", "mapper-extras-client"]


def _publish_release(
    root: Path, version: str, *, plugins: tuple[str, ...] = ("opensearch-knn", "neural-search")
) -> None:
    publish(root, Artifact("org.opensearch.distribution.integ-test-zip", "opensearch", version, "zip"), b"server")
    for name in MODULE_ARTIFACTS:
        publish(root, Artifact("org.opensearch.plugin", name, version), b"module")
    for name in plugins:
        publish(root, Artifact("org.opensearch.plugin", name, f"{version}.0", "zip"), b"plugin")


def _metadata(root: Path, versions: list[str]) -> None:
    path = root / "org/opensearch/distribution/integ-test-zip/opensearch/maven-metadata.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    listed = "".join(f"<version>{v}</version>" for v in versions)
    path.write_text(f"<metadata><versioning><versions>{listed}</versions></versioning></metadata>")


def _settings(url: str, tmp_path: Path, **overrides: object) -> EngineSettings:
    return EngineSettings(maven_url=url, local_maven_repo=tmp_path / "no-m2", cache_dir=tmp_path / "cache", **overrides)


def test_the_newest_complete_release_on_the_line_is_chosen(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _publish_release(root, "2.19.1")
    _publish_release(root, "2.19.10")
    _publish_release(root, "2.19.11", plugins=("opensearch-knn",))  # neural-search missing
    _publish_release(root, "3.0.0")
    _publish_release(root, "3.6.0")
    _publish_release(root, "3.6.1", plugins=("neural-search",))  # k-NN missing
    _metadata(root, ["2.19.1", "2.19.10", "2.19.11", "3.0.0", "3.6.0", "3.6.1"])
    with serve_directory(root) as url:
        for line, chosen in [("2.19", "2.19.10"), ("3.6", "3.6.0")]:
            settings = _settings(url, tmp_path, version_line=line)
            with open_repository(settings) as repo:
                assert resolve_version(settings, repo) == chosen


def test_an_exact_version_setting_wins(tmp_path: Path) -> None:
    settings = _settings("http://127.0.0.1:9", tmp_path, version="2.19.1")
    with MavenRepository(settings.maven_url) as repo:
        assert resolve_version(settings, repo) == "2.19.1"


def test_no_complete_release_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _publish_release(root, "2.19.3", plugins=())
    _metadata(root, ["2.19.3"])
    with serve_directory(root) as url:
        settings = _settings(url, tmp_path, version_line="2.19")
        with open_repository(settings) as repo, pytest.raises(VersionNotFoundError) as error:
            resolve_version(settings, repo)
    assert "2.19.3 (missing or unverifiable: opensearch-knn, neural-search)" in str(error.value)
    assert "AISLE_OPENSEARCH_VERSION_LINE" in str(error.value)


POM = """<project xmlns="http://maven.apache.org/POM/4.0.0"><dependencies>{}</dependencies></project>"""


def _dep(group: str, name: str, version: str, scope: str = "compile") -> str:
    return (
        f"<dependency><groupId>{group}</groupId><artifactId>{name}</artifactId>"
        f"<version>{version}</version><scope>{scope}</scope></dependency>"
    )


def test_module_dependencies_skip_what_lib_has_and_follow_opensearch_poms(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    module = Artifact("org.opensearch.plugin", "reindex-client", "2.19.1")
    client = Artifact("org.opensearch.client", "opensearch-rest-client", "2.19.1")
    publish(
        root,
        module.with_extension("pom"),
        POM.format(
            _dep("org.opensearch.client", "opensearch-rest-client", "2.19.1")
            + _dep("org.opensearch", "opensearch-common", "2.19.1")  # already in lib/
            + _dep("junit", "junit", "4.13", scope="test")
        ).encode(),
    )
    publish(
        root,
        client.with_extension("pom"),
        POM.format(
            _dep("org.apache.httpcomponents", "httpclient", "4.5.14")
            + _dep("io.projectreactor", "reactor-core", "3.5.20")  # already in lib/
        ).encode(),
    )
    home = tmp_path / "home"
    (home / "lib").mkdir(parents=True)
    for jar in ("opensearch-common-2.19.1.jar", "reactor-core-3.5.20.jar"):
        (home / "lib" / jar).touch()
    with serve_directory(root) as url, MavenRepository(url) as repo:
        deps = _runtime_dependencies(module, home, repo)
    assert [str(d) for d in deps] == [
        "org.opensearch.client:opensearch-rest-client:2.19.1:jar",
        "org.apache.httpcomponents:httpclient:4.5.14:jar",
    ]
