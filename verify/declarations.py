"""What Pulumi.yaml must declare, derived from the config schema and the secret registry."""

from __future__ import annotations

from typing import Any

from components.config_schema import ALL_SETTINGS, secret_declaration
from components.secrets_registry import SECRETS


def expected_declarations() -> dict[str, dict[str, Any]]:
    declarations: dict[str, dict[str, Any]] = {}
    for setting in ALL_SETTINGS:
        if not setting.declared:
            continue
        entry: dict[str, Any] = {"type": setting.type, "description": setting.description}
        if setting.type == "array":
            entry["items"] = {"type": "string"}
        if not setting.required:
            entry["default"] = setting.default
        declarations[setting.key] = entry
    for spec in SECRETS:
        declarations[spec.config_key] = secret_declaration(spec)
    return declarations
