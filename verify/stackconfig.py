"""Builds the config the Pulumi CLI would hand the program, from Pulumi.yaml and a stack file.

Encrypted (`secure:`) values cannot be decrypted offline, and a checkout's stack file holds none of the
operator's secrets: both are replaced by canaries, so the offline check also proves no secret leaks.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from components.config.raw import RawConfig
from components.config.reader import Reader
from components.config.secrets import required_now
from components.config.shared import read_areas
from components.secrets_registry import BY_KEY, PROJECT, SECRETS, SecretSpec
from verify import PROJECT_ROOT, canaries
from verify.canaries import Canary


@dataclass
class StackConfig:
    values: dict[str, str] = field(default_factory=dict)  # full key -> the string the CLI passes
    secret_keys: set[str] = field(default_factory=set)
    canaries: list[Canary] = field(default_factory=list)
    placeholders: list[SecretSpec] = field(default_factory=list)  # required secrets filled in offline

    def set(self, key: str, value: Any) -> None:
        self.values[_full(key)] = _as_config_string(value)

    def unset(self, key: str) -> None:
        self.values.pop(_full(key), None)
        self.secret_keys.discard(_full(key))

    def set_secret(self, spec: SecretSpec, canary: Canary | None = None) -> Canary:
        chosen = canary or canaries.for_spec(spec)
        self.values[spec.full_key] = chosen.value
        self.secret_keys.add(spec.full_key)
        self.canaries = [c for c in self.canaries if c.label != chosen.label] + [chosen]
        return chosen

    def copy(self) -> StackConfig:
        return StackConfig(dict(self.values), set(self.secret_keys), list(self.canaries), list(self.placeholders))


def _full(key: str) -> str:
    return key if ":" in key else f"{PROJECT}:{key}"


def _as_config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


class StackFileError(ValueError):
    """A stack or project file the Pulumi CLI would refuse: the message names the file and, where known, the line."""


_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_YAML12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_YAML12_INT = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")


@functools.cache
def stack_loader(base: type[Any]) -> type[Any]:
    """Safe YAML on `base` (libyaml's CSafeLoader where PyYAML bundles it), typed as the Pulumi CLI types it.

    The CLI decodes stack files with gopkg.in/yaml.v3 v3.0.1 (pulumi/pulumi v3.260.0,
    sdk/go/common/encoding/marshal.go `yamlMarshaler.Unmarshal`, into `any`: sdk/go/common/resource/config/
    object.go). Its resolver (go-yaml/yaml v3 resolve.go) types only true/True/TRUE and false/False/FALSE as
    booleans, as YAML 1.2 does: `off`, `yes`, `on`, `no` stay strings, and base-60 numbers (`1:30`) too. PyYAML
    follows YAML 1.1, so its resolvers are narrowed here to the same rule. A key twice in one mapping is an
    error, as it is for yaml.v3 ("mapping key already defined").
    """

    class StackLoader(base):  # type: ignore[misc]
        yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, Any]]]] = {
            first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _INT)]
            for first, resolvers in base.yaml_implicit_resolvers.items()
        }

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)):
                    continue
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key!r} appears twice in one mapping (first on line {seen[key] + 1}); "
                        "the Pulumi CLI refuses the file", key_node.start_mark)
                seen[key] = key_node.start_mark.line
            return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    StackLoader.add_implicit_resolver(_BOOL, _YAML12_BOOL, list("tTfF"))
    StackLoader.add_implicit_resolver(_INT, _YAML12_INT, list("-+0123456789"))
    return StackLoader


def _read_yaml(path: Path) -> Any:
    """The file's document, or a StackFileError naming the file and line (bad UTF-8, tabs, syntax, duplicates)."""
    return _parse_yaml(path, path.read_bytes())


def _parse_yaml(path: Path, data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")  # the CLI strips a UTF-8 byte order mark (workspace/loaders.go)
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise StackFileError(f"{path.name} line {line}: is not UTF-8 text (byte 0x{data[error.start]:02x}); "
                             "save the file as UTF-8") from None
    try:
        loader = stack_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # a quarter of pure Python's time
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{path.name} line {mark.line + 1}" if mark is not None else path.name
        problem = error.problem or "is not valid YAML"
        lines = text.splitlines()
        if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line][:mark.column + 1]:
            problem += " (a tab: YAML is indented with spaces, never tabs)"
        raise StackFileError(f"{where}: {problem}") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path.name}: {error}") from None


def _mapping(document: Any, path: Path, what: str) -> dict[str, Any]:
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise StackFileError(f"{path.name}: {what} must be a mapping of keys to values, not a "
                             f"{_shape(document)}")
    return document


def _shape(value: Any) -> str:
    return "list" if isinstance(value, list) else "string" if isinstance(value, str) else type(value).__name__


def project_defaults(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    path = root / "Pulumi.yaml"
    return copy.deepcopy(_project_defaults(path, path.read_bytes()))


@functools.lru_cache(maxsize=8)
def _project_defaults(path: Path, data: bytes) -> dict[str, Any]:
    """Parsed once per content of the file: every stack config a process builds starts from the defaults, and
    the project file is the largest YAML the check reads (about 45 ms a parse)."""
    project = _mapping(_parse_yaml(path, data), path, "the project file")
    defaults: dict[str, Any] = {}
    for key, declaration in _mapping(project.get("config"), path, "config").items():
        if isinstance(declaration, dict) and "default" in declaration:
            defaults[key] = declaration["default"]
        elif not isinstance(declaration, dict):
            defaults[key] = declaration
    return defaults


def from_mapping(stack_values: dict[str, Any], root: Path = PROJECT_ROOT) -> StackConfig:
    """Applies the project defaults, then the stack's values, as `pulumi up` does.

    Keys are kept as written: a key outside this project's namespace, or without one, reaches the config model,
    which names it (and the CLI refuses a key without a namespace).
    """
    config = StackConfig()
    for key, value in project_defaults(root).items():
        config.set(key, value)
    for key, value in stack_values.items():
        name = str(key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            spec = BY_KEY.get(name.removeprefix(f"{PROJECT}:"))
            if spec is not None and name == spec.full_key:
                config.set_secret(spec)
            else:  # an encrypted value under a key this program does not read: the model names the key
                config.values[name] = _ENCRYPTED
                config.secret_keys.add(name)
        else:
            config.values[name] = _as_config_string(value)
    return config


_ENCRYPTED = "<encrypted>"


def load_stack(stack: str, root: Path = PROJECT_ROOT) -> StackConfig:
    """The stack's config with canaries for every secret the enabled areas need but the checkout lacks."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path.name} next to Pulumi.yaml")
    document = _mapping(_read_yaml(path), path, "the stack file")
    config = from_mapping(_mapping(document.get("config"), path, "config"), root)
    areas = read_areas(Reader(RawConfig(config.values, frozenset(config.secret_keys)), stack))
    for spec in SECRETS:
        if required_now(spec, areas.bifrost, areas.cluster) and not config.values.get(spec.full_key):
            config.set_secret(spec)
            config.placeholders.append(spec)
    return config


def with_all_secrets(config: StackConfig, include_generated: bool) -> StackConfig:
    """Sets every secret to its canary: operator-issued ones, and overrides of generated ones on request."""
    result = config.copy()
    for spec in SECRETS:
        if spec.generated and (not include_generated or spec.required_with):
            continue  # an override that belongs with a setting (the deploy key with sshPublicKey) is left out
        result.set_secret(spec)
    return result
