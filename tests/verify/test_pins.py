"""docs/pinned-versions.md: generated from the pin records, every pin with its upstream source."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from components.cluster import charts
from verify import PROJECT_ROOT, pins
from verify.docs import between

DOC = PROJECT_ROOT / "docs" / "pinned-versions.md"


def project_copy(tmp_path: Path, compose: str | None = None, pyproject: str | None = None) -> Path:
    """The files verify.pins reads, copied under tmp_path, with one of them replaced."""
    for name in (pins.COMPOSE_FILE, pins.PYPROJECT, pins.UV_LOCK):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_ROOT / name, tmp_path / name)
    if compose is not None:
        (tmp_path / pins.COMPOSE_FILE).write_text(compose)
    if pyproject is not None:
        (tmp_path / pins.PYPROJECT).write_text(pyproject)
    return tmp_path


def test_the_docs_table_is_the_generated_one() -> None:
    assert between(DOC.read_text(), "pins") == pins.pins_table(), "run `python -m verify.pins` and paste the table"


def test_the_readme_links_the_pinned_versions_page() -> None:
    assert "docs/pinned-versions.md" in (PROJECT_ROOT / "README.md").read_text()


def test_every_image_chart_and_provider_is_listed_with_a_source() -> None:
    table = pins.pins_table()
    for image in pins.compose_images().values():
        ref = pins.ImageRef.parse(image)
        assert f"| `{ref.repository}` | `{ref.tag}` |" in table
    for chart in charts.ALL:
        assert f"| `{chart.chart}` | `{chart.version}` |" in table
    providers = [name for name in pins.direct_dependencies() if name.startswith(pins.PROVIDER_PREFIX)]
    assert providers and all(f"| `{name}` |" in table for name in providers)
    assert all(pin.source.startswith("https://") for pin in pins.all_pins())


def test_an_image_without_a_known_source_is_refused(tmp_path: Path) -> None:
    compose = (PROJECT_ROOT / pins.COMPOSE_FILE).read_text().replace(
        "docker.io/library/traefik:", "docker.io/example/traefik-fork:")
    with pytest.raises(KeyError, match=r"docker\.io/example/traefik-fork has no upstream source"):
        pins.image_pins(project_copy(tmp_path, compose=compose))


def test_an_unlocked_provider_is_refused(tmp_path: Path) -> None:
    pyproject = (PROJECT_ROOT / pins.PYPROJECT).read_text().replace(
        '"pulumi-tls==', '"pulumi-unlockedprovider==6.0.0",\n    "pulumi-tls==')
    with pytest.raises(KeyError, match=r"pulumi-unlockedprovider is not in uv\.lock"):
        pins.provider_pins(project_copy(tmp_path, pyproject=pyproject))


def test_provider_versions_are_the_locked_ones_and_pinned_exactly() -> None:
    locked = pins.locked_versions()
    text = (PROJECT_ROOT / pins.PYPROJECT).read_text()
    for pin in pins.provider_pins():
        assert pin.version == locked[pin.name]
        assert f'"{pin.name}=={pin.version}"' in text, f"{pin.name} must be pinned with == in pyproject.toml"


@pytest.mark.parametrize(("image", "expected"), [
    ("docker.io/library/traefik:v3.7.9", ("docker.io/library/traefik", "v3.7.9", "")),
    ("ghcr.io/goauthentik/server:2026.2.7@sha256:" + "a" * 64,
     ("ghcr.io/goauthentik/server", "2026.2.7", "sha256:" + "a" * 64)),
    ("registry.example:5000/team/app:1.2.3", ("registry.example:5000/team/app", "1.2.3", "")),
])
def test_image_references_parse_with_and_without_digest(image: str, expected: tuple[str, str, str]) -> None:
    ref = pins.ImageRef.parse(image)
    assert (ref.repository, ref.tag, ref.digest) == expected


@pytest.mark.parametrize("image", ["docker.io/library/traefik", "registry.example:5000/team/app"])
def test_an_untagged_image_is_refused(image: str) -> None:
    with pytest.raises(ValueError, match="has no tag"):
        pins.ImageRef.parse(image)
