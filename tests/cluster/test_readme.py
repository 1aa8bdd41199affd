"""The README's cluster section states what the code holds."""

from __future__ import annotations

import re

from components import settings
from components.cluster import charts, releases
from components.cluster.plan import make_plan
from tests.cluster.helpers import EVERYTHING, cluster_settings
from verify.evaluate import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    following = README.find("\n## ", start + 1)
    return README[start: following if following != -1 else len(README)]


CLUSTER = section("The cluster")


def test_the_release_table_names_every_pin() -> None:
    for pin in charts.ALL:
        row = next(line for line in CLUSTER.splitlines() if line.startswith(f"| `{pin.release_name}` ("))
        assert f"`{pin.chart}` {pin.version}, " in row
        assert pin.repository in row or "same repository" in row
        assert f"({pin.namespace})" in row


def test_the_secrets_table_lists_every_bootstrap_secret() -> None:
    plan = make_plan(cluster_settings(), "auth.example.com", EVERYTHING)
    for secret in plan.bootstrap:
        assert f"| `{secret.name}` ({secret.namespace}) |" in CLUSTER, secret.name


def test_the_catalog_table_lists_exactly_the_entry_fields() -> None:
    fields = re.findall(r"^\| `([A-Za-z]+)` \| (?:yes|no)", CLUSTER, flags=re.MULTILINE)
    assert tuple(fields) == settings._APP_FIELDS


def test_the_stated_helm_history_is_the_configured_one() -> None:
    assert f"Helm keeps {releases.MAX_HISTORY} revisions" in CLUSTER
