"""What the offline check prints: whole numbers as integers, operator steps never cut, example values named."""

from __future__ import annotations

import json

import pytest

from verify import __main__ as cli
from verify import examples, stackconfig, tree
from verify.evaluate import Evaluation
from verify.mocks import SECRET_SIG, SECRET_SIG_KEY

LONG_STEP = ("NetBird setup key of the Bifrost routing agent is not set yet (bifrost netbird-agent: NB_SETUP_KEY waits "
             "for it): create one in the dashboard, then pulumi config set --secret "
             "homelab-secrets:netbirdSetupKey '<netbirdSetupKey>' && pulumi up")


@pytest.mark.parametrize(("value", "shown"), [
    (32.0, "32"), (-3.0, "-3"), (0.5, "0.5"), (1e20, "1e+20"), (7, "7"), (True, "true"),
    ({"length": 32.0, "special": False}, "{length=32, special=false}"), ([10835331.0], "[10835331]"),
])
def test_whole_numbers_print_as_integers(value: object, shown: str) -> None:
    assert tree.show(value) == shown


def test_a_property_is_still_shortened_in_the_tree() -> None:
    assert tree.show("x" * 100).endswith("...") and len(tree.show("x" * 100)) == 70
    assert tree.show(list(range(6))) == "[0, 1, 2, 3, ...]"


def test_an_operator_step_is_never_cut() -> None:
    lines = tree.output_lines("pendingSteps", [LONG_STEP, "second step"])
    assert lines == ["pendingSteps =", f"  - {LONG_STEP}", "  - second step"]
    assert not any(line.endswith("...") for line in lines)


def test_a_string_output_is_printed_whole_and_secrets_stay_hidden() -> None:
    command = "pulumi stack output bifrostKnownHosts >> ~/.ssh/known_hosts && " + "ssh -i key root@203.0.113.10 " * 3
    assert tree.output_lines("bifrostSsh", command) == [f"bifrostSsh = {json.dumps(command)}"]
    secret = {SECRET_SIG_KEY: SECRET_SIG, "value": "canary"}
    assert tree.output_lines("login", {"password": secret, "email": "a@b.c"}) == [
        'login = {password=[secret], email="a@b.c"}']


def test_the_outputs_section_of_an_evaluation_is_never_cut() -> None:
    evaluation = Evaluation(registrations=[], log_lines=[], canaries=[],
                            stack_outputs={"pendingSteps": [LONG_STEP], "bifrostIpv4": "203.0.113.10"})
    assert cli._outputs_lines(evaluation) == ['  bifrostIpv4 = "203.0.113.10"', "  pendingSteps =",
                                             f"    - {LONG_STEP}"]


@pytest.mark.parametrize(("text", "kind"), [
    ("auth.example.com", "host"), ("example.org", "host"), ("EXAMPLE.NET.", "host"),
    ("admin@example.com", "email"), ("ops@mail.example.org", "email"),
    ("203.0.113.7/32", "address"), ("198.51.100.20", "address"), ("192.0.2.1", "address"),
    ("2001:db8:42::/48", "address"), ("2001:db8:100::20", "address"),
    ("auth.example.dev", None), ("notexample.com", None), ("admin@example.company", None),
    ("198.51.101.1", None), ("2001:db9::/32", None), ("0.0.0.0/0", None), ("::/0", None), ("fsn1", None),
])
def test_example_values_are_recognised(text: str, kind: str | None) -> None:
    assert examples.classify(text) == kind


def test_each_key_holding_an_example_value_is_named_with_what_to_set() -> None:
    config = stackconfig.from_mapping({
        "homelab-secrets:authentikHost": "auth.example.com",
        "homelab-secrets:netbirdHost": "netbird.home.arpa",
        "homelab-secrets:acmeEmail": "admin@example.org",
        "homelab-secrets:sshSourceRanges": ["203.0.113.7/32", "192.168.1.0/24"],
        "homelab-secrets:clusterIngressAddresses": ["2001:db8:100::20"],
    })
    lines = cli.example_lines(config, "prod")
    assert lines == [
        "warning: homelab-secrets:acmeEmail holds admin@example.org (a domain reserved for examples): set an "
        "address you read in Pulumi.prod.yaml before `pulumi up`",
        "warning: homelab-secrets:authentikHost holds auth.example.com (a domain reserved for examples): set your "
        "own domain or host name in Pulumi.prod.yaml before `pulumi up`",
        "warning: homelab-secrets:clusterIngressAddresses holds 2001:db8:100::20 (documentation address ranges): "
        "set your own addresses or networks in Pulumi.prod.yaml before `pulumi up`",
        "warning: homelab-secrets:sshSourceRanges holds 203.0.113.7/32 (documentation address ranges): set your "
        "own addresses or networks in Pulumi.prod.yaml before `pulumi up`",
    ]


def test_real_values_and_secrets_give_no_warning() -> None:
    config = stackconfig.from_mapping({"homelab-secrets:authentikHost": "auth.home.example-lab.net",
                                       "homelab-secrets:sshSourceRanges": ["0.0.0.0/0", "::/0"]})
    config.values["homelab-secrets:hcloudToken"] = "token.example.com"
    config.secret_keys.add("homelab-secrets:hcloudToken")
    assert cli.example_lines(config, "prod") == []


def test_the_prod_stack_file_names_its_example_keys() -> None:
    named = {found.key.split(":", 1)[1] for found in examples.find(stackconfig.load_stack("prod").values)}
    assert {"authentikHost", "netbirdHost", "acmeEmail", "adminEmail", "infisicalHost", "dnsZone",
            "sshSourceRanges", "clusterIngressAddresses"} <= named
