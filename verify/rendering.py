"""Render each Helm release the program registers with its real chart, offline, with Helm's own renderer.

Chart sources come from a local chart cache: directories named `<chart>-<version>` (an unpacked chart, as
`helm pull --untar` leaves it). The cache is searched in order:

1. every folder in `HOMELAB_CHART_CACHE` (separated by `:`),
2. `.charts/` in the project (filled by `python -m verify charts fetch`),
3. `../shared/refs/charts-src/` beside the project, where a development checkout keeps its reference copies.

Rendering uses helm-python-sdk, which binds Helm v4's Go SDK (`chart.render` is `helm template`): the same template
engine, functions and subchart handling a real `helm install` uses.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.cluster.charts import ChartPin
from verify.evaluate import PROJECT_ROOT

CACHE_ENV = "HOMELAB_CHART_CACHE"
PROJECT_CACHE = PROJECT_ROOT / ".charts"
PARSE_CACHE = PROJECT_ROOT / ".cache" / "crds"
CRD_HEADER = ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n",
              "kind: CustomResourceDefinition\napiVersion: apiextensions.k8s.io/v1\n")
REFERENCE_SOURCES = PROJECT_ROOT.parent / "shared" / "refs" / "charts-src"
# Helm splits rendered templates on `(?:^|\s*\n)---\s*`, a `---` that starts a line; some templates emit
# `---# comment` (cert-manager rbac.yaml). This pattern splits at the same places without backtracking.
_SEPARATOR = re.compile(r"^---", re.MULTILINE)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
TEST_HOOKS = {"test", "test-success", "test-failure"}  # run only by `helm test`, never by an install


def cache_dirs() -> list[Path]:
    extra = [Path(part) for part in os.environ.get(CACHE_ENV, "").split(":") if part]
    return [*extra, PROJECT_CACHE, REFERENCE_SOURCES]


def chart_metadata(directory: Path) -> dict[str, Any]:
    loaded = yaml.load((directory / "Chart.yaml").read_text(), Loader=_LOADER)  # noqa: S506 - a safe loader
    return loaded if isinstance(loaded, dict) else {}


def locate(pin: ChartPin, directories: Iterable[Path] | None = None) -> Path | None:
    """The cached source of exactly the pinned chart and version, or None."""
    for base in cache_dirs() if directories is None else directories:
        candidate = base / pin.source_name
        if not (candidate / "Chart.yaml").is_file():
            continue
        metadata = chart_metadata(candidate)
        if metadata.get("name") == pin.chart and str(metadata.get("version")) == pin.version:
            return candidate
    return None


@dataclass
class RenderedRelease:
    pin: ChartPin
    status: str  # "rendered", "unavailable" (no source exists offline), "missing" (not in the cache), "failed"
    detail: str = ""
    objects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rendered(self) -> bool:
        return self.status == "rendered"


def split_manifests(text: str) -> list[dict[str, Any]]:
    documents = []
    for part in _SEPARATOR.split(text):
        if not part.strip():
            continue
        loaded = _parse(part)
        if isinstance(loaded, dict) and loaded:
            documents.append(loaded)
    return documents


def _parse(document: str) -> Any:
    """One YAML document. CustomResourceDefinitions, most of the rendered text and static for a pinned chart, are
    kept parsed by content digest as JSON (read far faster than YAML). Nothing else is cached: any other object
    may carry a value, and nothing that might be a secret is written to the disk.
    """
    import hashlib

    if not document.lstrip().startswith(CRD_HEADER):
        return yaml.load(document, Loader=_LOADER)  # noqa: S506 - a safe loader
    digest = hashlib.sha256(document.encode()).hexdigest()
    cached = PARSE_CACHE / digest[:2] / f"{digest}.json"
    try:
        return json.loads(cached.read_text())
    except (OSError, ValueError):
        pass
    loaded = yaml.load(document, Loader=_LOADER)  # noqa: S506 - a safe loader
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(loaded))
        temporary.replace(cached)
    except (OSError, TypeError, ValueError):
        pass  # a read-only checkout, or a value JSON cannot hold: parse again next time
    return loaded


def is_test_hook(manifest: dict[str, Any]) -> bool:
    hooks = str(manifest.get("metadata", {}).get("annotations", {}).get("helm.sh/hook", ""))
    return bool({hook.strip() for hook in hooks.split(",")} & TEST_HOOKS)


@functools.cache
def _render_cached(directory: str, values_json: str, release: str, namespace: str) -> tuple[str, ...]:
    import helm_python

    # A chart object rendered once has its disabled subcharts pruned in place: load it afresh for each values set.
    with helm_python.Chart.load(directory) as chart:
        rendered = chart.render(json.loads(values_json), name=release, namespace=namespace)
    return tuple(text for path, text in sorted(rendered.items()) if not path.endswith("NOTES.txt"))


def render(pin: ChartPin, values: dict[str, Any], directories: Iterable[Path] | None = None) -> RenderedRelease:
    """The release's manifests as a real install applies them (test hooks left out), namespaces filled in."""
    if not pin.source_offline:
        return RenderedRelease(pin, "unavailable", "chart source unavailable offline")
    directory = locate(pin, directories)
    if directory is None:
        return RenderedRelease(pin, "missing", f"chart source {pin.source_name} not in the chart cache "
                                               "(fill it with `python -m verify charts fetch`)")
    try:
        texts = _render_cached(str(directory), json.dumps(values, sort_keys=True), pin.release_name, pin.namespace)
    except Exception as error:  # the renderer's own message says what is wrong with the values
        return RenderedRelease(pin, "failed", f"helm could not render {pin.source_name}: {error}")
    objects = [manifest for text in texts for manifest in split_manifests(text) if not is_test_hook(manifest)]
    return RenderedRelease(pin, "rendered", str(directory), objects)
