"""Every version the project pins, read from the records that declare it, and the table docs/pinned-versions.md carries.

Three kinds of pin: the images of the Bifrost compose file, the Helm charts in `components.cluster.charts.ALL`,
and the Pulumi provider plugins (each provider's Python package installs the plugin of its own version, so the
version in uv.lock is the plugin's). A test keeps the table in the docs equal to `pins_table()`.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.cluster import charts
from verify import PROJECT_ROOT

COMPOSE_FILE = "cloud/bifrost/docker-compose.yml"
CHARTS_FILE = "components/cluster/charts.py"
PYPROJECT = "pyproject.toml"
UV_LOCK = "uv.lock"
PROVIDER_PREFIX = "pulumi-"
REQUIREMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

# Where each image's releases (and their notes) are published.
IMAGE_SOURCES: dict[str, str] = {
    "docker.io/library/traefik": "https://github.com/traefik/traefik/releases",
    "docker.io/library/postgres": "https://github.com/docker-library/postgres (versions.json)",
    "ghcr.io/goauthentik/server": "https://github.com/goauthentik/authentik/releases",
    "docker.io/netbirdio/netbird-server": "https://github.com/netbirdio/netbird/releases",
    "docker.io/netbirdio/reverse-proxy": "https://github.com/netbirdio/netbird/releases",
    "docker.io/netbirdio/netbird": "https://github.com/netbirdio/netbird/releases",
    "docker.io/netbirdio/dashboard": "https://github.com/netbirdio/dashboard/releases",
    "docker.io/library/python": "https://github.com/docker-library/official-images/blob/master/library/python",
    "ghcr.io/cloudnative-pg/postgresql": "https://github.com/cloudnative-pg/postgres-containers/pkgs/container/postgresql",
}


@dataclass(frozen=True)
class ImageRef:
    repository: str
    tag: str
    digest: str  # "" until Renovate's pinDigests adds one

    @classmethod
    def parse(cls, image: str) -> ImageRef:
        reference, _, digest = image.partition("@")
        repository, colon, tag = reference.rpartition(":")
        if not colon or "/" in tag or not tag:
            raise ValueError(f"image {image!r} has no tag: pin it as <repository>:<version>")
        return cls(repository, tag, digest)


@dataclass(frozen=True)
class Pin:
    kind: str
    name: str
    version: str
    declared_in: str
    source: str

    def row(self) -> str:
        return f"| {self.kind} | `{self.name}` | `{self.version}` | {self.declared_in} | {self.source} |"


def compose_images(root: Path = PROJECT_ROOT) -> dict[str, str]:
    """service name -> image, in the compose file's order."""
    return dict(_compose_images((root / COMPOSE_FILE).read_bytes()))


@functools.lru_cache(maxsize=4)
def _compose_images(text: bytes) -> tuple[tuple[str, str], ...]:
    document: dict[str, Any] = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    return tuple((name, str(service["image"])) for name, service in document["services"].items())


def image_pins(root: Path = PROJECT_ROOT) -> list[Pin]:
    services_by_image: dict[str, list[str]] = {}
    for service, image in compose_images(root).items():
        services_by_image.setdefault(image.partition("@")[0], []).append(service)
    pins = []
    for image, services in services_by_image.items():
        ref = ImageRef.parse(image)
        if ref.repository not in IMAGE_SOURCES:
            raise KeyError(f"{COMPOSE_FILE}: image {ref.repository} has no upstream source: "
                           f"add it to IMAGE_SOURCES in verify/pins.py")
        pins.append(Pin("image", ref.repository, ref.tag, f"`{COMPOSE_FILE}` ({', '.join(services)})",
                        IMAGE_SOURCES[ref.repository]))
    return pins


# The same form the Python-image regex manager in renovate.json reads.
PYTHON_IMAGE = re.compile(r'_IMAGE(?::\s*Final)?\s*=\s*"(?P<image>[^"@]+:[^"@:]+)"\s*#\s*renovate:\s*docker')


def python_images(root: Path = PROJECT_ROOT) -> dict[str, str]:
    """image -> the file that pins it, for images pinned in Python (a Job, a custom resource)."""
    found = {}
    for path in sorted((root / "components").rglob("*.py")):
        for match in PYTHON_IMAGE.finditer(path.read_text()):
            found[match["image"]] = str(path.relative_to(root))
    return found


def python_image_pins(root: Path = PROJECT_ROOT) -> list[Pin]:
    pins = []
    for image, path in python_images(root).items():
        ref = ImageRef.parse(image)
        if ref.repository not in IMAGE_SOURCES:
            raise KeyError(f"{path}: image {ref.repository} has no upstream source: add it to IMAGE_SOURCES in "
                           "verify/pins.py")
        pins.append(Pin("image", ref.repository, ref.tag, f"`{path}`", IMAGE_SOURCES[ref.repository]))
    return pins


def chart_pins() -> list[Pin]:
    return [Pin("chart", pin.chart, pin.version, f"`{CHARTS_FILE}` ({pin.key})", pin.repository)
            for pin in charts.ALL]


def locked_versions(root: Path = PROJECT_ROOT) -> dict[str, str]:
    return dict(_locked_versions((root / UV_LOCK).read_text()))


@functools.lru_cache(maxsize=4)
def _locked_versions(text: str) -> tuple[tuple[str, str], ...]:
    """Parsed once per content: the lock is the largest TOML file here and several checks read it."""
    lock = tomllib.loads(text)
    return tuple((package["name"], package["version"]) for package in lock["package"] if "version" in package)


def direct_dependencies(root: Path = PROJECT_ROOT) -> list[str]:
    """The names of the project's runtime dependencies, as pyproject.toml lists them."""
    project = tomllib.loads((root / PYPROJECT).read_text())["project"]
    return [requirement_name(requirement) for requirement in project["dependencies"]]


def requirement_name(requirement: str) -> str:
    match = REQUIREMENT_NAME.match(requirement)
    if match is None:
        raise ValueError(f"{PYPROJECT}: cannot read the package name of {requirement!r}")
    return match[0].lower()


def provider_pins(root: Path = PROJECT_ROOT) -> list[Pin]:
    locked = locked_versions(root)
    pins = []
    for name in direct_dependencies(root):
        if not name.startswith(PROVIDER_PREFIX):
            continue
        if name not in locked:
            raise KeyError(f"{PYPROJECT}: {name} is not in {UV_LOCK}: run `uv lock`")
        pins.append(Pin("provider plugin", name, locked[name], f"`{PYPROJECT}`, `{UV_LOCK}`",
                        f"https://github.com/pulumi/{name}/releases"))
    return pins


def all_pins(root: Path = PROJECT_ROOT) -> list[Pin]:
    return [*image_pins(root), *python_image_pins(root), *chart_pins(), *provider_pins(root)]


def pins_table(root: Path = PROJECT_ROOT) -> str:
    rows = ["| Kind | Name | Version | Declared in | Upstream source |", "|---|---|---|---|---|"]
    rows.extend(pin.row() for pin in all_pins(root))
    return "\n".join(rows)


if __name__ == "__main__":
    print(pins_table())
