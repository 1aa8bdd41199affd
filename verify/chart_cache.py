"""Fill the local chart cache from the chart repositories: `python -m verify charts fetch`.

Each release's chart is pulled at exactly its pinned version with Helm's own client (helm-python-sdk's `pull`,
`helm pull --untar`), unpacked into `<cache>/<chart>-<version>/`, and kept only when its Chart.yaml names that
chart and version. A chart already in any cache folder is not pulled again. Nothing else is written.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from components.cluster.charts import ALL, ChartPin
from verify import rendering

EXIT_OK, EXIT_FAILED = 0, 1


@dataclass(frozen=True)
class Fetched:
    pin: ChartPin
    status: str  # "cached", "fetched", "failed", "unavailable"
    detail: str


# Helm's own words when it read the repository's index and the pinned chart name and version are not in it
# (`FindChartInRepoURL`, pkg/repo chartrepo.go: `chart "<name>" version "<version>" not found in <url> repository`).
# An unreachable repository, or one without an index, says "is not a valid chart repository or cannot be reached".
_NOT_LISTED = re.compile(r'chart ".+" version ".+" not found in .+ repository')


def not_listed(helm_error: str) -> bool:
    """Whether a pull failed because the repository, reached, does not list the pinned chart and version: a wrong
    pin, never a network problem."""
    return _NOT_LISTED.search(helm_error) is not None


def fetch_one(pin: ChartPin, destination: Path, repository: str | None = None,
              search: list[Path] | None = None) -> Fetched:
    """Pull one pinned chart into `destination` (the repository defaults to the pin's own) unless a cache folder
    (`search`, by default every cache folder) already holds it."""
    found = rendering.locate(pin, search)
    if found is not None:
        return Fetched(pin, "cached", str(found))
    import helm_python

    destination.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination) as scratch:
        try:
            helm_python.pull(pin.chart, repo_url=repository or pin.repository, version=pin.version,
                             destination=scratch, untar=True, untar_dir=scratch)
        except helm_python.HelmError as error:
            said = f"helm pull {pin.chart} {pin.version} from {repository or pin.repository}: {error}"
            if not_listed(str(error)):
                return Fetched(pin, "failed", f"{said}; the repository answered without it: correct the pin's "
                                              f"chart name or version in components/cluster/charts.py")
            if not pin.source_offline:  # unreachable: the check falls back to its cited templates
                return Fetched(pin, "unavailable", f"{said}; the check uses its cited templates until it is pulled")
            return Fetched(pin, "failed", said)
        unpacked = Path(scratch) / pin.chart
        if not (unpacked / "Chart.yaml").is_file():
            return Fetched(pin, "failed", f"the archive of {pin.chart} {pin.version} holds no {pin.chart}/Chart.yaml")
        metadata = rendering.chart_metadata(unpacked)
        if metadata.get("name") != pin.chart or str(metadata.get("version")) != pin.version:
            return Fetched(pin, "failed", f"the repository served {metadata.get('name')} {metadata.get('version')}, "
                                          f"not {pin.chart} {pin.version}")
        target = destination / pin.source_name
        if target.exists():
            shutil.rmtree(target)
        unpacked.rename(target)
    return Fetched(pin, "fetched", str(target))


def fetch(destination: Path = rendering.PROJECT_CACHE, pins: tuple[ChartPin, ...] = ALL,
          say: Callable[[str], None] = print, quiet: bool = False) -> int:
    """Every pinned chart into the cache, one progress line each; non-zero when one could not be fetched.

    `quiet`: say nothing about charts already in a cache, and leave out the charts with no offline copy (what
    `make check` runs first, so it needs no separate setup step, stays silent once the cache is full, and never
    waits on a chart repository the check can do without).
    """
    failed: list[ChartPin] = []
    for index, pin in enumerate(pins, 1):
        cached = rendering.locate(pin) is not None
        if quiet and not pin.source_offline and not cached:
            continue
        if not (quiet and cached):
            say(f"[{index}/{len(pins)}] {pin.chart} {pin.version}: ...")
        result = fetch_one(pin, destination)
        if result.status == "failed":
            failed.append(pin)
        if not (quiet and cached):
            say(f"[{index}/{len(pins)}] {pin.chart} {pin.version}: {result.status} ({result.detail})")
    if failed:
        # `make check` fails on a missing chart it needs an offline copy of; it checks the other against its
        # cited templates (and its own fetch leaves it out), so a wrong pin of that one fails only here.
        needed = sum(pin.source_offline for pin in failed)
        say(f"{len(failed)} chart(s) could not be fetched"
            + ("; `make check` fails until they are in the cache" if needed else "; correct the pins named above"))
    return EXIT_FAILED if failed else EXIT_OK


def status(say: Callable[[str], None] = print) -> int:
    """Where each pinned chart's source is found, or that it is missing."""
    missing = 0
    for pin in ALL:
        found = rendering.locate(pin)
        if found is None and not pin.source_offline:
            say(f"{pin.chart} {pin.version}: not in the cache, no offline copy exists (`python -m verify charts fetch` "
                "pulls it where its repository is reachable; until then the check uses its cited templates)")
        elif found is None:
            missing += 1
            say(f"{pin.chart} {pin.version}: missing (run `python -m verify charts fetch`)")
        else:
            say(f"{pin.chart} {pin.version}: {found}")
    return EXIT_FAILED if missing else EXIT_OK


if __name__ == "__main__":
    sys.exit(fetch())
