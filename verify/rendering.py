"""Render each Helm release the program registers with its real chart, offline, with Helm's own renderer.

Chart sources come from a local chart cache: directories named `<chart>-<version>` (an unpacked chart, as
`helm pull --untar` leaves it). The cache is searched in order:

1. every folder in `HOMELAB_CHART_CACHE` (separated by `:`),
2. `.charts/` in the project (filled by `python -m verify charts fetch`),
3. `../shared/refs/charts-src/` beside the project, where a development checkout keeps its reference copies.

Rendering uses helm-python-sdk, which binds Helm v4's Go SDK (`chart.render` is `helm template`): the same template
engine, functions and subchart handling a real `helm install` uses.

A rendered output is remembered in the check cache (`.cache/rendered/`, see cache_files.CHECK_CACHE) under a
digest of everything it depends on, so a warm check neither loads the native Helm library nor parses YAML; why
that is sound, and what is never stored, is written beside `render` below.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.cluster.charts import ChartPin
from verify import PROJECT_ROOT, cache_files, jsontext
from verify.mocks import is_secret_marker, unwrap

CACHE_ENV = "HOMELAB_CHART_CACHE"
PROJECT_CACHE = PROJECT_ROOT / ".charts"
PARSE_CACHE = cache_files.CHECK_CACHE / "parsed"
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
    loaded = parse_static((directory / "Chart.yaml").read_text())
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
    # "rendered"; "unavailable" (not in the cache, and no offline copy of its source exists); "missing" (not in
    # the cache, though an offline copy exists: the check fails); "failed"
    status: str
    detail: str = ""
    objects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rendered(self) -> bool:
        return self.status == "rendered"


def split_manifests(text: str, needles: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The rendered text's objects. `needles`: the forms of every secret and canary of the values, which a
    document kept parsed on disk must not hold."""
    documents = []
    held = tuple(needles)
    for part in _SEPARATOR.split(text):
        if not part.strip():
            continue
        loaded = _parse(part, held)
        if isinstance(loaded, dict) and loaded:
            documents.append(loaded)
    return documents


def _parse(document: str, needles: tuple[str, ...]) -> Any:
    """One rendered YAML document. CustomResourceDefinitions, most of the rendered text and static for a pinned
    chart, are kept parsed (see `parse_static`) unless a template put a value's secret in one; any other object
    may carry a value and is parsed each time (a whole rendered output is stored only under `_storable`'s rules)."""
    if not document.lstrip().startswith(CRD_HEADER) or any(needle in document for needle in needles):
        return yaml.load(document, Loader=_LOADER)  # noqa: S506 - a safe loader
    return parse_static(document)


def parse_static(text: str) -> Any:
    """YAML text that holds no program value (a chart's own files, its CRDs), kept parsed by content digest as
    JSON, which is read far faster than YAML."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    cached = PARSE_CACHE / digest[:2] / f"{digest}.json"
    try:
        return json.loads(cached.read_text())
    except (OSError, ValueError):
        pass
    loaded = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    with contextlib.suppress(TypeError, ValueError):  # a value JSON cannot hold: parsed again next time
        cache_files.write_whole(cached, json.dumps(loaded))
    return loaded


def chart_values(directory: Path) -> dict[str, Any]:
    """A chart's own values.yaml, parsed (empty when it has none)."""
    path = directory / "values.yaml"
    loaded = parse_static(path.read_text()) if path.is_file() else None
    return loaded if isinstance(loaded, dict) else {}


def is_test_hook(manifest: dict[str, Any]) -> bool:
    hooks = str(manifest.get("metadata", {}).get("annotations", {}).get("helm.sh/hook", ""))
    return bool({hook.strip() for hook in hooks.split(",")} & TEST_HOOKS)


# --- Rendered output, cached by content ------------------------------------------------------------------------
#
# Helm's rendering is a function of its inputs. helm-python-sdk's `Chart.render` calls the native `helm_render`
# (helm-c-sdk pkg/wrapper/render.go), which runs `commonutil.ToRenderValues(chart, values, releaseOptions,
# common.DefaultCapabilities)` and then `engine.Render(chart, renderValues)` of Helm v4: the chart's files, the
# values, the release name and namespace (revision 1, an install), and capabilities fixed in the library build.
# No cluster client is given, so `lookup` returns empty results (helm.sh/helm/v4 pkg/engine/engine.go), and
# nothing else is read. Only sprig's random and clock functions (randAlphaNum, uuidv4, genCA, now, ...) vary from
# one render to the next; no check reads what they produce (argo-cd's `now` is used only with an admin password,
# which the program never sets), and an output holding a Secret value is never cached (see `_storable`).
#
# So a digest of (every file of the chart directory, the exact values, the release, the namespace, the renderer's
# version, this module's output format) names one rendered output, and a warm check reads it instead of loading
# the native library (its 244 MB shared object) and parsing the YAML again.

