"""The firewall allow list: the default, what a rule opens, and the operator's config."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from policy import firewall, rules
from policy.firewall import parse_allowed_ingress
from policy.values import Unknown, UnknownValue
from tests.policy.helpers import FIREWALL, WORLD, inbound
from tests.policy.helpers import firewall as firewall_props


def check(props: dict[str, Any], allowed: list[dict[str, Any]] | None = None) -> list[str]:
    parsed = None if allowed is None else parse_allowed_ingress(allowed)
    return rules.check_firewall_ingress(FIREWALL, props, parsed)


def test_the_products_firewall_passes() -> None:
    assert check(firewall_props()) == []


def test_ssh_from_anywhere_passes_by_default() -> None:
    assert check(firewall_props(inbound("tcp", "22"))) == []


def test_outbound_rules_are_out_of_scope() -> None:
    rule = {"direction": "out", "protocol": "tcp", "port": "any", "destinationIps": WORLD}
    assert check(firewall_props(rule)) == []


@pytest.mark.parametrize(("rule", "expected"), [
    (inbound("tcp", "8080"), "inbound tcp 8080 from 0.0.0.0/0, ::/0 is not allowed"),
    (inbound("udp", "80"), "inbound udp 80 from 0.0.0.0/0, ::/0 is not allowed"),
    (inbound("tcp", "80-443"), "inbound tcp 81-442 from 0.0.0.0/0, ::/0 is not allowed"),
    (inbound("tcp", "any"), "inbound tcp 1-21, 23-79, 81-442, 444-65535 from 0.0.0.0/0, ::/0 is not allowed"),
    (inbound("udp", None), "inbound udp 1-3477, 3479-65535 from 0.0.0.0/0"),
    (inbound("icmp", None), "inbound icmp from 0.0.0.0/0, ::/0 is not allowed"),
    (inbound("gre", None, ["10.0.0.0/8"]), "inbound gre from 10.0.0.0/8 is not allowed"),
    ({"protocol": "tcp", "port": "5432", "sourceIps": ["10.0.0.0/8"]}, "inbound tcp 5432 from 10.0.0.0/8"),
    (inbound("tcp", "99999"), "port '99999' is outside 1-65535"),
    (inbound("tcp", "22", ["not-a-cidr"]), "'not-a-cidr' is not a CIDR network"),
])
def test_anything_else_inbound_is_reported(rule: dict[str, Any], expected: str) -> None:
    messages = check(firewall_props(rule))
    assert len(messages) == 1
    assert messages[0].startswith("rules[4]: ")
    assert expected in messages[0]
    assert "allowed inbound: tcp 80; tcp 443; udp 3478; tcp 22" in messages[0]


def test_sources_with_the_same_gap_share_one_message() -> None:
    messages = check(firewall_props(inbound("tcp", "22-23", ["198.51.100.7/32", "0.0.0.0/0"])))
    assert [message.split(" (")[0] for message in messages] == [
        "rules[4]: inbound tcp 23 from 198.51.100.7/32, 0.0.0.0/0 is not allowed"]
    allowed = [{"protocol": "tcp", "port": "22", "sourceIps": ["198.51.100.0/24"]}]
    messages = check({"rules": [inbound("tcp", "22-23", ["198.51.100.7/32", "0.0.0.0/0"])]}, allowed)
    assert [message.split(" (")[0] for message in messages] == [
        "rules[0]: inbound tcp 23 from 198.51.100.7/32 is not allowed",
        "rules[0]: inbound tcp 22-23 from 0.0.0.0/0 is not allowed"]


def test_rule_without_sources_opens_nothing() -> None:
    assert check(firewall_props({"direction": "in", "protocol": "tcp", "port": "25", "sourceIps": []})) == []


def test_operator_can_extend_the_list() -> None:
    allowed = [*firewall.DEFAULT_ALLOWED_INGRESS, {"protocol": "icmp"},
               {"protocol": "udp", "port": "60000-61000", "description": "mosh"}]
    props = firewall_props(inbound("icmp", None), inbound("udp", "60010-60020"))
    assert check(props, allowed) == []
    assert check(firewall_props(inbound("udp", "60990-61001")), allowed) == [
        "rules[4]: inbound udp 61001 from 0.0.0.0/0, ::/0 is not allowed (allowed inbound: tcp 80; tcp 443; "
        "udp 3478; tcp 22; icmp; udp 60000-61000)"]


def test_operator_can_restrict_sources() -> None:
    allowed = [entry for entry in firewall.DEFAULT_ALLOWED_INGRESS if entry["port"] != "22"]
    allowed.append({"protocol": "tcp", "port": "22", "sourceIps": ["198.51.100.0/24", "2001:db8::/32"]})
    assert check(firewall_props(inbound("tcp", "22", ["198.51.100.7/32", "2001:db8:1::/48"])), allowed) == []
    messages = check(firewall_props(inbound("tcp", "22", ["203.0.113.0/24"])), allowed)
    assert len(messages) == 1 and "inbound tcp 22 from 203.0.113.0/24 is not allowed" in messages[0]


def test_ranges_may_be_covered_by_several_entries() -> None:
    allowed = [{"protocol": "tcp", "port": "1000-1999"}, {"protocol": "tcp", "port": "2000-2999"}]
    assert check({"rules": [inbound("tcp", "1500-2500")]}, allowed) == []


def test_unknown_rules_are_deferred() -> None:
    with pytest.raises(UnknownValue):
        check({"rules": Unknown()})
    with pytest.raises(UnknownValue):
        check({"rules": [{"direction": "in", "protocol": "tcp", "port": Unknown(), "sourceIps": WORLD}]})


def test_no_rules_passes() -> None:
    assert check({"name": "bifrost"}) == []
    assert check({"rules": []}) == []


@pytest.mark.parametrize(("config", "expected"), [
    ("tcp 22", "allowedIngress must be a list"),
    ([{"protocol": "tcp"}], "allowedIngress[0]: tcp needs a port"),
    ([{"protocol": "icmp", "port": "1"}], "allowedIngress[0]: icmp has no ports"),
    ([{"protocol": "sctp", "port": "1"}], "protocol 'sctp' is not one of"),
    ([{"protocol": "tcp", "port": "22", "sourceIps": ["nope"]}], "'nope' is not a CIDR network"),
    ([{"protocol": "tcp", "port": "2-1"}], "outside 1-65535 or reversed"),
    ([{"protocol": "tcp", "port": "22", "source": ["0.0.0.0/0"]}], "unknown keys ['source']"),
])
def test_bad_config_is_named(config: Any, expected: str) -> None:
    with pytest.raises(ValueError, match=None) as error:
        parse_allowed_ingress(config)
    assert expected in str(error.value)


def test_config_numbers_from_json_are_ports() -> None:
    assert parse_allowed_ingress([{"protocol": "tcp", "port": 443.0}])[0].ports == (443, 443)


def test_default_matches_its_own_schema() -> None:
    schema = firewall.CONFIG_SCHEMA
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.validate(schema["default"], schema)
    assert parse_allowed_ingress(schema["default"]) == rules.DEFAULT_ALLOWED
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"protocol": "tcp", "port": "eighty"}], schema)
