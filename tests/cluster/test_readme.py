"""The README's cluster section states what the code holds."""

from __future__ import annotations

import re

from components.cluster import releases
from components.config.apps import APP_FIELDS
from verify import docs
from verify.evaluate import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


def test_the_release_table_is_generated_from_the_chart_records() -> None:
    assert docs.between(README, "cluster-releases") == docs.releases_table()


def test_the_secrets_table_is_generated_from_the_bootstrap_records() -> None:
    assert docs.between(README, "cluster-secrets") == docs.bootstrap_table()


def test_the_catalog_table_lists_exactly_the_entry_fields() -> None:
    fields = re.findall(r"^\| `([A-Za-z]+)` \| (?:yes|no)", README, flags=re.MULTILINE)
    assert tuple(fields) == APP_FIELDS


def test_the_stated_helm_history_is_the_configured_one() -> None:
    assert f"Helm keeps {releases.MAX_HISTORY} revisions" in README
