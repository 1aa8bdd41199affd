"""The chart cache is filled from a real chart repository (a local one served on loopback) by Helm's client."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.cluster import charts
from tests.conftest import refs_path
from verify import chart_cache, rendering


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[str]:
    """A chart repository holding the valkey chart, packaged and indexed by Helm itself."""
    import helm_python

    source = refs_path("charts-src", charts.VALKEY.source_name)
    served = tmp_path / "repo"
    served.mkdir()
    helm_python.package(str(source), destination=str(served))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    helm_python.repo_index_generate(str(served), base_url=f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_a_pinned_chart_is_pulled_unpacked_and_found(repository: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    result = chart_cache.fetch_one(charts.VALKEY, cache, repository=repository, search=[cache])
    assert result.status == "fetched", result.detail
    assert rendering.locate(charts.VALKEY, [cache]) == cache / charts.VALKEY.source_name
    rendered = rendering.render(charts.VALKEY, {}, directories=[cache])
    assert rendered.rendered and any(item["kind"] == "Deployment" for item in rendered.objects)
    again = chart_cache.fetch_one(charts.VALKEY, cache, repository=repository, search=[cache])
    assert again.status == "cached"


def test_a_version_the_repository_does_not_serve_fails_clearly(repository: str, tmp_path: Path) -> None:
    absent = dataclasses.replace(charts.VALKEY, version="0.0.9")
    result = chart_cache.fetch_one(absent, tmp_path / "cache", repository=repository, search=[tmp_path / "cache"])
    assert result.status == "failed" and "valkey 0.0.9" in result.detail
    assert not (tmp_path / "cache" / absent.source_name).exists()
    lines: list[str] = []
    served = dataclasses.replace(absent, repository=repository)
    assert chart_cache.fetch(tmp_path / "cache", (served,), lines.append) == chart_cache.EXIT_FAILED
    assert lines[-1] == "1 chart(s) could not be fetched; `make check` fails until they are in the cache"


# A chart with no offline copy of its source (infisical-standalone): the same record, under the valkey chart's
# name and version so that the local repository serves it.
NO_OFFLINE_COPY = dataclasses.replace(charts.VALKEY, source_offline=False, upstream=charts.INFISICAL.upstream)


def test_a_chart_without_an_offline_copy_is_pulled_and_then_rendered(repository: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert rendering.render(NO_OFFLINE_COPY, {}, directories=[cache]).status == "unavailable"
    result = chart_cache.fetch_one(NO_OFFLINE_COPY, cache, repository=repository, search=[cache])
    assert result.status == "fetched", result.detail
    rendered = rendering.render(NO_OFFLINE_COPY, {}, directories=[cache], cache=None)
    assert rendered.rendered and any(item["kind"] == "Deployment" for item in rendered.objects)


def test_a_chart_without_an_offline_copy_that_cannot_be_pulled_leaves_the_check_to_its_cited_templates(
        tmp_path: Path) -> None:
    result = chart_cache.fetch_one(charts.INFISICAL, tmp_path, repository="http://127.0.0.1:9", search=[tmp_path])
    assert result.status == "unavailable" and "cited templates" in result.detail
    lines: list[str] = []
    unreachable = dataclasses.replace(charts.INFISICAL, repository="http://127.0.0.1:9")
    assert chart_cache.fetch(tmp_path, (unreachable,), lines.append) == 0, "not a failure of the fetch"
    assert "unavailable" in lines[-1]


def test_a_chart_without_an_offline_copy_at_a_version_its_repository_lacks_fails(repository: str,
                                                                                   tmp_path: Path) -> None:
    """Helm read the index and the version is not in it: a wrong pin, not an outage, so the fetch fails even for
    a chart the check could do without (a version bumped ahead of its repository is caught here)."""
    absent = dataclasses.replace(NO_OFFLINE_COPY, version="0.0.9", repository=repository)
    result = chart_cache.fetch_one(absent, tmp_path, search=[tmp_path])
    assert result.status == "failed", result.detail
    assert 'version "0.0.9" not found' in result.detail and "components/cluster/charts.py" in result.detail
    lines: list[str] = []
    assert chart_cache.fetch(tmp_path, (absent,), lines.append) == chart_cache.EXIT_FAILED
    assert lines[-1] == "1 chart(s) could not be fetched; correct the pins named above"


def test_only_helms_not_listed_error_is_a_wrong_pin() -> None:
    assert chart_cache.not_listed('chart "valkey" version "0.0.9" not found in http://127.0.0.1:1 repository')
    assert not chart_cache.not_listed('looks like "http://127.0.0.1:9" is not a valid chart repository or cannot be '
                                      'reached: Get "http://127.0.0.1:9/index.yaml": dial tcp: connection refused')
    assert not chart_cache.not_listed("failed to fetch http://127.0.0.1:1/valkey-0.3.0.tgz : 404 Not Found")


def test_the_checks_own_fetch_is_silent_when_everything_is_cached(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import helm_python

    refs_path("charts-src", charts.VALKEY.source_name)
    monkeypatch.setattr(rendering, "cache_dirs", lambda: [tmp_path, rendering.REFERENCE_SOURCES])
    # What `make check` runs first never waits on the repository of a chart it can do without.
    monkeypatch.setattr(helm_python, "pull", lambda *args, **kwargs: pytest.fail("pulled"))
    lines: list[str] = []
    assert chart_cache.fetch(tmp_path, (charts.VALKEY, charts.INFISICAL), lines.append, quiet=True) == 0
    assert lines == [] and not any(tmp_path.iterdir())
    assert chart_cache.fetch(tmp_path, (charts.VALKEY,), lines.append) == 0
    assert len(lines) == 2 and "cached" in lines[1]
