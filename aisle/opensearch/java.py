"""Find a Java runtime OpenSearch can run on; never install one behind the user's back."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from aisle.opensearch.errors import JavaNotFoundError
from aisle.opensearch.settings import EngineSettings

__all__ = ["JavaRuntime", "find_java"]

# OpenSearch 2.19 runs on 11 to 21; 24 removed the SecurityManager it needs.
SUPPORTED_MAJORS = range(11, 22)
_DEBIAN_JVMS = Path("/usr/lib/jvm")


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


def _candidates(settings: EngineSettings) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    if settings.fallback_java_home:
        found.append(("JAVA_HOME", settings.fallback_java_home))
    if _DEBIAN_JVMS.is_dir():
        # Debian's OpenJDK 17 first: the version OpenSearch 2.19 is tested with most.
        homes = sorted(_DEBIAN_JVMS.iterdir(), key=lambda p: ("openjdk-17" not in p.name, p.name))
        found.extend((str(home), home) for home in homes if not home.is_symlink())
    return found


def find_java(settings: EngineSettings) -> JavaRuntime:
    """The first supported Java among OPENSEARCH_JAVA_HOME, JAVA_HOME and Debian's /usr/lib/jvm.

    Raises:
        JavaNotFoundError: none fits; the message lists what was tried and what to install.
    """
    if settings.java_home is not None:
        # An explicit choice is honoured or refused, never silently replaced by another Java.
        major = java_major_version(settings.java_home)
        if major is not None and major in SUPPORTED_MAJORS:
            return JavaRuntime(settings.java_home, major)
        found = f"Java {major}" if major else "no working bin/java"
        raise JavaNotFoundError(
            f"OPENSEARCH_JAVA_HOME={settings.java_home} has {found}; OpenSearch needs Java 11 to 21. "
            "Point it at such a Java (e.g. /usr/lib/jvm/java-17-openjdk-amd64) or unset it."
        )
    tried: list[str] = []
    for origin, home in _candidates(settings):
        major = java_major_version(home)
        if major is not None and major in SUPPORTED_MAJORS:
            return JavaRuntime(home, major)
        tried.append(f"{origin} ({home}): " + (f"Java {major}" if major else "no working bin/java"))
    detail = "; ".join(tried) if tried else "no Java found"
    raise JavaNotFoundError(
        f"OpenSearch needs Java 11 to 21, and none was usable ({detail}). "
        "Install one, e.g. `apt-get install openjdk-17-jre-headless` on Debian/Ubuntu, "
        "or set OPENSEARCH_JAVA_HOME to a Java 17 home."
    )
