"""Build a Docker image of exactly the distribution the managed node runs, without any registry.

No base image can be pulled here, so the root filesystem is made from Debian packages
(`debootstrap --variant=minbase`), the Java the managed node runs on is copied in (Debian has no
Java 21 for OpenSearch 3.x), the assembled OpenSearch home is added owned by an unprivileged user,
and the whole tree is streamed into `docker import`. The tag carries a key
over everything that goes in, so an unchanged distribution is never rebuilt.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from rich.console import Console

from aisle.engine.distribution import Distribution
from aisle.engine.java import JavaRuntime, jvm_options_for
from aisle.engine.settings import NODE_TUNING, EngineSettings
from aisle.errors import ImageBuildError

__all__ = ["IMAGE_REPOSITORY", "PYTHON_BASE_REPOSITORY", "build_image", "build_python_base_image", "image_tag"]

IMAGE_REPOSITORY = "aisle-opensearch"
PYTHON_BASE_REPOSITORY = "aisle-debian-python"
OPENSEARCH_HOME = "usr/share/opensearch"
RUN_UID = 1000
# Part of every image key: bump it whenever the way images are put together changes.
_RECIPE_VERSION = 3
JAVA_HOME = "opt/java"
_OPENSEARCH_PACKAGES = ("ca-certificates",)
# Never needed at run time; the JDK's sources alone are 60 MB.
_JAVA_SKIPPED = frozenset({"lib/src.zip", "include", "man", "jmods", "demo", "docs"})
# What the API image needs from its base: a Python 3.11 that can make a virtualenv.
_PYTHON_PACKAGES = ("python3", "python3-venv", "ca-certificates")
# Settings baked into the image's opensearch.yml; `-E` arguments at run time override them.
_IMAGE_CONFIG = {
    "discovery.type": "single-node",
    "network.host": "127.0.0.1",
    "cluster.routing.allocation.disk.threshold_enabled": False,
    "bootstrap.system_call_filter": False,
    **NODE_TUNING,
}
_CHANGES = (
    f"ENV OPENSEARCH_JAVA_HOME=/{JAVA_HOME}",
    "ENV PATH=/usr/share/opensearch/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "WORKDIR /usr/share/opensearch",
    f"USER {RUN_UID}:{RUN_UID}",
    'ENTRYPOINT ["/usr/share/opensearch/bin/opensearch"]',
)


def _base_recipe(settings: EngineSettings, packages: tuple[str, ...]) -> str:
    return json.dumps({"suite": settings.debian_suite, "variant": "minbase", "packages": packages})


def image_tag(settings: EngineSettings, distribution: Distribution, java: JavaRuntime) -> str:
    """The image's tag: OpenSearch version plus a key over base recipe, Java, distribution and image recipe."""
    key = hashlib.sha256()
    key.update(_base_recipe(settings, _OPENSEARCH_PACKAGES).encode())
    key.update((java.home / "release").read_bytes() if (java.home / "release").is_file() else str(java.home).encode())
    key.update(json.dumps([_RECIPE_VERSION, _IMAGE_CONFIG, _CHANGES, RUN_UID]).encode())
    key.update((distribution.home / "aisle-distribution.json").read_bytes())
    return f"{IMAGE_REPOSITORY}:{distribution.version}-{key.hexdigest()[:12]}"


def build_image(
    settings: EngineSettings, distribution: Distribution, java: JavaRuntime, console: Console | None = None
) -> str:
    """Build (or find already built) the image of `distribution` running on `java`, and return its tag.

    Raises:
        ImageBuildError: Docker or debootstrap is missing or fails; the message has their output.
    """
    console = console or Console(stderr=True)
    tag = image_tag(settings, distribution, java)
    if _docker(["image", "inspect", tag], check=False).returncode == 0:
        return tag
    base = _base_rootfs(settings, _OPENSEARCH_PACKAGES, console)
    console.print(f"Importing {tag} ...")
    with tempfile.TemporaryDirectory(prefix="aisle-image-") as tmp:
        config = Path(tmp) / "opensearch.yml"
        config.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in _IMAGE_CONFIG.items()))
        jvm_options = Path(tmp) / "jvm.options"
        jvm_options.write_text(jvm_options_for(java, (distribution.home / "config" / "jvm.options").read_text()))
        command = ["docker", "import", *(f"--change={c}" for c in _CHANGES), "-", tag]
        with subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        ) as proc:
            assert proc.stdin is not None and proc.stderr is not None
            try:
                _write_image_tar(
                    proc.stdin,
                    base,
                    java.home,
                    distribution.home,
                    {"opensearch.yml": config, "jvm.options": jvm_options},
                )
                proc.stdin.close()
            except BrokenPipeError:
                pass  # docker import failed early; its stderr says why
            stderr = proc.stderr.read().decode(errors="replace").strip()
        if proc.returncode != 0:
            raise ImageBuildError(f"`docker import` of {tag} failed: {stderr}")
    console.print(f"Built {tag}")
    return tag


