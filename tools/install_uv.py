#!/usr/bin/env python3
"""Installs the pinned uv into the project folder, with nothing but the Python standard library.

For a machine whose only Python is the system one: on Debian 12 `pip install uv` is refused (PEP 668, an
externally managed environment) and python3-venv or pip may be absent. This downloads uv's wheel for this
machine from PyPI, checks its sha256 against the pin below, and extracts the `uv` binary to `.tools/bin/uv`
(the wheel is a zip whose `uv-<version>.data/scripts/uv` is the static binary). Nothing is installed
system-wide and nothing is written outside `--dest`.

Usage: python3 tools/install_uv.py [--dest DIR] [--base-url URL]
The binary's path is printed on stdout. `--base-url` (or HOMELAB_UV_BASE_URL) names a PyPI files mirror.

Exit codes: 0 installed (or already there), 1 no pinned wheel for this platform, 2 the download does not
match its pinned sha256 or is not a uv wheel (nothing installed), 3 the download failed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

VERSION = "0.13.9"
DEFAULT_BASE_URL = "https://files.pythonhosted.org/packages/"
EXIT_OK, EXIT_UNSUPPORTED, EXIT_MISMATCH, EXIT_DOWNLOAD = 0, 1, 2, 3


@dataclass(frozen=True)
class Wheel:
    """One pinned wheel: its path under PyPI's files host and its sha256 (from PyPI's JSON API)."""

    path: str
    sha256: str
    version: str = VERSION

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def member(self) -> str:
        return f"uv-{self.version}.data/scripts/uv"


WHEELS: dict[str, Wheel] = {
    "x86_64": Wheel(
        "3d/aa/26d64642d808de4a652579ef950d7cd2d37f080a8babf9c67c6b75fc4c3f/"
        "uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19"),
    "aarch64": Wheel(
        "57/15/94b6cd62ac3ff6550288328e8035288875197cbc183f51554b266a69877b/"
        "uv-0.13.9-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl",
        "5435c5ce14a56431208ca0996416d310f1598e8c2c8ba707688985a16bb82dbe"),
}
ARCH_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}


class InstallError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def wheel_for(system: str, machine: str) -> Wheel:
    arch = ARCH_ALIASES.get(machine.lower(), machine.lower())
    if system != "Linux" or arch not in WHEELS:
        raise InstallError(EXIT_UNSUPPORTED,
                           f"no pinned uv wheel for {system}/{machine} (pinned: Linux {', '.join(WHEELS)}): install "
                           f"uv {VERSION} yourself (https://docs.astral.sh/uv/getting-started/installation/) and "
                           "put it on PATH")
    return WHEELS[arch]


def download(url: str, target: Path) -> str:
    """Streams `url` into `target`; returns the sha256 of what was written."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=120) as response, target.open("wb") as out:  # noqa: S310
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    except (urllib.error.URLError, OSError) as error:
        raise InstallError(EXIT_DOWNLOAD, f"could not download {url}: {error}") from error
    return digest.hexdigest()


def install(wheel: Wheel, dest: Path, base_url: str = DEFAULT_BASE_URL) -> Path:
    """The installed binary: `dest/bin/uv`, replaced atomically; kept when it is already this version."""
    binary = dest / "bin" / "uv"
    stamp = dest / "bin" / ".uv-wheel-sha256"
    if binary.exists() and stamp.exists() and stamp.read_text().strip() == wheel.sha256:
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    url = base_url.rstrip("/") + "/" + wheel.path
    with tempfile.TemporaryDirectory(dir=dest) as scratch:
        archive = Path(scratch) / wheel.filename
        got = download(url, archive)
        if got != wheel.sha256:
            raise InstallError(EXIT_MISMATCH,
                               f"sha256 mismatch for {wheel.filename} from {url}: expected {wheel.sha256}, got "
                               f"{got}. The download was discarded and nothing was installed; if uv published a "
                               "new wheel on purpose, update the pin in tools/install_uv.py")
        try:
            with zipfile.ZipFile(archive) as zipped:
                data = zipped.read(wheel.member)
        except (zipfile.BadZipFile, KeyError) as error:
            raise InstallError(EXIT_MISMATCH, f"{wheel.filename} is not a uv wheel ({error})") from error
        staged = Path(scratch) / "uv"
        staged.write_bytes(data)
        staged.chmod(0o755)
        os.replace(staged, binary)
    stamp.write_text(wheel.sha256 + "\n")
    return binary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 tools/install_uv.py", description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=Path(__file__).resolve().parent.parent / ".tools",
                        help="folder that receives bin/uv (default: .tools in the project)")
    parser.add_argument("--base-url", default=os.environ.get("HOMELAB_UV_BASE_URL", DEFAULT_BASE_URL),
                        help="where PyPI's files are served (default: files.pythonhosted.org)")
    args = parser.parse_args(argv)
    try:
        wheel = wheel_for(platform.system(), platform.machine())
        args.dest.mkdir(parents=True, exist_ok=True)
        print(install(wheel, args.dest, args.base_url))
    except InstallError as error:
        print(f"install_uv: error: {error}", file=sys.stderr)
        return error.code
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
