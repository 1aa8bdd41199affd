"""Duration rules, declared once: the config check and the rendered InfisicalStaticSecret agree on every text,
and what is rendered is what the Infisical operator (v0.11.5, `internal/util/time.go`) reads as the same span."""

from __future__ import annotations

import pytest

from components import durations
from components.cluster import manifests
from components.config.load import validate
from components.config.model import AppEntry
from components.config.raw import RawConfig
from tests.conftest import TEST_STACK, full_config

TEXTS = ["1h", "15m", "60s", "5s", "4s", "0s", "0m", "1h30m", "90m", "3600s", "61s", "1h0m5s", "2h60m",
         "1 hour", "1d", "h", "", "30", "1H", "-5s", "5s ", "1h30"]
UPSTREAM_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def upstream_resync_seconds(text: str) -> int:
    """ConvertResyncIntervalToDuration(text, allowZero=false): one number, one unit, at least 5 seconds."""
    number, unit = int(text[:-1]), text[-1]
    if unit not in UPSTREAM_UNIT_SECONDS or (unit == "s" and number < 5):
        raise ValueError(text)
    return number * UPSTREAM_UNIT_SECONDS[unit]


def config_accepts(interval: str, operator: str) -> bool:
    config = full_config()
    apps = [dict(a) for a in TEST_STACK["homelab-secrets:apps"]]
    apps[0].update(refreshInterval=interval, operator=operator)
    config.set("apps", apps)
    settings, problems = validate(RawConfig(config.values, frozenset(config.secret_keys)), "test")
    return settings is not None and not problems


def entry(interval: str, operator: str) -> AppEntry:
    return AppEntry("grafana", "monitoring", "grafana-secret", "/grafana", (("A", "B"),), interval, operator, ())


def renders(interval: str) -> bool:
    try:
        manifests.infisical_static_secret(entry(interval, "infisical-operator"), "homelab", "prod")
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("text", TEXTS)
def test_the_config_accepts_for_the_infisical_operator_exactly_what_renders(text: str) -> None:
    assert config_accepts(text, "infisical-operator") == renders(text)


@pytest.mark.parametrize("text", TEXTS)
def test_the_config_accepts_for_external_secrets_every_well_formed_duration(text: str) -> None:
    assert config_accepts(text, "external-secrets") == durations.is_duration(text)


@pytest.mark.parametrize("text", [t for t in TEXTS if renders(t)])
def test_the_operator_reads_the_rendered_form_as_the_same_span(text: str) -> None:
    rendered = manifests.infisical_static_secret(entry(text, "infisical-operator"), "homelab", "prod")
    interval = rendered["syncOptions"]["refreshInterval"]
    assert upstream_resync_seconds(interval) == durations.seconds(text)


@pytest.mark.parametrize(("text", "normal"), [("1h30m", "90m"), ("3600s", "1h"), ("61s", "61s"),
                                              ("1h0m5s", "3605s"), ("2h60m", "3h"), ("5s", "5s")])
def test_a_compound_duration_becomes_its_largest_exact_unit(text: str, normal: str) -> None:
    assert durations.infisical_resync_interval(text) == normal


def test_the_infisical_minimum_is_refused_below_and_kept_at_the_limit() -> None:
    assert durations.problem("4s", infisical_operator=True) is not None
    assert durations.problem("4s", infisical_operator=False) is None
    assert durations.problem("5s", infisical_operator=True) is None
    with pytest.raises(ValueError, match="at least 5s"):
        durations.infisical_resync_interval("0m")


def test_an_external_secret_keeps_the_text_as_written() -> None:
    # ESO parses a Go time.Duration, which reads compound durations itself.
    assert manifests.external_secret(entry("1h30m", "external-secrets"))["refreshInterval"] == "1h30m"