def build_python_base_image(settings: EngineSettings, console: Console | None = None) -> str:
    """A Debian image with Python 3 and venv, for building the API image without any registry.

    Raises:
        ImageBuildError: Docker or debootstrap is missing or fails.
    """
    console = console or Console(stderr=True)
    recipe = _base_recipe(settings, _PYTHON_PACKAGES)
    tag = f"{PYTHON_BASE_REPOSITORY}:{settings.debian_suite}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"
    if _docker(["image", "inspect", tag], check=False).returncode == 0:
        return tag
    rootfs = _base_rootfs(settings, _PYTHON_PACKAGES, console)
    with rootfs.open("rb") as tar:
        result = subprocess.run(["docker", "import", "-", tag], stdin=tar, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ImageBuildError(f"`docker import` of {tag} failed: {result.stderr.strip()}")
    console.print(f"Built {tag}")
    return tag


def _write_image_tar(stream: object, base: Path, java_home: Path, home: Path, config: dict[str, Path]) -> None:
    def as_runtime_user(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = RUN_UID
        info.uname = info.gname = "opensearch"
        return info

    # The unprivileged user the node runs as, added to the base's account files on the way through.
    accounts = {
        "./etc/passwd": f"opensearch:x:{RUN_UID}:{RUN_UID}:OpenSearch:/{OPENSEARCH_HOME}:/usr/sbin/nologin\n",
        "./etc/group": f"opensearch:x:{RUN_UID}:\n",
    }
    with tarfile.open(fileobj=stream, mode="w|") as out:  # type: ignore[call-overload]
        with tarfile.open(base, mode="r|") as base_tar:
            for member in base_tar:
                content = base_tar.extractfile(member) if member.isfile() else None
                if member.name in accounts and content is not None:
                    amended = content.read() + accounts[member.name].encode()
                    member.size = len(amended)
                    content = io.BytesIO(amended)
                out.addfile(member, content)
        _add_java(out, java_home)
        baked = {f"{OPENSEARCH_HOME}/config/{name}": path for name, path in config.items()}
        out.add(home, arcname=OPENSEARCH_HOME, filter=lambda i: None if i.name in baked else as_runtime_user(i))
        for arcname, path in baked.items():
            out.add(path, arcname=arcname, filter=as_runtime_user)
        data = tarfile.TarInfo(f"{OPENSEARCH_HOME}/data")
        data.type, data.mode = tarfile.DIRTYPE, 0o755
        out.addfile(as_runtime_user(data))


def _add_java(out: tarfile.TarFile, home: Path) -> None:
    """Add a Java home as `JAVA_HOME`, with every link replaced by what it points to.

    Debian's OpenJDK links its config and CA store into /etc, which the image does not have; links
    to directories and dangling ones (docs, sources) are left out along with `_JAVA_SKIPPED`.
    """
    out.addfile(_as_root(out.gettarinfo(str(home), arcname=JAVA_HOME)))
    for folder, dirs, files in os.walk(home):
        kept = []
        for name in sorted(dirs) + sorted(files):
            path = Path(folder) / name
            relative = path.relative_to(home).as_posix()
            if relative in _JAVA_SKIPPED or not path.exists() or (path.is_symlink() and path.is_dir()):
                continue
            info = _as_root(out.gettarinfo(str(path.resolve()), arcname=f"{JAVA_HOME}/{relative}"))
            if info.isfile():
                with path.open("rb") as content:
                    out.addfile(info, content)
            else:
                out.addfile(info)
                kept.append(name)
        dirs[:] = [d for d in dirs if d in kept]


def _as_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mode |= 0o444 | (0o111 if info.isdir() else 0)
    return info


def _base_rootfs(settings: EngineSettings, packages: tuple[str, ...], console: Console) -> Path:
    """A tarball of a minimal Debian root filesystem with `packages`, built once per recipe and cached."""
    recipe = _base_recipe(settings, packages)
    cached = settings.cache_dir / "_images" / f"rootfs-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}.tar"
    if cached.is_file():
        return cached
    if shutil.which("debootstrap") is None:
        raise ImageBuildError(
            "Building the image's root filesystem needs debootstrap: `apt-get install debootstrap` (as root)."
        )
    cached.parent.mkdir(parents=True, exist_ok=True)
    console.print(f"Building a Debian {settings.debian_suite} root filesystem with {', '.join(packages)} ...")
    with tempfile.TemporaryDirectory(prefix="aisle-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        result = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(packages)}",
                settings.debian_suite,
                str(rootfs),
                settings.debian_mirror,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ImageBuildError(
                f"debootstrap failed (exit {result.returncode}): {result.stdout[-2000:]}{result.stderr}"
            )
        # What a container never needs: downloaded packages, docs, manuals.
        for junk in [
            *(rootfs / "var/cache/apt/archives").glob("*.deb"),
            rootfs / "usr/share/doc",
            rootfs / "usr/share/man",
        ]:
            shutil.rmtree(junk, ignore_errors=True) if junk.is_dir() else junk.unlink()
        partial = cached.with_suffix(".partial")
        with tarfile.open(partial, "w") as tar:
            tar.add(rootfs, arcname=".")
        partial.replace(cached)
    return cached


def _docker(args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(["docker", *args], capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise ImageBuildError("The `docker` command is not installed; install Docker to build images.") from exc
    if check and result.returncode != 0:
        raise ImageBuildError(f"`docker {' '.join(args)}` failed: {result.stderr.strip()}")
    return result
