"""The app catalog: one entry per Kubernetes Secret synced from Infisical, each checked field by field.

A problem names the entry by its position in the stack file (`apps[3].keys`), and the fix edits that entry.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from components import durations
from components.config import fields
from components.config.model import AppEntry, GeneratedKey
from components.config.problems import Problem, path_command, quote_plain
from components.config.reader import Reader
from components.config.schema import EXTERNAL_SECRETS_OPERATOR, INFISICAL_OPERATOR, SYNC_OPERATORS
from components.config_commands import full_key
from components.infisical_bootstrap.provision import Seed

GENERATED_FORMATS = ("alnum", "hex", "base64")
APP_FIELDS = ("name", "namespace", "target", "path", "keys", "refreshInterval", "operator", "generate")
# Kubernetes' own namespaces: a catalog Secret there would sit beside the control plane's.
KUBERNETES_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_FIELD_EXAMPLES = {"name": "grafana", "namespace": "monitoring", "target": "grafana-secret", "path": "/",
                   "refreshInterval": "1h", "operator": EXTERNAL_SECRETS_OPERATOR}


@dataclass(frozen=True)
class Owned:
    """What the program itself creates in the cluster, which no catalog entry may take over.

    Derived from the cluster's chart and bootstrap Secret records by `load.py`, which sits above them.
    """

    namespaces: frozenset[str] = frozenset()
    secrets: frozenset[tuple[str, str]] = frozenset()  # (namespace, name) of each bootstrap Secret
    secret_prefixes: frozenset[tuple[str, str]] = frozenset()  # versioned ones, named <prefix>-<digest>

    def secret_at(self, namespace: str, name: str) -> bool:
        return (namespace, name) in self.secrets or any(
            namespace == ns and name.startswith(prefix + "-") for ns, prefix in self.secret_prefixes)


class _Entry:
    """Reads one entry, reporting each problem under `apps[index].field` with a fix for that field."""

    def __init__(self, r: Reader, index: int, item: dict[str, Any]) -> None:
        self.r, self.index, self.item = r, index, item
        self.where = f"apps[{index}]"

    def fix(self, name: str = "") -> str:
        edit = f"edit {self.where} in {self.r.stack_file}"
        example = _FIELD_EXAMPLES.get(name)
        if example is None:
            return edit
        return f"{edit}, e.g. {path_command(f'{self.where}.{name}', example)}"

    def problem(self, name: str, message: str) -> None:
        key = f"{self.where}.{name}" if name else self.where
        self.r.problems.append(_problem(key, message, self.fix(name.split(".", maxsplit=1)[0])))

    def text(self, name: str, default: str | None = None) -> str:
        value = self.item.get(name, default)
        if value is None:
            self.problem(name, "is required")
            return ""
        if not isinstance(value, str):
            self.problem(name, f"must be a string, not {type(value).__name__}")
            return ""
        if not value:
            self.problem(name, "is empty")
        return value


def _problem(key: str, message: str, fix: str) -> Problem:
    return Problem(full_key(key), message, fix)


def read_apps(r: Reader, default_operator: str, owned: Owned) -> tuple[AppEntry, ...]:
    value = r.raw_text("apps")
    if not value:
        return ()
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, list):
        r.problem("apps", "must be a list of app entries", f"edit the apps list in {r.stack_file}")
        return ()
    apps: list[AppEntry] = []
    targets: dict[tuple[str, str], str] = {}
    resource_names: set[str] = set()
    for index, item in enumerate(parsed):
        if not isinstance(item, dict):
            entry = _Entry(r, index, {})
            entry.problem("", "must be a mapping with name, namespace, target, path and keys")
            continue
        entry = _Entry(r, index, item)
        app = _read_app(entry, default_operator, owned)
        if app is None:
            continue
        target = (app.namespace, app.secret_name)
        if target in targets:
            entry.problem("target", f"app {app.name!r} targets Secret {app.namespace}/{app.secret_name}, already "
                          f"the target of app {targets[target]!r}")
            continue
        targets[target] = app.name
        if app.resource_name in resource_names:
            entry.problem("name", f"app {app.name!r} appears twice in namespace {app.namespace}")
            continue
        resource_names.add(app.resource_name)
        apps.append(app)
    return tuple(apps)


def _read_app(e: _Entry, default_operator: str, owned: Owned) -> AppEntry | None:
    before = len(e.r.problems)
    unknown = sorted(map(str, set(e.item) - set(APP_FIELDS)))
    if unknown:
        named = [f"{field} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(
            field, APP_FIELDS, n=1, cutoff=0.6)) else field for field in unknown]
        e.problem("", f"has unknown fields: {', '.join(named)} (known: {', '.join(APP_FIELDS)})")
    name = e.text("name")
    if name and not fields.is_dns_label(name):
        e.problem("name", f"is not a valid Kubernetes name ({quote_plain(name)})")
    namespace = e.text("namespace")
    secret_name = e.text("target")
    if secret_name and not fields.is_dns_subdomain(secret_name):
        e.problem("target", f"is not a valid Kubernetes Secret name ({quote_plain(secret_name)})")
    elif secret_name and owned.secret_at(namespace, secret_name):
        e.problem("target", f"Secret {namespace}/{secret_name} is one of the program's own bootstrap Secrets: "
                  "give the app its own namespace and target")
    else:
        _check_namespace(e, namespace, owned)
    path = e.text("path")
    if path and not fields.is_infisical_path(path):
        e.problem("path", f"must be an Infisical folder path like / or /grafana/oauth: each folder name is letters, "
                  f"digits, - and _ only, which is all Infisical accepts ({quote_plain(path)})")
    interval = e.text("refreshInterval", "1h")
    operator = e.text("operator", default_operator)
    interval_problem = durations.problem(interval, infisical_operator=operator == INFISICAL_OPERATOR)
    if interval and interval_problem:  # text() reported an empty value or a wrong type
        e.problem("refreshInterval", f"{interval_problem} ({quote_plain(interval)})")
    if operator and operator not in SYNC_OPERATORS:
        e.problem("operator", f"must be one of {', '.join(SYNC_OPERATORS)} ({quote_plain(operator)})")
    pairs = _keys(e)
    generated = _read_generated(e, e.item.get("generate", {}), {remote for _, remote in pairs})
    if len(e.r.problems) > before:
        return None
    app = AppEntry(name, namespace, secret_name, path, tuple(pairs), interval, operator, generated)
    _check_seed_keys(e, app)
    return None if len(e.r.problems) > before else app


def _check_namespace(e: _Entry, namespace: str, owned: Owned) -> None:
    if namespace and not fields.is_dns_label(namespace):
        e.problem("namespace", f"is not a valid Kubernetes namespace ({quote_plain(namespace)})")
    elif namespace in KUBERNETES_NAMESPACES:
        e.problem("namespace", f"{namespace} is reserved for Kubernetes itself: give the app its own namespace")
    elif namespace in owned.namespaces:
        e.problem("namespace", f"{namespace} is a namespace the program itself installs into: give the app "
                  "its own namespace")


def _keys(e: _Entry) -> list[tuple[str, str]]:
    keys = e.item.get("keys")
    pairs: list[tuple[str, str]] = []
    if not isinstance(keys, dict) or not keys:
        e.problem("keys", "must map at least one Kubernetes key to an Infisical key")
        return pairs
    for k8s_key, remote_key in keys.items():
        if not fields.is_secret_data_key(str(k8s_key)):
            e.problem("keys", f"{quote_plain(str(k8s_key))} is not a valid Secret data key (letters, digits, "
                      "- _ ., and not ., .. or starting with ..)")
        elif not isinstance(remote_key, str) or not fields.is_remote_key(remote_key):
            e.problem(f"keys.{k8s_key}", "must name an Infisical key (letters, digits, _ . -)")
        else:
            pairs.append((str(k8s_key), remote_key))
    return pairs


def _check_seed_keys(e: _Entry, app: AppEntry) -> None:
    """Each generated value travels under two Secret data keys made of the entry's names: its key in the seeds
    Secret, and the key its generation is recorded under in the provisioner's state Secret. The API server
    refuses a key over 253 characters, which a long path and key make: the Job would then fail on every run."""
    for key in app.generated:
        for made in (app.seed_file(key), Seed(app.path, key.name, "").state_key):
            if not fields.is_secret_data_key(made):
                e.problem(f"generate.{key.name}", f"makes a Secret data key of {len(made)} characters (at most 253 "
                          "are allowed): shorten the entry's path, name or namespace, or this key")
                break


def _read_generated(e: _Entry, value: Any, listed: set[str]) -> tuple[GeneratedKey, ...]:
    """`generate: {INFISICAL_KEY: {length: 32, format: alnum, generation: 0}}`: keys the program generates."""
    if not isinstance(value, dict):
        e.problem("generate", "must map Infisical keys to {length, format, generation}")
        return ()
    generated = []
    for key, options in value.items():
        at = f"generate.{key}"
        if key not in listed:
            e.problem(at, "is not an Infisical key this entry's keys map syncs")
            continue
        if not isinstance(options, dict) or set(options) - {"length", "format", "generation"}:
            e.problem(at, "must be a mapping of length (16 to 256), format (alnum, hex or base64) and generation")
            continue
        length, fmt, generation = options.get("length", 32), options.get("format", "alnum"), options.get(
            "generation", 0)
        if not isinstance(length, int) or isinstance(length, bool) or not 16 <= length <= 256:
            e.problem(f"{at}.length", f"must be a whole number from 16 to 256, not {length!r}")
        elif fmt not in GENERATED_FORMATS:
            e.problem(f"{at}.format", f"must be one of {', '.join(GENERATED_FORMATS)}, not {fmt!r}")
        elif not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
            e.problem(f"{at}.generation", f"must be a whole number from 0, not {generation!r}")
        else:
            generated.append(GeneratedKey(str(key), length, str(fmt), generation))
    return tuple(generated)
