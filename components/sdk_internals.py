"""The one place that touches private internals of the pinned Pulumi SDKs.

Each function wraps one private name, so an SDK upgrade that moves or changes it breaks here, and
`tests/components/test_sdk_internals.py` names the pinned version that the wrapper was read against:
- `secret_config_keys`: `pulumi.runtime.config._SECRET_KEYS` (pulumi 3.272.0, pulumi/runtime/config.py), the
  keys the engine marks secret. The public `is_config_secret(k)` answers for one key; the config model needs
  the whole set to find a secret stored in plaintext and an encrypted key it does not know.
- `kubernetes_resource_defaults`: `pulumi_kubernetes._utilities.get_resource_opts_defaults` (pulumi-kubernetes
  4.34.2, pulumi_kubernetes/_utilities.py), the version and plugin URL every typed kubernetes resource merges
  into its options.
- `sync_await`: `pulumi.runtime.sync_await._sync_await` (pulumi 3.272.0, pulumi/runtime/sync_await.py), how the
  SDK itself drives an awaitable to completion from synchronous code (the mock runtime's stack run).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import pulumi

T = TypeVar("T")

PULUMI_VERSION = "3.272.0"
PULUMI_KUBERNETES_VERSION = "4.34.2"


class MovedInternal(RuntimeError):
    """A private name this adapter wraps is gone from the installed SDK."""

    def __init__(self, name: str, sdk: str, version: str) -> None:
        super().__init__(f"{name} is not where {sdk} {version} has it: the installed SDK moved it; read it again "
                         "and update components/sdk_internals.py")


def secret_config_keys() -> frozenset[str]:
    """Every full config key the engine marks secret: from the runtime's set and from the environment."""
    from pulumi.runtime import config as runtime_config

    try:
        keys = set(runtime_config._SECRET_KEYS.get()) | set(runtime_config.get_config_secret_keys_env())
    except AttributeError:
        raise MovedInternal("pulumi.runtime.config._SECRET_KEYS", "pulumi", PULUMI_VERSION) from None
    return frozenset(keys)


def kubernetes_resource_defaults() -> pulumi.ResourceOptions:
    """The default options a typed pulumi_kubernetes resource merges into its own (provider version, plugin URL)."""
    from pulumi_kubernetes import _utilities

    try:
        defaults: pulumi.ResourceOptions = _utilities.get_resource_opts_defaults()
    except AttributeError:
        raise MovedInternal("pulumi_kubernetes._utilities.get_resource_opts_defaults", "pulumi-kubernetes",
                            PULUMI_KUBERNETES_VERSION) from None
    return defaults


def sync_await(awaitable: Awaitable[T]) -> T:
    """Runs an awaitable to completion on the current event loop, as the SDK's own synchronous entry points do."""
    try:
        from pulumi.runtime.sync_await import _sync_await
    except ImportError:
        raise MovedInternal("pulumi.runtime.sync_await._sync_await", "pulumi", PULUMI_VERSION) from None
    return _sync_await(awaitable)
