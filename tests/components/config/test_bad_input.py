"""Every class of bad input, through both the config model and the offline check.

Each case is a malformed stack file `Pulumi.prod.yaml`: the model must report exactly one problem that names
the bad key and its fix, and `python -m verify check` must exit 2 with the same key and fix, no traceback.
Files the CLI itself would refuse (bad YAML, tabs, non-UTF-8, a key twice, a wrong shape) must be named with
their line by the offline check's loader.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.cluster import charts, plan
from components.config.apps import KUBERNETES_NAMESPACES
from components.config.load import owned_by_the_program, validate
from components.config.model import Settings
from components.config.problems import Problem
from components.config.raw import RawConfig
from tests.conftest import TEST_STACK
from verify import PROJECT_ROOT, stackconfig
from verify.__main__ import EXIT_BAD_CONFIG, check

P = "homelab-secrets:"
STACK_FILE = "Pulumi.prod.yaml"
Edit = Callable[[dict[str, Any]], None]


def base_config() -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(TEST_STACK))
    return copied


def stack_text(config: dict[str, Any], extra: str = "") -> str:
    return yaml.safe_dump({"config": config}, sort_keys=False) + extra


def write_stack(root: Path, content: str | bytes) -> None:
    (root / "Pulumi.yaml").write_text((PROJECT_ROOT / "Pulumi.yaml").read_text())
    path = root / STACK_FILE
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


def model(root: Path) -> tuple[Settings | None, list[Problem]]:
    config = stackconfig.load_stack("prod", root)
    return validate(RawConfig(config.values, frozenset(config.secret_keys)), "prod")


def app(index: int, **fields: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        apps = config[P + "apps"]
        while len(apps) <= index:
            apps.append(dict(apps[0], name=f"extra{len(apps)}", namespace=f"extra{len(apps)}"))
        apps[index].update(fields)

    return edit


def setting(key: str, value: Any) -> Edit:
    """Sets a key of this project (a short key) or, written with a colon, exactly that key."""

    def edit(config: dict[str, Any]) -> None:
        config[key if ":" in key else P + key] = value

    return edit


@dataclass(frozen=True)
class Case:
    id: str
    key: str  # the key the one problem names
    fix: str  # a fragment of its fix
    edit: Edit | None = None
    line: str = ""  # a line appended to the config mapping as written (for plain YAML scalars)
    message: str = ""  # a fragment of the message


def owned_namespace_cases() -> list[Case]:
    return [Case(f"owned-namespace-{ns}", P + "apps[1].namespace", f"edit apps[1] in {STACK_FILE}",
                 app(1, namespace=ns), message="the program itself")
            for ns in sorted(owned_by_the_program().namespaces)]


def bootstrap_target_cases() -> list[Case]:
    cases = []
    for secret in plan.BOOTSTRAP_SECRETS:
        name = f"{secret.name}-0123abcd" if secret.versioned else secret.name
        cases.append(Case(f"bootstrap-target-{secret.namespace}-{secret.name}", P + "apps[1].target",
                          f"edit apps[1] in {STACK_FILE}", app(1, namespace=secret.namespace, target=name),
                          message="bootstrap Secret"))
    return cases


CASES = [
    # Unknown keys and typos in the project namespace: the closest known key is suggested.
    Case("typo-timeout", P + "bootstrapStageTimout", f"rename it to {P}bootstrapStageTimeout in {STACK_FILE}",
         line=f'  "{P}bootstrapStageTimout": 600'),
    Case("typo-ranges", P + "sshSourceRange", f"{P}sshSourceRanges", setting("sshSourceRange", ["198.51.100.7/32"])),
    Case("typo-encrypted", P + "hcloudTokn", f"{P}hcloudToken", setting("hcloudTokn", {"secure": "AAAA"})),
    Case("unknown-key", P + "zzqqxx", f"pulumi config rm {P}zzqqxx", setting("zzqqxx", 1)),
    # A known key under a wrong or missing namespace.
    Case("wrong-namespace", "homelab-secret:serverName", f"write it as {P}serverName in {STACK_FILE}",
         setting("homelab-secret:serverName", "bifrost")),
    Case("provider-namespace", "kubernetes:kubeconfig", f"write it as {P}kubeconfig",
         setting("kubernetes:kubeconfig", {"secure": "AAAA"})),
    # The key under its wrong name is the one problem: the right key is not also reported missing.
    Case("required-key-under-wrong-namespace", "homelab-secret:authentikHost", f"write it as {P}authentikHost",
         lambda config: config.update({"homelab-secret:authentikHost": config.pop(P + "authentikHost")})),
    Case("required-key-under-a-typo", P + "sshSourceRange", f"rename it to {P}sshSourceRanges",
         lambda config: config.update({P + "sshSourceRange": config.pop(P + "sshSourceRanges")})),
    Case("required-key-without-namespace", "adminEmail", f"write it as {P}adminEmail",
         lambda config: config.update({"adminEmail": config.pop(P + "adminEmail")})),
    Case("missing-namespace", "serverName", f"write it as {P}serverName in {STACK_FILE}",
         line="  serverName: bifrost"),
    Case("missing-namespace-encrypted", "netbirdStoreKey", f"write it as {P}netbirdStoreKey in {STACK_FILE}",
         lambda config: config.update({"netbirdStoreKey": {"secure": "AAAA"}})),
    # YAML 1.1 booleans are strings for the Pulumi CLI (YAML 1.2): refused by name.
    Case("yes-is-not-a-boolean", P + "bifrostEnabled", f"pulumi config set {P}bifrostEnabled true",
         line=f'  "{P}bifrostEnabled": yes', message="YAML 1.2"),
    Case("on-is-not-a-boolean", P + "installArgocd", f"pulumi config set {P}installArgocd true",
         line=f'  "{P}installArgocd": on', message="YAML 1.2"),
    Case("no-is-not-a-boolean", P + "allowDataKeyChange", f"{P}allowDataKeyChange true",
         line=f'  "{P}allowDataKeyChange": no', message="YAML 1.2"),
    # Host names and emails.
    Case("host-is-an-ip-address", P + "authentikHost", f"pulumi config set {P}authentikHost",
         setting("authentikHost", "203.0.113.10")),
    Case("host-with-empty-label", P + "netbirdHost", f"pulumi config set {P}netbirdHost",
         setting("netbirdHost", "netbird..test.example.com")),
    Case("host-with-trailing-dot", P + "infisicalHost", f"pulumi config set {P}infisicalHost",
         setting("infisicalHost", "infisical.test.example.com.")),
    Case("host-ipv6", P + "argocdHost", f"pulumi config set {P}argocdHost", setting("argocdHost", "2001:db8::1")),
    Case("email-double-dot-local", P + "acmeEmail", f"pulumi config set {P}acmeEmail",
         setting("acmeEmail", "ops..team@example.com")),
    Case("email-double-dot-domain", P + "adminEmail", f"pulumi config set {P}adminEmail",
         setting("adminEmail", "owner@example..com")),
    Case("email-leading-dot", P + "acmeEmail", f"pulumi config set {P}acmeEmail",
         setting("acmeEmail", ".ops@example.com")),
    # SSH source ranges and addresses.
    Case("no-ssh-source", P + "sshSourceRanges", f"'{P}sshSourceRanges[0]'", setting("sshSourceRanges", []),
         message="empty"),
    Case("ssh-range-zone-id", P + "sshSourceRanges", f"'{P}sshSourceRanges[1]'",
         setting("sshSourceRanges", ["198.51.100.7/32", "fe80::1%eth0/128"]), message="zone id"),
    Case("ssh-range-host-bits", P + "sshSourceRanges", f"'{P}sshSourceRanges[0]'",
         setting("sshSourceRanges", ["198.51.100.7/24"])),
    Case("ingress-zone-id", P + "clusterIngressAddresses", f"'{P}clusterIngressAddresses[0]'",
         setting("clusterIngressAddresses", ["fe80::1%eth0"]), message="zone id"),
    # Kubernetes names and keys.
    *(Case(f"secret-key-{name}", P + "apps[1].keys", f"edit apps[1] in {STACK_FILE}", app(1, keys={name: "X"}))
      for name in (".", "..", "..data", "..x")),
    Case("cloudflare-key-dotdot", P + "cloudflareSecretKey", f"pulumi config set {P}cloudflareSecretKey",
         setting("cloudflareSecretKey", "..data")),
    *(Case(f"app-path-{i}", P + "apps[1].path", f"edit apps[1] in {STACK_FILE}", app(1, path=path))
      for i, path in enumerate(("/../grafana", "/grafana/..", "/./grafana", "/grafana//n8n"))),
    # Folder names Infisical refuses (letters, digits, - and _ only): the Job could not create the folder.
    *(Case(f"app-folder-name-{i}", P + "apps[1].path", f"edit apps[1] in {STACK_FILE}", app(1, path=path),
           message="letters, digits, - and _ only")
      for i, path in enumerate(("/n8n.prod", "/my app", "/grafana/", "/caf\u00e9", "/a/b@c", "grafana"))),
    *(Case(f"reserved-namespace-{ns}", P + "apps[1].namespace", f"edit apps[1] in {STACK_FILE}",
           app(1, namespace=ns), message="reserved") for ns in KUBERNETES_NAMESPACES),
    *owned_namespace_cases(),
    *bootstrap_target_cases(),
    # Fix lines point to the real entry and the real stack file.
    Case("fix-names-the-entry", P + "apps[3].refreshInterval",
         f"edit apps[3] in {STACK_FILE}, e.g. pulumi config set --path '{P}apps[3].refreshInterval' 1h",
         app(3, refreshInterval="soon")),
    Case("duplicate-target-names-the-entry", P + "apps[2].target", f"edit apps[2] in {STACK_FILE}",
         app(2, name="again", namespace="monitoring", target="grafana-secret")),
    Case("catalog-shape-names-the-file", P + "apps", f"edit the apps list in {STACK_FILE}",
         setting("apps", {"name": "x"})),
    Case("app-field-typo", P + "apps[1]", f"edit apps[1] in {STACK_FILE}",
         app(1, refreshIntervall="1h"), message="refreshIntervall (did you mean refreshInterval?)"),
    Case("plain-setting-stored-encrypted", P + "adminEmail", f"pulumi config rm {P}adminEmail",
         setting("adminEmail", {"secure": "v1:AAAABBBBCCCC"}), message="is stored encrypted, but it is a plain"),
    Case("plain-list-stored-encrypted", P + "sshSourceRanges", "without --secret",
         setting("sshSourceRanges", {"secure": "v1:AAAABBBBCCCC"}), message="plain setting"),
    Case("api-url-empty-label", P + "infisicalApiUrl", f"pulumi config set {P}infisicalApiUrl",
         lambda config: config.update({P + "installInfisical": False,
                                       P + "infisicalApiUrl": "https://infisical..example.com/api"})),
]


def case_text(case: Case) -> str:
    config = base_config()
    if case.edit is not None:
        case.edit(config)
    return stack_text(config, case.line + "\n" if case.line else "")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_bad_input_is_one_problem_naming_its_key_and_fix(
        case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_stack(tmp_path, case_text(case))
    settings, problems = model(tmp_path)
    rendered = [p.render() for p in problems]
    assert settings is None and len(problems) == 1, rendered
    assert problems[0].key == case.key, rendered
    assert case.fix in problems[0].fix, rendered
    assert case.message in problems[0].message, rendered
    assert "Pulumi.<stack>.yaml" not in rendered[0]

    assert check("prod", tmp_path) == EXIT_BAD_CONFIG
    captured = capsys.readouterr()
    assert case.key in captured.err and case.fix in captured.err
    assert "Traceback" not in captured.err + captured.out


@dataclass(frozen=True)
class FileCase:
    id: str
    content: str | bytes
    message: str  # the file name, line and cause


FILE_CASES = [
    FileCase("yaml-syntax", "config:\n  homelab-secrets:apps: [unclosed\n", f"{STACK_FILE} line 3"),
    FileCase("tab-indent", "config:\n\t\"homelab-secrets:serverName\": bifrost\n", f"{STACK_FILE} line 2"),
    FileCase("tab-named", "config:\n\t\"homelab-secrets:serverName\": bifrost\n", "YAML is indented with spaces"),
    FileCase("not-utf8", b"config:\n  homelab-secrets:serverName: caf\xe9\n", f"{STACK_FILE} line 2: is not UTF-8"),
    FileCase("duplicate-key", "config:\n  homelab-secrets:serverName: a\n  homelab-secrets:location: fsn1\n"
             "  homelab-secrets:serverName: b\n", f"{STACK_FILE} line 4: the key 'homelab-secrets:serverName' "
             "appears twice in one mapping (first on line 2)"),
    FileCase("duplicate-nested-key", "config:\n  homelab-secrets:apps:\n    - name: a\n      name: b\n",
             f"{STACK_FILE} line 4: the key 'name' appears twice"),
    FileCase("top-level-list", "- config\n", f"{STACK_FILE}: the stack file must be a mapping of keys to values, "
             "not a list"),
    FileCase("top-level-string", "config\n", f"{STACK_FILE}: the stack file must be a mapping of keys to values, "
             "not a string"),
    FileCase("config-list", "config:\n  - homelab-secrets:serverName\n", f"{STACK_FILE}: config must be a mapping"),
    FileCase("config-string", "config: serverName\n", f"{STACK_FILE}: config must be a mapping of keys to values, "
             "not a string"),
]


@pytest.mark.parametrize("case", FILE_CASES, ids=[c.id for c in FILE_CASES])
def test_a_file_the_cli_refuses_is_named_with_its_line(
        case: FileCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_stack(tmp_path, case.content)
    with pytest.raises(stackconfig.StackFileError) as raised:
        stackconfig.load_stack("prod", tmp_path)
    assert case.message in str(raised.value)
    assert check("prod", tmp_path) == EXIT_BAD_CONFIG
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and case.message in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_yaml_booleans_follow_the_pulumi_cli(tmp_path: Path) -> None:
    """`off` is the string the README says; `True` and `FALSE` are booleans in YAML 1.2 as well."""
    write_stack(tmp_path, stack_text(base_config(), f'  "{P}serverReplacement": off\n  "{P}installArgocd": FALSE\n'
                                     f'  "{P}bifrostEnabled": True\n  "{P}bootstrapStageTimeout": 1:30\n'))
    config = stackconfig.load_stack("prod", tmp_path)
    assert config.values[P + "serverReplacement"] == "off"
    assert config.values[P + "bootstrapStageTimeout"] == "1:30"  # base 60 is gone from YAML 1.2: a string
    write_stack(tmp_path, stack_text(base_config(), f'  "{P}serverReplacement": off\n  "{P}installArgocd": FALSE\n'
                                     f'  "{P}bifrostEnabled": True\n'))
    settings, problems = model(tmp_path)
    assert settings is not None, [p.render() for p in problems]
    assert settings.bifrost.server_replacement == "off"
    assert settings.bifrost.enabled and not settings.cluster.install_argocd


def test_the_loader_is_narrowed_not_pyyaml_itself() -> None:
    assert yaml.safe_load("a: off") == {"a": False}  # YAML 1.1, which the loader must not follow
    for base in (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        assert yaml.load("a: off", Loader=stackconfig.stack_loader(base)) == {"a": "off"}  # noqa: S506


def test_the_kubeconfig_is_required_only_with_the_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = base_config()
    config[P + "clusterEnabled"] = False
    write_stack(tmp_path, stack_text(config))
    loaded = stackconfig.load_stack("prod", tmp_path)
    assert "kubeconfig" not in {spec.config_key for spec in loaded.placeholders}
    assert "hcloudToken" in {spec.config_key for spec in loaded.placeholders}
    settings, problems = validate(RawConfig(loaded.values, frozenset(loaded.secret_keys)), "prod")
    assert settings is not None, [p.render() for p in problems]
    write_stack(tmp_path, stack_text(base_config()))
    assert "kubeconfig" in {spec.config_key for spec in stackconfig.load_stack("prod", tmp_path).placeholders}


def test_pulumi_yaml_makes_no_secret_mandatory() -> None:
    """A `secret: true` key without default is mandatory for the CLI whatever is enabled: none is declared so."""
    declared = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())["config"]
    assert [key for key, declaration in declared.items() if "default" not in declaration and
            declaration.get("secret")] == []
    assert declared["kubeconfig"] == {**declared["kubeconfig"], "type": "string", "default": ""}


def test_the_owned_namespaces_come_from_the_records() -> None:
    owned = owned_by_the_program()
    assert {pin.namespace for pin in charts.ALL} <= owned.namespaces
    assert {(s.namespace, s.name) for s in plan.BOOTSTRAP_SECRETS if not s.versioned} == owned.secrets


def test_the_corpus_covers_every_class() -> None:
    assert len(CASES) + len(FILE_CASES) >= 60