RENDER_CACHE = cache_files.CHECK_CACHE / "rendered"
RENDER_FORMAT = "1"  # the stored objects' shape: raise it when split_manifests or is_test_hook changes
# Stands for the n-th secret-marked value of the values in a stored output; restored from the values on reading.
_SECRET_SLOT = "\x00homelab-secrets:secret-value:{}\x00"
_STORED_SLOT = re.compile(r"\\u0000homelab-secrets:secret-value:([0-9]+)\\u0000")  # a slot in JSON text


@functools.cache
def _renderer_version() -> str:
    from importlib.metadata import version

    return version("helm-python-sdk")


def _chart_files(directory: str) -> list[Path]:
    found = []
    for root, folders, files in os.walk(directory):
        folders.sort()
        found += [Path(root, name) for name in sorted(files)]
    return found


def _content_digest(directory: str, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        data = path.read_bytes()
        digest.update(f"{path.relative_to(directory)}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


# A file changed again within this many seconds of its last change could keep its size and change time (the
# clock the file system stamps with is coarse): such a tree's digest is not remembered (git's "racy" rule).
RACY_SECONDS = 2.0


@functools.cache
def chart_digest(directory: str) -> str:
    """A digest of every file of a chart directory, by relative path and content (a superset of what Helm
    loads: a `.helmignore`d file only makes the digest change more often, never less).

    Remembered in the check cache (`chart-digests/`) under a digest of each file's path, size, change time and
    inode, as git's index remembers file contents: reading every file of six charts was a thirtieth of a warm
    check. A tree with a file changed in the last RACY_SECONDS is always read.
    """
    files = _chart_files(directory)
    stamps = hashlib.sha256()
    newest = 0
    for path in files:
        status = path.stat()
        newest = max(newest, status.st_mtime_ns, status.st_ctime_ns)
        stamps.update(f"{path.relative_to(directory)}\0{status.st_size}\0{status.st_mtime_ns}\0"
                      f"{status.st_ctime_ns}\0{status.st_ino}\0".encode())
    remembered = cache_files.CHECK_CACHE / "chart-digests" / stamps.hexdigest()
    try:
        stored = remembered.read_text(encoding="ascii")
        if re.fullmatch(r"[0-9a-f]{64}", stored):
            return stored
    except (OSError, UnicodeDecodeError):
        pass
    digest = _content_digest(directory, files)
    if time.time_ns() - newest > RACY_SECONDS * 1e9:
        cache_files.write_whole(remembered, digest)
    return digest


def secret_values(value: Any) -> list[str]:
    """The text of every secret-marked value inside Helm values, in walk order."""
    if is_secret_marker(value):
        inner = unwrap(value.get("value"))
        return [inner if isinstance(inner, str) else json.dumps(inner, sort_keys=True)]
    if isinstance(value, dict):
        return [text for item in value.values() for text in secret_values(item)]
    if isinstance(value, list):
        return [text for item in value for text in secret_values(item)]
    return []


def _replace_strings(value: Any, replace: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, dict):
        return {replace(key): _replace_strings(item, replace) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_strings(item, replace) for item in value]
    return value


def _forms(text: str) -> set[str]:
    """What a secret's text may look like once a template has used it: verbatim, base64, JSON-escaped, and each
    of its lines (a PEM key split by `indent`)."""
    forms = {text, base64.b64encode(text.encode()).decode(), json.dumps(text)[1:-1],
             json.dumps(text, ensure_ascii=False)[1:-1]}
    forms.update(line.strip() for line in text.splitlines())
    return {form for form in forms if len(form) >= 8}


def _redacted(objects: list[dict[str, Any]], secrets: list[str]) -> list[dict[str, Any]] | None:
    """The objects with each secret-marked value's text replaced by its slot; None if a slot's text was there."""
    slots = sorted(((text, _SECRET_SLOT.format(index)) for index, text in enumerate(secrets) if text),
                   key=lambda pair: -len(pair[0]))
    if any(secret in slot for secret, _ in slots for _, slot in slots):
        return None  # a value that a slot's own text holds could not be told apart from it on reading
    collided = False

    def replace(text: str) -> str:
        nonlocal collided
        collided = collided or "\x00homelab-secrets:" in text
        for secret, slot in slots:
            text = text.replace(secret, slot)
        return text

    redacted = [_replace_strings(manifest, replace) for manifest in objects]
    return None if collided else redacted


def _restored(text: str, secrets: list[str]) -> str:
    """A stored output's JSON text with each slot replaced by its secret's text, escaped as JSON writes it."""
    if "\\u0000homelab-secrets:" not in text:
        return text
    return _STORED_SLOT.sub(lambda match: json.dumps(secrets[int(match[1])], ensure_ascii=False)[1:-1], text)


def _holds_secret_data(manifest: dict[str, Any]) -> bool:
    """A rendered Secret with values: a chart may generate them (randAlphaNum), and they are secrets."""
    return manifest.get("kind") == "Secret" and any(
        value for field in ("data", "stringData") for value in (manifest.get(field) or {}).values())


def _needles(secrets: list[str], forbidden: Iterable[str]) -> frozenset[str]:
    """Every form of every secret-marked value and of every forbidden text (canaries)."""
    return frozenset(form for secret in [*secrets, *forbidden] if secret for form in _forms(secret))


def _storable(objects: list[dict[str, Any]], secrets: list[str], needles: frozenset[str]) -> str | None:
    """The JSON text to store for a rendered output, or None when it must not be stored: it holds a Secret's
    values, or after the secret-marked values are taken out any of the `needles` (`_needles`) is still there."""
    if any(_holds_secret_data(manifest) for manifest in objects):
        return None
    redacted = _redacted(objects, secrets)
    if redacted is None:
        return None
    text = json.dumps(redacted, ensure_ascii=False, separators=(",", ":"))
    if any(needle in text for needle in needles) or jsontext.LONG_NUMBER.search(text):
        return None  # a secret, or a number jsontext.loads would read back as another (a float)
    return text


def render_key(directory: Path, values: dict[str, Any], release: str, namespace: str) -> str:
    """The stored output's name. `values` with their secret markers: which values are secret is part of it."""
    identity = json.dumps({"format": RENDER_FORMAT, "renderer": _renderer_version(), "release": release,
                           "namespace": namespace, "chart": chart_digest(str(directory)), "values": values},
                          sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(identity.encode()).hexdigest()


@functools.cache
def _render_texts(directory: str, values_json: str, release: str, namespace: str) -> tuple[str, ...]:
    import helm_python

    # A chart object rendered once has its disabled subcharts pruned in place: load it afresh for each values set.
    with helm_python.Chart.load(directory) as chart:
        rendered = chart.render(json.loads(values_json), name=release, namespace=namespace)
    return tuple(text for path, text in sorted(rendered.items()) if not path.endswith("NOTES.txt"))


_STORED_TEXTS: dict[Path, str] = {}


def _stored_text(path: Path) -> str | None:
    """A stored output's JSON text, read once per process (each reader gets its own objects from it)."""
    if path not in _STORED_TEXTS:
        try:
            _STORED_TEXTS[path] = path.read_text(encoding="utf-8")
        except OSError:
            return None
    return _STORED_TEXTS[path]


def _read_stored(path: Path, secrets: list[str]) -> list[dict[str, Any]] | None:
    text = _stored_text(path)
    try:
        loaded = jsontext.loads(_restored(text, secrets)) if text is not None else None
    except (ValueError, IndexError):
        return None
    return loaded if isinstance(loaded, list) else None


def render(pin: ChartPin, values: dict[str, Any], directories: Iterable[Path] | None = None,
           forbidden: Iterable[str] = (), cache: Path | None = RENDER_CACHE) -> RenderedRelease:
    """The release's manifests as a real install applies them (test hooks left out), namespaces filled in.

    `values` may hold secret markers (the release's registered values): Helm gets the plain values, and the
    marked values never reach the render cache. `forbidden`: texts (canaries) a stored output must not hold.
    `cache`: the folder of stored outputs, None to always render.
    """
    directory = locate(pin, directories)
    if directory is None and not pin.source_offline:
        return RenderedRelease(pin, "unavailable", f"no offline copy of its chart source exists and it is not in "
                                                   f"the chart cache (`python -m verify charts fetch` pulls it "
                                                   f"where {pin.repository} is reachable)")
    if directory is None:
        return RenderedRelease(pin, "missing", f"chart source {pin.source_name} not in the chart cache "
                                               "(fill it with `python -m verify charts fetch`)")
    plain, secrets = unwrap(values), secret_values(values)
    stored = None
    if cache is not None:
        key = render_key(directory, values, pin.release_name, pin.namespace)
        stored = cache / key[:2] / f"{key}.json"
        objects = _read_stored(stored, secrets)
        if objects is not None:
            return RenderedRelease(pin, "rendered", str(directory), objects)
    try:
        texts = _render_texts(str(directory), json.dumps(plain, sort_keys=True), pin.release_name, pin.namespace)
    except Exception as error:  # the renderer's own message says what is wrong with the values
        return RenderedRelease(pin, "failed", f"helm could not render {pin.source_name}: {error}")
    needles = _needles(secrets, forbidden)
    objects = [manifest for text in texts for manifest in split_manifests(text, needles)
               if not is_test_hook(manifest)]
    if stored is not None:
        text = _storable(objects, secrets, needles)
        if text is not None:
            cache_files.write_whole(stored, text)  # where it cannot be stored, rendered again next time
    return RenderedRelease(pin, "rendered", str(directory), objects)
