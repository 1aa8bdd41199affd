"""The adapter for the SDKs' private internals: it fails loudly, naming the pinned version, if an upgrade moves them."""

from __future__ import annotations

import asyncio
import inspect
from contextvars import ContextVar
from importlib import metadata

import pulumi
import pytest

from components import sdk_internals


def _read_against(package: str, pinned: str) -> None:
    installed = metadata.version(package)
    assert installed == pinned, (
        f"{package} {installed} is installed, but components/sdk_internals.py was read against {pinned}: re-read "
        f"the private names it wraps in the new version, then update the pinned version there")


def test_the_pulumi_sdk_is_the_version_the_adapter_was_read_against() -> None:
    _read_against("pulumi", sdk_internals.PULUMI_VERSION)
    _read_against("pulumi-kubernetes", sdk_internals.PULUMI_KUBERNETES_VERSION)


def test_the_secret_keys_internal_is_still_a_context_variable_of_keys() -> None:
    from pulumi.runtime import config as runtime_config

    assert isinstance(getattr(runtime_config, "_SECRET_KEYS", None), ContextVar), (
        f"pulumi.runtime.config._SECRET_KEYS changed after pulumi {sdk_internals.PULUMI_VERSION}")
    token = runtime_config._SECRET_KEYS.set(set())
    try:
        runtime_config.set_all_config({"p:a": "1", "p:b": "2"}, ["p:b"])
        assert sdk_internals.secret_config_keys() >= {"p:b"}
        assert "p:a" not in sdk_internals.secret_config_keys()
    finally:
        runtime_config._SECRET_KEYS.reset(token)


def test_the_kubernetes_defaults_still_carry_the_provider_version() -> None:
    defaults = sdk_internals.kubernetes_resource_defaults()
    assert isinstance(defaults, pulumi.ResourceOptions), (
        "pulumi_kubernetes._utilities.get_resource_opts_defaults changed after "
        f"{sdk_internals.PULUMI_KUBERNETES_VERSION}")
    assert defaults.version == sdk_internals.PULUMI_KUBERNETES_VERSION


def test_sync_await_still_drives_a_coroutine() -> None:
    from pulumi.runtime import sync_await as module

    assert list(inspect.signature(module._sync_await).parameters) == ["awaitable"], (
        f"pulumi.runtime.sync_await._sync_await changed after pulumi {sdk_internals.PULUMI_VERSION}")

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert sdk_internals.sync_await(answer()) == 42


def test_a_moved_internal_fails_naming_it_and_the_pinned_version(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi_kubernetes._utilities
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import sync_await as module

    monkeypatch.delattr(runtime_config, "_SECRET_KEYS")
    with pytest.raises(sdk_internals.MovedInternal, match=rf"_SECRET_KEYS .*pulumi {sdk_internals.PULUMI_VERSION}"):
        sdk_internals.secret_config_keys()
    monkeypatch.delattr(pulumi_kubernetes._utilities, "get_resource_opts_defaults")
    with pytest.raises(sdk_internals.MovedInternal, match=sdk_internals.PULUMI_KUBERNETES_VERSION):
        sdk_internals.kubernetes_resource_defaults()
    monkeypatch.delattr(module, "_sync_await")
    pending = asyncio.sleep(0)
    with pytest.raises(sdk_internals.MovedInternal, match="_sync_await"):
        sdk_internals.sync_await(pending)
    pending.close()
