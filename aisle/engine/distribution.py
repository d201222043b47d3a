"""Assemble a runnable OpenSearch distribution from Maven Central artifacts.

The 2.x integ-test server zip ships only the transport module, so there the modules aisle needs are
rebuilt from their Maven jars (jar + runtime dependencies not already in `lib/` + a plugin
descriptor + the module's security policy); the 3.x zip ships every module. Then the k-NN and
neural-search plugin zips are installed with the distribution's own `opensearch-plugin` tool. The
result lives in `<cache_dir>/<version>/` and is built in a staging directory that is renamed into
place only when complete, so an interrupted install never leaves a half-built distribution behind.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rich.console import Console

from aisle.engine.java import JavaRuntime
from aisle.engine.maven import Artifact, MavenRepository
from aisle.engine.settings import EngineSettings
from aisle.errors import AssemblyError, VersionNotFoundError

__all__ = ["Distribution", "install_distribution", "resolve_version"]

SERVER_GROUP = "org.opensearch.distribution.integ-test-zip"
SERVER_NAME = "opensearch"
PLUGIN_GROUP = "org.opensearch.plugin"
_MARKER = "aisle-distribution.json"
_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


@dataclass(frozen=True)
class Distribution:
    """An assembled OpenSearch home directory.

    Args:
        home: The directory holding `bin/`, `lib/`, `modules/`, `plugins/`, `config/`.
        version: The OpenSearch version, e.g. `2.19.1`.
    """

    home: Path
    version: str

    @property
    def modules(self) -> list[str]:
        """Names of the modules in `modules/`."""
        return sorted(p.name for p in (self.home / "modules").iterdir() if p.is_dir())

    @property
    def plugins(self) -> list[str]:
        """Names of the installed plugins."""
        return sorted(p.name for p in (self.home / "plugins").iterdir() if p.is_dir())


def _server(version: str) -> Artifact:
    return Artifact(SERVER_GROUP, SERVER_NAME, version, "zip")


def _plugin_zip(name: str, version: str) -> Artifact:
    # Plugins carry a fourth version component: opensearch-knn 2.19.1.0 goes with OpenSearch 2.19.1.
    return Artifact(PLUGIN_GROUP, name, f"{version}.0", "zip")


def open_repository(settings: EngineSettings) -> MavenRepository:
    """The configured Maven repository, with aisle's pinned checksums."""
    text = resources.files("aisle.engine").joinpath("pinned-checksums.json").read_text(encoding="utf-8")
    pinned = {k: v for k, v in json.loads(text).items() if not k.startswith("_")}
    return MavenRepository(settings.maven_url, settings.local_maven_repo, pinned, settings.timeout_s)


def _module_catalogue() -> dict[str, dict[str, object]]:
    text = resources.files("aisle.engine").joinpath("modules.json").read_text(encoding="utf-8")
    catalogue: dict[str, dict[str, object]] = json.loads(text)
    catalogue.pop("_comment", None)
    return catalogue


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))


def resolve_version(settings: EngineSettings, repo: MavenRepository) -> str:
    """The newest version on the configured line for which every needed artifact is published.

    The server's `maven-metadata.xml` lists candidate versions; the plugins are probed one by one
    because some (neural-search) publish zips without a metadata file.

    Raises:
        VersionNotFoundError: no candidate has all artifacts.
    """
    if settings.version:
        return settings.version
    catalogue = _module_catalogue()
    published = repo.versions(SERVER_GROUP, SERVER_NAME)
    line = settings.version_line.rstrip(".") + "."
    candidates = sorted((v for v in published if v.startswith(line)), key=_version_key, reverse=True)
    incomplete: list[str] = []
    for version in candidates:
        needed = [_plugin_zip(p, version) for p in settings.plugins] + [
            Artifact(PLUGIN_GROUP, str(catalogue[m]["artifact"]), version) for m in settings.modules
        ]
        missing = [a for a in needed if not repo.is_available(a)]
        if not missing:
            return version
        incomplete.append(f"{version} (missing or unverifiable: {', '.join(a.name for a in missing)})")
    raise VersionNotFoundError(
        f"No OpenSearch {settings.version_line}.x release has every artifact aisle needs: "
        f"{'; '.join(incomplete) or 'none is published'}. Set AISLE_OPENSEARCH_VERSION_LINE to another "
        "line, or AISLE_OPENSEARCH_VERSION to an exact version."
    )


def cached_distribution(settings: EngineSettings, version: str | None = None) -> Distribution | None:
    """An already assembled distribution: the requested version, or else the newest one cached."""
    if not settings.cache_dir.is_dir():
        return None
    versions = (
        [version]
        if version
        else sorted(
            (p.name for p in settings.cache_dir.iterdir() if (p / _MARKER).is_file()), key=_version_key, reverse=True
        )
    )
    for v in versions:
        home = settings.cache_dir / v
        if (home / _MARKER).is_file():
            return Distribution(home, v)
    return None


