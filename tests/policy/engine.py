"""Runs the pack's policies the way the analyzer does: wire properties, deserialized, behind the SDK's
unknown-checking proxy, one ResourceValidationArgs per policy."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi_policy.policy as sdk_policy
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationPolicy
from pulumi_policy.policy import ResourceValidationArgs
from pulumi_policy.proxy import unknown_checking_proxy


def _collector(found: dict[str, list[str]], name: str) -> Callable[[str, str | None], None]:
    def report(message: str, urn: str | None = None) -> None:
        found.setdefault(name, []).append(message)
    return report


def analyze(policies: Sequence[ResourceValidationPolicy], resource_type: str, wire_inputs: Mapping[str, Any],
            config: Mapping[str, Mapping[str, Any]] | None = None, name: str = "resource") -> dict[str, list[str]]:
    """Violations by policy name; UnknownValueError propagates as it does to the SDK's servicer."""
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    found: dict[str, list[str]] = {}
    urn = f"urn:pulumi:test::homelab-secrets::{resource_type}::{name}"
    for policy in policies:
        # Per policy and through the SDK module's name, as the servicer does (the pack records it there).
        deserialize = getattr(sdk_policy, "deserialize_properties")  # noqa: B009 (not re-exported)
        props = unknown_checking_proxy(deserialize(dict(wire_inputs)))
        args = ResourceValidationArgs(resource_type, props, urn, name, options, None,
                                      dict((config or {}).get(policy.name, {})))
        policy.validate(args, _collector(found, policy.name))
    return found
