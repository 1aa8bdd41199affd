"""A harness: the real provisioning code against the Infisical and Kubernetes doubles, on one timeline."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from components.infisical_bootstrap import api
from components.infisical_bootstrap.kube import KubeClient, SecretRef
from components.infisical_bootstrap.logs import Log
from components.infisical_bootstrap.provision import Outcome, Settings, provision
from components.infisical_bootstrap.transport import RetryPolicy
from components.secrets_registry import INFISICAL_ADMIN_PASSWORD
from tests.components.infisical_bootstrap.fake_infisical import FakeInfisical
from tests.components.infisical_bootstrap.fake_kube import TOKEN, FakeKube
from tests.components.infisical_bootstrap.servers import Exchange, Timeline
from verify import canaries

ADMIN_PASSWORD = canaries.for_spec(INFISICAL_ADMIN_PASSWORD).value
STATE = SecretRef("infisical", "infisical-bootstrap-state")
CREDENTIALS = SecretRef("external-secrets", "infisical-machine-identity")
FAST = RetryPolicy(attempts=4, base_delay=1.0, max_delay=4.0)


def settings(api_url: str, **overrides: Any) -> Settings:
    base = Settings(api_url=api_url, organization="Homelab", admin_email="owner@example.com",
                    project_slug="homelab", environment_slug="prod", state=STATE, credentials=CREDENTIALS)
    return dataclasses.replace(base, **overrides)


@dataclass
class Harness:
    infisical: FakeInfisical
    kube: FakeKube
    infisical_url: str
    kube_url: str
    timeline: Timeline
    lines: list[str] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    seeds: dict[str, str] = field(default_factory=dict)

    def log(self) -> Log:
        return Log(self.lines.append)

    def run(self, **overrides: Any) -> Outcome:
        log = self.log()
        kube = KubeClient(self.kube_url, TOKEN, log, retry=FAST, sleep=self.sleeps.append)
        client = api.InfisicalClient(self.infisical_url + "/api", log, retry=FAST, sleep=self.sleeps.append)
        return provision(settings(self.infisical_url + "/api", **overrides), kube, client, log,
                         lambda: ADMIN_PASSWORD, self.seeds.__getitem__)

    def mark(self) -> int:
        return len(self.timeline.exchanges)

    def since(self, mark: int, server: str | None = None) -> list[Exchange]:
        return [e for e in self.timeline.exchanges[mark:] if server is None or e.server == server]

    def writes_since(self, mark: int) -> list[str]:
        return [f"{e.server} {e.method} {e.path}" for e in self.since(mark) if e.is_write]

    def secrets_seen(self) -> list[str]:
        """Every secret value in play: the admin password, every issued token and client secret."""
        return [ADMIN_PASSWORD, *self.infisical.issued]


@pytest.fixture
def harness() -> Iterator[Harness]:
    timeline = Timeline()
    infisical = FakeInfisical(timeline)
    kube = FakeKube(timeline, allowed={(STATE.namespace, STATE.name), (CREDENTIALS.namespace, CREDENTIALS.name)})
    kube.create(STATE.namespace, STATE.name)
    kube.create(CREDENTIALS.namespace, CREDENTIALS.name)
    with infisical.running() as infisical_url, kube.running() as kube_url:
        yield Harness(infisical, kube, infisical_url, kube_url, timeline)