def install_distribution(settings: EngineSettings, java: JavaRuntime, console: Console | None = None) -> Distribution:
    """Assemble the distribution unless the cache already holds it, and return it.

    Raises:
        DownloadError, ChecksumError, VersionNotFoundError, AssemblyError.
    """
    console = console or Console(stderr=True)
    with open_repository(settings) as repo:
        version = resolve_version(settings, repo)
        cached = cached_distribution(settings, version)
        if cached is not None:
            return cached
        console.print(f"Assembling OpenSearch {version} from {settings.maven_url} ...")
        settings.cache_dir.mkdir(parents=True, exist_ok=True)
        staging = settings.cache_dir / f".{version}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            downloads = staging / "downloads"
            home = _unpack_server(repo.fetch(_server(version), downloads), staging / "home")
            for module in settings.modules:
                if (home / "modules" / module).is_dir():
                    continue  # the server zip has it already (3.x)
                console.print(f"  module {module}")
                _build_module(module, version, home, repo, downloads)
            for plugin in settings.plugins:
                console.print(f"  plugin {plugin}")
                _install_plugin(home, repo.fetch(_plugin_zip(plugin, version), downloads), java)
            (home / _MARKER).write_text(
                json.dumps(
                    {
                        "version": version,
                        "source": settings.maven_url,
                        "modules": settings.modules,
                        "plugins": settings.plugins,
                    },
                    indent=2,
                )
            )
            _make_readable_by_all(home)
            final = settings.cache_dir / version
            shutil.rmtree(final, ignore_errors=True)
            home.rename(final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    console.print(f"OpenSearch {version} assembled in {final}")
    return Distribution(final, version)


def _make_readable_by_all(home: Path) -> None:
    # The node may run as another (unprivileged) user than the one who assembled it; downloads
    # arrive as private temp files.
    for path in [home, *home.rglob("*")]:
        extra = 0o555 if path.is_dir() else 0o444
        path.chmod(path.stat().st_mode | extra)


def _unpack_server(archive: Path, target: Path) -> Path:
    with zipfile.ZipFile(archive) as zf:
        _extract_with_modes(zf, target)
    roots = [p for p in target.iterdir() if p.is_dir()]
    if len(roots) != 1 or not (roots[0] / "bin" / "opensearch").is_file():
        raise AssemblyError(f"{archive.name} does not contain one OpenSearch home with bin/opensearch.")
    return roots[0]


def _extract_with_modes(zf: zipfile.ZipFile, target: Path) -> None:
    # zipfile drops Unix permissions; bin/ scripts must stay executable.
    for info in zf.infolist():
        path = Path(zf.extract(info, target))
        mode = (info.external_attr >> 16) & 0o777
        if mode and not info.is_dir():
            path.chmod(mode | 0o444)


def _build_module(name: str, version: str, home: Path, repo: MavenRepository, downloads: Path) -> None:
    catalogue = _module_catalogue()
    if name not in catalogue:
        raise AssemblyError(
            f"Module '{name}' is not one aisle knows how to rebuild; known modules: {', '.join(sorted(catalogue))}."
        )
    spec = catalogue[name]
    module_dir = home / "modules" / name
    module_dir.mkdir(parents=True)
    main = Artifact(PLUGIN_GROUP, str(spec["artifact"]), version)
    jars = [repo.fetch(main, downloads)] + [
        repo.fetch(dep, downloads) for dep in _runtime_dependencies(main, home, repo)
    ]
    for jar in jars:
        shutil.copy2(jar, module_dir / jar.name)
    classname = str(spec["classname"])
    with zipfile.ZipFile(jars[0]) as zf:
        if classname.replace(".", "/") + ".class" not in zf.namelist():
            raise AssemblyError(
                f"{jars[0].name} has no class {classname}; module '{name}' cannot be rebuilt for {version}."
            )
    extended = spec["extended_plugins"]
    assert isinstance(extended, list)
    descriptor = {
        "description": spec["description"],
        "version": version,
        "name": name,
        "classname": classname,
        "java.version": "11",
        "opensearch.version": version,
        "extended.plugins": ",".join(extended),
        "has.native.controller": "false",
    }
    (module_dir / "plugin-descriptor.properties").write_text("".join(f"{k}={v}\n" for k, v in descriptor.items()))
    policy = resources.files("aisle.engine").joinpath("policies", f"{name}.policy")
    if policy.is_file():
        (module_dir / "plugin-security.policy").write_text(policy.read_text(encoding="utf-8"))


def _runtime_dependencies(artifact: Artifact, home: Path, repo: MavenRepository) -> list[Artifact]:
    """Runtime dependencies of an OpenSearch jar that the server's `lib/` does not already hold.

    OpenSearch's poms are generated flat by Gradle (explicit versions, every needed third-party jar
    listed), so only OpenSearch's own poms are walked; a jar already in `lib/` would trip the node's
    jar-hell check if copied again.
    """
    in_lib = {m.group(1) for jar in (home / "lib").glob("*.jar") if (m := re.match(r"(.+?)-\d", jar.name))}
    found: dict[str, Artifact] = {}
    pending = [artifact]
    while pending:
        pom = ET.fromstring(repo.read_text(pending.pop().with_extension("pom")))
        for dep in pom.findall(".//m:dependencies/m:dependency", _POM_NS):
            group, name, version = (
                dep.findtext(f"m:{tag}", "", _POM_NS).strip() for tag in ("groupId", "artifactId", "version")
            )
            scope = dep.findtext("m:scope", "compile", _POM_NS).strip()
            optional = dep.findtext("m:optional", "false", _POM_NS).strip() == "true"
            if scope not in ("compile", "runtime") or optional or name in in_lib or name in found:
                continue
            if not version or "$" in version:
                raise AssemblyError(f"{artifact} declares {group}:{name} without a concrete version ({version!r}).")
            found[name] = Artifact(group, name, version)
            if group.startswith("org.opensearch"):
                pending.append(found[name])
    return list(found.values())


def _install_plugin(home: Path, archive: Path, java: JavaRuntime) -> None:
    command = [str(home / "bin" / "opensearch-plugin"), "install", "--batch", archive.resolve().as_uri()]
    result = subprocess.run(command, env=java.environment(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-3000:]
        raise AssemblyError(f"Installing {archive.name} failed (exit {result.returncode}):\n{output}")
