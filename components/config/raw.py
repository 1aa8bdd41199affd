"""Raw stack config as the Pulumi CLI passes it, and the one rule for reading it.

The CLI hands the program every config key as a string (a YAML mapping or list arrives as JSON), plus the
set of keys that were stored encrypted. A key of this project is read with `get(short key)`; every other
key is only listed (`foreign_keys`), so that a known key under a wrong namespace can be named.
"""

from __future__ import annotations

from collections.abc import Mapping

from components import sdk_internals
from components.secrets_registry import PROJECT

PREFIX = f"{PROJECT}:"


class RawConfig:
    """Full key -> string, plus which full keys are secret. Read each key with `get`; the model reads it once."""

    def __init__(self, values: Mapping[str, str], secret_keys: frozenset[str]) -> None:
        self._values = dict(values)
        self._secret_keys = secret_keys

    @classmethod
    def from_runtime(cls) -> RawConfig:
        from pulumi.runtime import config as runtime_config

        values = {k: str(v) for k, v in runtime_config.CONFIG.get().items()}
        values.update({k: str(v) for k, v in runtime_config.get_config_env().items() if k not in values})
        return cls(values, sdk_internals.secret_config_keys())

    def get(self, key: str) -> str | None:
        return self._values.get(PREFIX + key)

    def is_secret(self, key: str) -> bool:
        return PREFIX + key in self._secret_keys

    def project_keys(self) -> list[str]:
        """The short keys set in this project's namespace, in order (their values are not read)."""
        return [key[len(PREFIX):] for key in self._values if key.startswith(PREFIX)]

    def foreign_keys(self) -> list[str]:
        """Full keys outside this project's namespace, or without one (their values are not read)."""
        return [key for key in self._values if not key.startswith(PREFIX)]
