"""Builds the config the Pulumi CLI would hand the program, from Pulumi.yaml and a stack file.

Encrypted (`secure:`) values cannot be decrypted offline, and a checkout's stack file holds none of the
operator's secrets: both are replaced by canaries, so the offline check also proves no secret leaks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.secrets_registry import BY_KEY, PROJECT, SECRETS, Need, SecretSpec
from verify import canaries
from verify.canaries import Canary
from verify.evaluate import PROJECT_ROOT


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


def _read_yaml(path: Path) -> Any:
    """Safe YAML through libyaml (a quarter of the pure-Python loader's time on a large catalog)."""
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # PyYAML's wheels bundle libyaml
    return yaml.load(path.read_text(), Loader=loader)  # noqa: S506 - a safe loader


def project_defaults(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    project = _read_yaml(root / "Pulumi.yaml")
    defaults: dict[str, Any] = {}
    for key, declaration in (project.get("config") or {}).items():
        if isinstance(declaration, dict) and "default" in declaration:
            defaults[key] = declaration["default"]
        elif not isinstance(declaration, dict):
            defaults[key] = declaration
    return defaults


def from_mapping(stack_values: dict[str, Any], root: Path = PROJECT_ROOT) -> StackConfig:
    """Applies the project defaults, then the stack's values, as `pulumi up` does."""
    config = StackConfig()
    for key, value in project_defaults(root).items():
        config.set(key, value)
    for key, value in stack_values.items():
        short = key.split(":", 1)[1] if key.startswith(f"{PROJECT}:") else key
        if isinstance(value, dict) and set(value) == {"secure"}:
            spec = BY_KEY.get(short)
            if spec is None:
                raise ValueError(f"{key} is encrypted but is not a secret this program knows")
            config.set_secret(spec)
        else:
            config.set(key, value)
    return config


def load_stack(stack: str, root: Path = PROJECT_ROOT) -> StackConfig:
    """The stack's config with canaries for every secret a deployment needs but the checkout lacks."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path.name} next to Pulumi.yaml")
    document = _read_yaml(path) or {}
    config = from_mapping(document.get("config") or {}, root)
    for spec in SECRETS:
        if spec.need is Need.REQUIRED and not spec.generated and spec.full_key not in config.values:
            config.set_secret(spec)
            config.placeholders.append(spec)
    return config


def with_all_secrets(config: StackConfig, include_generated: bool) -> StackConfig:
    """Sets every secret to its canary: operator-issued ones, and overrides of generated ones on request."""
    result = config.copy()
    for spec in SECRETS:
        if spec.generated and not include_generated:
            continue
        if spec.config_key == "sshPrivateKey":
            continue  # only meaningful together with sshPublicKey
        result.set_secret(spec)
    return result
