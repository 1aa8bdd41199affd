"""Zone-lookup invoke mock for the DNS tests, on top of the shared mock providers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from pulumi.runtime import mocks as sdk_mocks

from components.dns import cloudflare
from tests.conftest import full_config, run
from verify.evaluate import Evaluation
from verify.mocks import CanaryProviders
from verify.stackconfig import StackConfig

ZONE = "test.example.com"
ZONE_ID = "0123456789abcdef0123456789abcdef"
INGRESS = ["198.51.100.20", "2001:db8:1::20"]
RECORD = cloudflare.DNS_RECORD_TYPE


@dataclass
class ZoneLookups:
    """What Cloudflare holds (zone name -> ID) and every lookup the program made."""

    zones: dict[str, str] = field(default_factory=lambda: {ZONE: ZONE_ID})
    calls: list[sdk_mocks.MockCallArgs] = field(default_factory=list)


@contextmanager
def zone_lookups(zones: dict[str, str] | None = None) -> Iterator[ZoneLookups]:
    lookups = ZoneLookups(zones=dict(zones) if zones is not None else {ZONE: ZONE_ID})
    original = CanaryProviders.call

    def call(self: CanaryProviders, args: sdk_mocks.MockCallArgs) -> tuple[dict[Any, Any], Any]:
        if args.token != cloudflare.GET_ZONE_TOKEN:
            return original(self, args)
        lookups.calls.append(args)
        name = (args.args.get("filter") or {}).get("name")
        if name in lookups.zones:
            return {"id": lookups.zones[name], "name": name, "status": "active"}, []
        return {}, []  # no match: the real data source returns no zone

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CanaryProviders, "call", call)
        yield lookups


def dns_config(**settings: Any) -> StackConfig:
    config = full_config()
    config.set("dnsZone", ZONE)
    config.set("clusterIngressAddresses", INGRESS)
    for key, value in settings.items():
        config.set(key, value)
    return config


def evaluate_dns(config: StackConfig, zones: dict[str, str] | None = None) -> tuple[Evaluation, ZoneLookups]:
    with zone_lookups(zones) as lookups:
        evaluation = run(config)
    return evaluation, lookups


def records(evaluation: Evaluation) -> dict[str, dict[str, Any]]:
    """Record resource name -> its plain inputs."""
    from verify.mocks import unwrap

    return {r.name: unwrap(r.inputs) for r in evaluation.by_type(RECORD)}
