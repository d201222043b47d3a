from __future__ import annotations

from pathlib import Path

import pytest

from aisle.opensearch import java as java_module
from aisle.opensearch.errors import JavaNotFoundError
from aisle.opensearch.java import find_java, java_major_version
from aisle.opensearch.settings import EngineSettings


def _fake_java(root: Path, version_line: str) -> Path:
    home = root / version_line.replace(" ", "_").replace('"', "")
    (home / "bin").mkdir(parents=True)
    script = home / "bin" / "java"
    script.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    script.chmod(0o755)
    return home


@pytest.mark.parametrize(
    ("line", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "1.8.0_392"', 8),
        ('openjdk version "25" 2025-09-16', 25),
        ('openjdk version "21.0.2" 2024-01-16 LTS', 21),
    ],
)
def test_the_major_version_is_read_from_java_version(tmp_path: Path, line: str, major: int) -> None:
    assert java_major_version(_fake_java(tmp_path, line)) == major


def test_a_directory_without_java_has_no_version(tmp_path: Path) -> None:
    assert java_major_version(tmp_path) is None


def test_an_explicit_unsupported_java_is_refused_not_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(java_module, "_DEBIAN_JVMS", tmp_path / "jvm")
    _fake_java(tmp_path / "jvm", 'openjdk version "17.0.15"')
    java25 = _fake_java(tmp_path, 'openjdk version "25"')
    with pytest.raises(JavaNotFoundError, match=f"OPENSEARCH_JAVA_HOME={java25} has Java 25"):
        find_java(EngineSettings(java_home=java25, fallback_java_home=None))


def test_an_unsupported_java_home_is_skipped_for_a_supported_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(java_module, "_DEBIAN_JVMS", tmp_path / "jvm")
    java17 = _fake_java(tmp_path / "jvm", 'openjdk version "17.0.15"')
    runtime = find_java(EngineSettings(java_home=None, fallback_java_home=_fake_java(tmp_path, 'openjdk version "25"')))
    assert (runtime.home, runtime.major) == (java17, 17)


def test_no_usable_java_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(java_module, "_DEBIAN_JVMS", tmp_path / "jvm")
    java8 = _fake_java(tmp_path, 'openjdk version "1.8.0_392"')
    with pytest.raises(JavaNotFoundError) as error:
        find_java(EngineSettings(java_home=None, fallback_java_home=java8))
    assert f"JAVA_HOME ({java8}): Java 8" in str(error.value)
    assert "apt-get install openjdk-17-jre-headless" in str(error.value)
