"""docs/secrets-flow.md: a valid Mermaid flowchart built from the records, kept equal to its generator."""

from __future__ import annotations

import dataclasses
import re

import pytest

from components.bifrost import render
from components.secrets_registry import NETBIRD_RELAY_SECRET, SECRETS
from verify import __main__ as cli
from verify import flow

NODE_ID = r"[A-Za-z][A-Za-z0-9_]*"
LABEL = r'"[^"<>]*"'
NODE = re.compile(rf"^    ({NODE_ID})\[{LABEL}\]$")
SUBGRAPH = re.compile(rf"^  subgraph ({NODE_ID})\[{LABEL}\]$")
EDGE = re.compile(rf"^  ({NODE_ID}) -->(?:\|{LABEL}\|)? ({NODE_ID})$")


def mermaid_problems(chart: str) -> list[str]:
    """What makes the text something other than a flowchart of quoted labels, declared nodes and edges."""
    lines = chart.splitlines()
    problems = [] if lines[:1] == ["flowchart LR"] else ["the first line is not `flowchart LR`"]
    declared: set[str] = set()
    groups: set[str] = set()
    depth = 0
    for number, line in enumerate(lines[1:], start=2):
        if match := SUBGRAPH.match(line):
            groups.add(match.group(1))
            depth += 1
        elif line == "  end":
            depth -= 1
        elif (match := NODE.match(line)) and depth == 1:
            if match.group(1) in declared:
                problems.append(f"line {number}: node {match.group(1)} declared twice")
            declared.add(match.group(1))
        elif match := EDGE.match(line):
            problems += [f"line {number}: edge to undeclared node {end}"
                         for end in match.groups() if end not in declared]
        else:
            problems.append(f"line {number}: not a subgraph, node or edge: {line!r}")
    if depth != 0:
        problems.append("a subgraph is not closed")
    if declared & groups:
        problems.append(f"ids used for both a node and a subgraph: {sorted(declared & groups)}")
    return problems


@pytest.fixture(scope="module")
def chart() -> str:
    return flow.stack_flow("prod").mermaid()




def test_the_chart_is_valid_mermaid(chart: str) -> None:
    assert mermaid_problems(chart) == []


@pytest.mark.parametrize(("broken", "problem"), [
    ('flowchart LR\n  subgraph g["G"]\n    a["say "hi""]\n  end', "not a subgraph, node or edge"),
    ('flowchart LR\n  subgraph g["G"]\n    a["A"]\n  end\n  a --> b', "edge to undeclared node b"),
    ('flowchart LR\n  subgraph g["G"]\n    a-b["A"]\n  end', "not a subgraph, node or edge"),
    ('flowchart LR\n  subgraph g["G"]\n    a["<digest>"]\n  end', "not a subgraph, node or edge"),
    ('flowchart LR\n  subgraph g["G"]\n    a["A"]\n    a["A"]\n  end', "declared twice"),
    ('flowchart LR\n  subgraph g["G"]\n    a["A"]', "not closed"),
    ('graph TD\n  subgraph g["G"]\n    a["A"]\n  end', "first line"),
])
def test_the_syntax_check_finds_each_defect(broken: str, problem: str) -> None:
    assert any(problem in found for found in mermaid_problems(broken))


def test_labels_escape_quotes_and_angle_brackets_and_ids_are_safe() -> None:
    assert flow.label('say "hi" to <digest>') == '"say #quot;hi#quot; to #lt;digest#gt;"'
    assert flow.node_id("k", "infisical-operator-system", "infisical-operator-identity") == \
        "k_infisical_operator_system_infisical_operator_identity"


def test_every_secret_has_a_source_and_a_consumer(chart: str) -> None:
    for spec in SECRETS:
        ident = flow.node_id("s", spec.config_key)
        assert re.search(rf"^    {ident}\[", chart, re.MULTILINE), spec.config_key
        assert re.search(rf"^  {ident} -->", chart, re.MULTILINE), f"{spec.config_key} flows nowhere"


def _group_of(chart: str, ident: str) -> str:
    group = ""
    for line in chart.splitlines():
        if match := SUBGRAPH.match(line):
            group = match.group(1)
        elif line.startswith(f"    {ident}["):
            return group
    raise AssertionError(f"{ident} is not in the chart")


def test_each_secret_sits_under_its_source(chart: str) -> None:
    assert _group_of(chart, "s_hcloudToken") == "src_config"
    assert _group_of(chart, "s_netbirdStoreKey") == "src_generated"
    assert _group_of(chart, "s_netbirdSetupKey") == "src_later"
    assert _group_of(chart, "provisioner_job") == "src_job"


def test_consumers_come_from_the_records(chart: str) -> None:
    edges = set(re.findall(rf"^  ({NODE_ID}) -->(?:\|{LABEL}\|)? ({NODE_ID})$", chart, re.MULTILINE))
    assert ("s_cloudflareApiToken", "f_env_traefikenv") in edges  # a rendered VPS file
    assert ("s_cloudflareApiToken", "k_cert_manager_cloudflare_api_token") in edges  # a bootstrap Secret
    assert ("k_argocd_argocd_oidc", "h_argo_cd") in edges  # a Helm release reads it
    assert ("f_env_authentik_workerenv", "blueprint") in edges  # the blueprint's !Env
    assert ("s_authentikGithubSecret", "f_env_authentik_workerenv") in edges  # from the all-features stack
    assert ("provisioner_job", "k_external_secrets_infisical_machine_identity_g0") in edges  # issued in the cluster
    assert ("s_hcloudToken", "p_hcloudToken_0") in edges  # read by the program itself


def test_a_new_rendered_file_appears_without_touching_the_flow(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = dataclasses.replace(render.SECRET_FILES[0], path="env/extra.env", secrets=(NETBIRD_RELAY_SECRET,))
    monkeypatch.setattr(render, "SECRET_FILES", (*render.SECRET_FILES, extra))
    assert "  s_netbirdRelaySecret --> f_env_extraenv" in flow.stack_flow("prod").mermaid().splitlines()


def test_the_offline_check_prints_the_flow_on_request(capsys: pytest.CaptureFixture[str], chart: str) -> None:
    assert cli.main(["flow", "--stack", "prod"]) == cli.EXIT_OK
    assert chart in capsys.readouterr().out
    assert cli.parser().parse_args(["check", "--stack", "prod", "--flow"]).flow is True


def test_an_unknown_stack_is_a_config_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["flow", "--stack", "nowhere"]) == cli.EXIT_BAD_CONFIG
    assert "no stack file Pulumi.nowhere.yaml" in capsys.readouterr().err
