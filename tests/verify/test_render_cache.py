"""The cache of rendered chart output: a warm render needs no Helm, and nothing secret is ever stored."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from components.cluster import charts
from verify import cache_files, rendering
from verify.mocks import SECRET_SIG, SECRET_SIG_KEY, is_secret_marker

DEMO = dataclasses.replace(charts.VALKEY, key="demo", chart="demo", version="0.1.0", release_name="demo",
                           namespace="demo")
TOKEN = "Canary-render-cache-token-5f1e2d3c4b"
CONFIG_MAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  annotations:
    digest: {{ .Values.digest | quote }}
data:
  plain: {{ .Values.plain | quote }}
  encoded: {{ .Values.encoded | default "" | b64enc | quote }}
"""
SECRET = """{{- if .Values.secretData }}
apiVersion: v1
kind: Secret
metadata:
  name: demo
stringData:
  password: {{ .Values.secretData | quote }}
{{- end }}
"""


def marked(value: str) -> dict[str, str]:
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    """A small chart of our own, in a chart cache folder of its own."""
    directory = tmp_path / "charts" / DEMO.source_name
    (directory / "templates").mkdir(parents=True)
    (directory / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (directory / "values.yaml").write_text("digest: ''\nplain: ''\nencoded: ''\nsecretData: ''\n")
    (directory / "templates" / "configmap.yaml").write_text(CONFIG_MAP)
    (directory / "templates" / "secret.yaml").write_text(SECRET)
    return directory


def render(chart: Path, cache: Path, values: dict[str, Any], forbidden: tuple[str, ...] = ()
           ) -> rendering.RenderedRelease:
    release = rendering.render(DEMO, values, directories=[chart.parent], forbidden=forbidden, cache=cache)
    assert release.rendered, release.detail
    return release


def stored(cache: Path) -> list[str]:
    return [path.read_text() for path in sorted(cache.rglob("*.json"))]


def no_helm(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any) -> tuple[str, ...]:
        raise AssertionError("Helm was called for an output the cache holds")

    monkeypatch.setattr(rendering, "_render_texts", refuse)


def test_a_warm_render_reads_the_stored_output_without_helm(chart: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "rendered"
    cold = render(chart, cache, {"plain": "hello"})
    assert len(stored(cache)) == 1
    no_helm(monkeypatch)
    warm = render(chart, cache, {"plain": "hello"})
    assert warm.objects == cold.objects
    assert warm.objects[0]["data"]["plain"] == "hello"
    warm.objects[0]["data"]["plain"] = "changed"  # each reader gets its own objects
    assert render(chart, cache, {"plain": "hello"}).objects == cold.objects


def test_other_values_or_another_chart_file_render_again(chart: Path, tmp_path: Path) -> None:
    cache = tmp_path / "rendered"
    render(chart, cache, {"plain": "one"})
    assert render(chart, cache, {"plain": "two"}).objects[0]["data"]["plain"] == "two"
    assert len(stored(cache)) == 2
    changed = tmp_path / "other" / DEMO.source_name
    changed.parent.mkdir()
    import shutil

    shutil.copytree(chart, changed)
    (changed / "templates" / "configmap.yaml").write_text(CONFIG_MAP.replace("plain:", "renamed:"))
    again = rendering.render(DEMO, {"plain": "one"}, directories=[changed.parent], cache=cache)
    assert again.objects[0]["data"]["renamed"] == "one"


def test_the_key_names_chart_values_release_and_renderer(chart: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = rendering.render_key(chart, {"plain": "x"}, "demo", "demo")
    assert key != rendering.render_key(chart, {"plain": "y"}, "demo", "demo")
    assert key != rendering.render_key(chart, {"plain": marked("x")}, "demo", "demo")
    assert key != rendering.render_key(chart, {"plain": "x"}, "other", "demo")
    assert key != rendering.render_key(chart, {"plain": "x"}, "demo", "other")
    monkeypatch.setattr(rendering, "_renderer_version", lambda: "0.0.0")
    assert key != rendering.render_key(chart, {"plain": "x"}, "demo", "demo")


def test_a_secret_marked_value_is_never_stored_and_comes_back_on_reading(
        chart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "rendered"
    values = {"digest": marked(TOKEN), "plain": "visible"}
    cold = render(chart, cache, values)
    assert cold.objects[0]["metadata"]["annotations"]["digest"] == TOKEN
    (text,) = stored(cache)
    assert TOKEN not in text and "visible" in text
    no_helm(monkeypatch)
    assert render(chart, cache, values).objects == cold.objects



def is_marked(values: dict[str, Any]) -> bool:
    return any(is_secret_marker(value) for value in values.values())

@pytest.mark.parametrize("values", [
    {"encoded": marked(TOKEN)},  # the secret's base64 stays after its text is taken out
    {"plain": TOKEN},  # a canary outside any marker (a leak the check reports): never written to the disk
    {"secretData": "generated-or-not"},  # a rendered Secret's values
], ids=["base64 of a secret", "canary", "Secret data"])
def test_an_output_holding_a_secret_is_not_stored(chart: Path, tmp_path: Path, values: dict[str, Any]) -> None:
    cache = tmp_path / "rendered"
    # A marked value is kept out by its marker alone: nothing forbidden beside it, so the guard's own handling
    # of secret-marked values is what is tested.
    release = render(chart, cache, values, forbidden=() if is_marked(values) else (TOKEN,))
    assert release.objects, "rendered all the same"
    assert stored(cache) == []



COUNTED = """{{- if .Values.count }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: demo-counted
count: {{ .Values.count }}
{{- end }}
"""


@pytest.mark.parametrize("beyond", [2**64 + 1, -(2**63) - 1])
def test_an_output_with_a_number_beyond_64_bits_is_not_stored(chart: Path, tmp_path: Path, beyond: int) -> None:
    """The cache is read back with orjson, which reads such a number as a float: it is rendered each time. The
    template writes the text unquoted, so the rendered manifest holds the integer itself."""
    (chart / "templates" / "counted.yaml").write_text(COUNTED)
    cache = tmp_path / "rendered"
    release = render(chart, cache, {"count": str(beyond)})
    assert [item["count"] for item in release.objects if item["metadata"]["name"] == "demo-counted"] == [beyond]
    assert stored(cache) == []
    again = render(chart, cache, {"count": str(beyond)})  # rendered again, never read back as a float
    assert [item["count"] for item in again.objects if item["metadata"]["name"] == "demo-counted"] == [beyond]
    assert render(chart, cache, {"count": "1844674407370955161"}).objects  # 19 digits: an int64, stored
    assert len(stored(cache)) == 1


CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: demos.example.com
  annotations:
    token: {{ .Values.plain | quote }}
spec:
  group: example.com
  names: {kind: Demo, plural: demos}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
"""


@pytest.mark.parametrize("values", [{"plain": marked(TOKEN)}, {"plain": TOKEN}], ids=["marked", "canary"])
def test_a_crd_holding_a_secret_is_not_kept_parsed(chart: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   values: dict[str, Any]) -> None:
    """A chart's CRDs are kept parsed on disk by content (they are static), unless a template put a value's
    secret or a canary in one."""
    monkeypatch.setattr(rendering, "PARSE_CACHE", tmp_path / "parsed")
    (chart / "templates" / "crd.yaml").write_text(CRD)
    forbidden = () if is_marked(values) else (TOKEN,)
    release = render(chart, tmp_path / "rendered", values, forbidden=forbidden)
    assert any(item["kind"] == "CustomResourceDefinition" for item in release.objects)
    kept = [path.read_text() for path in (tmp_path / "parsed").rglob("*.json")]
    assert not any(TOKEN in text for text in kept)
    (chart / "templates" / "crd.yaml").write_text(CRD.replace("{{ .Values.plain | quote }}", "static"))
    render(chart, tmp_path / "rendered", values, forbidden=forbidden)
    assert list((tmp_path / "parsed").rglob("*.json")), "a CRD without one is kept parsed"


def test_the_guard_itself_finds_each_form(chart: Path, tmp_path: Path) -> None:
    """The refusals above come from the guard, not from the renderer: the same outputs with nothing forbidden
    are stored."""
    cache = tmp_path / "rendered"
    render(chart, cache, {"plain": TOKEN})
    render(chart, cache, {"encoded": "not-secret-at-all"})
    texts = stored(cache)
    assert any(TOKEN in text for text in texts)
    assert any(base64.b64encode(b"not-secret-at-all").decode() in text for text in texts)


def test_no_cache_always_renders(chart: Path, tmp_path: Path) -> None:
    release = rendering.render(DEMO, {"plain": "x"}, directories=[chart.parent], cache=None)
    assert release.rendered and not list(tmp_path.rglob("*.json"))


# --- The chart digest, remembered by the files' stamps ---------------------------------------------------------

def chart_tree(root: Path) -> Path:
    chart = root / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "templates" / "cm.yaml").write_text(CONFIG_MAP)
    return chart


def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """A minute from now: every file of the tree is older than the racy window (as a chart unpacked a while
    ago; a file's change time cannot be moved back)."""
    import time

    now = time.time_ns()
    monkeypatch.setattr(time, "time_ns", lambda: now + 60 * 10**9)


def test_a_remembered_chart_digest_is_the_digest_of_its_content(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_files, "CHECK_CACHE", tmp_path / "cache")
    chart = chart_tree(tmp_path)
    settled(monkeypatch)
    content = rendering._content_digest(str(chart), rendering._chart_files(str(chart)))
    assert rendering.chart_digest.__wrapped__(str(chart)) == content
    assert len(list((tmp_path / "cache" / "chart-digests").iterdir())) == 1
    monkeypatch.setattr(rendering, "_content_digest", lambda *args: pytest.fail("read again"))
    assert rendering.chart_digest.__wrapped__(str(chart)) == content


def test_a_changed_chart_file_changes_the_digest_even_with_its_size_and_time_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setattr(cache_files, "CHECK_CACHE", tmp_path / "cache")
    chart = chart_tree(tmp_path)
    settled(monkeypatch)
    before = rendering.chart_digest.__wrapped__(str(chart))
    template = chart / "templates" / "cm.yaml"
    status = template.stat()
    template.write_text(CONFIG_MAP.replace("plain", "PLAIN"))  # same size
    os.utime(template, ns=(status.st_atime_ns, status.st_mtime_ns))  # same change time; ctime still moves
    assert rendering.chart_digest.__wrapped__(str(chart)) != before


def test_a_chart_changed_just_now_is_read_and_not_remembered(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_files, "CHECK_CACHE", tmp_path / "cache")
    chart = chart_tree(tmp_path)  # its ctime is now, inside the racy window
    rendering.chart_digest.__wrapped__(str(chart))
    assert not (tmp_path / "cache" / "chart-digests").exists()
