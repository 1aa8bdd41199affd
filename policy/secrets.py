"""What in a resource's inputs is secret, for the rules that must not find a secret where it would show.

The engine sends each resource's inputs to the pack with their secret markers (pulumi
`pkg/resource/plugin/analyzer_plugin.go`, `Analyze`: `MarshalProperties(..., KeepSecrets: true)`), but
pulumi_policy 1.21.0 unwraps them before a policy sees the inputs (`pulumi_policy/policy.py`,
`_PolicyAnalyzerServicer.Analyze` calls `deserialize_properties` without `proxy_secrets`). So the pack
records the wire form of the request as the SDK deserializes it (`install_wire_recorder`), and
`SecretView.from_wire` reads the markers from it. The engine also passes the stack's config to the pack,
secrets decrypted, in PULUMI_CONFIG (`constructEnv` in the same file): `stack_secret_values` takes the
values of the keys that are secret (PULUMI_CONFIG_SECRET_KEYS where the engine sets it, and every secret
this program declares in components/secrets_registry.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from policy.values import SECRET_SIG, SECRET_SIG_KEY, is_list

# Shorter secret values are not searched for in scripts: they would match ordinary words.
MIN_SECRET_LENGTH = 6


@dataclass(frozen=True)
class SecretView:
    """The secret parts of one resource's inputs, and the stack's secret values."""

    paths: frozenset[tuple[str, ...]] = frozenset()  # input paths whose value is marked secret
    values: tuple[tuple[str, str], ...] = ()  # (where it comes from, value): marked strings and config secrets

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any], extra: tuple[tuple[str, str], ...] = ()) -> SecretView:
        paths: set[tuple[str, ...]] = set()
        values: list[tuple[str, str]] = []

        def walk(value: Any, path: tuple[str, ...], inside: bool) -> None:
            if isinstance(value, Mapping):
                if value.get(SECRET_SIG_KEY) == SECRET_SIG:
                    paths.add(path)
                    walk(value.get("value"), path, True)
                    return
                for key, item in value.items():
                    walk(item, (*path, str(key)), inside)
            elif is_list(value):
                for index, item in enumerate(value):
                    walk(item, (*path, str(index)), inside)
            elif inside and isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
                values.append((".".join(path) or "(inputs)", value))

        walk(dict(wire), (), False)
        return cls(frozenset(paths), (*values, *extra))

    def is_secret(self, *path: str) -> bool:
        """Whether the value at the path, or anything it lies in, is marked secret."""
        return any(path[:length] in self.paths for length in range(len(path) + 1))

    def sources_in(self, text: str) -> list[str]:
        """Where the secret values that occur in the text come from (never the values)."""
        return sorted({source for source, value in self.values if value in text})


NO_SECRETS = SecretView()


def _declared_secret_keys() -> set[str]:
    try:
        from components.secrets_registry import SECRETS
    except ImportError:  # the pack used without this program's sources next to it
        return set()
    return {spec.full_key for spec in SECRETS}


def stack_secret_values() -> tuple[tuple[str, str], ...]:
    """The values of the stack's secret config keys, as the engine passed them to the pack."""
    from pulumi.runtime.config import get_config_env, get_config_secret_keys_env

    config = get_config_env()
    secret_keys = set(get_config_secret_keys_env()) | _declared_secret_keys()
    return tuple(sorted((f"config {key}", str(value)) for key, value in config.items()
                        if key in secret_keys and isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH))


_recorded = threading.local()


def install_wire_recorder() -> None:
    """Keeps, per thread, the wire properties the SDK deserializes just before it runs a policy on them."""
    import pulumi_policy.policy as sdk

    original: Callable[..., Any] = getattr(sdk, "deserialize_properties")  # noqa: B009 (not re-exported)
    if getattr(original, "records_wire", False):
        return

    def recording(props: dict[str, Any], proxy_secrets: bool = False) -> Any:
        _recorded.wire = props
        return original(props, proxy_secrets)

    setattr(recording, "records_wire", True)  # noqa: B010
    setattr(sdk, "deserialize_properties", recording)  # noqa: B010


def recorded_wire() -> Mapping[str, Any]:
    wire: Mapping[str, Any] = getattr(_recorded, "wire", None) or {}
    return wire
