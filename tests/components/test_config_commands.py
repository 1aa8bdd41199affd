"""The text of `pulumi config set` comes from one function; no other shipped file spells a command of its own."""

from __future__ import annotations

import re

import pytest

from components.config_commands import config_set, full_key
from components.secrets_registry import KUBECONFIG, NETBIRD_SETUP_KEY, SECRETS, SecretSpec
from verify import PROJECT_ROOT

# A command with a key: `pulumi config set [--flag ...] homelab-secrets:<key>` or a `{...}` placeholder for it.
SPELLED_COMMAND = re.compile(r"pulumi config set (--\w+ )*'?(homelab-secrets:|\{)")
SHIPPED = ("components", "policy", "cloud", "verify", "__main__.py")
# bootstrap.sh cannot call Python: its one literal is compared with the function's text (test_bootstrap.py).
ALLOWED = {"components/config_commands.py": 0, "cloud/bifrost/bootstrap.sh": 1}


@pytest.mark.parametrize(("command", "text"), [
    (config_set("dnsZone", "example.com"), "pulumi config set homelab-secrets:dnsZone example.com"),
    (config_set("hcloudToken", "'<hcloudToken>'", secret=True),
     "pulumi config set --secret homelab-secrets:hcloudToken '<hcloudToken>'"),
    (config_set("apps[3].name", "grafana", path=True),
     "pulumi config set --path 'homelab-secrets:apps[3].name' grafana"),
    (config_set("kubeconfig", secret=True, from_file=True),
     "pulumi config set --secret homelab-secrets:kubeconfig < <file>"),
])
def test_each_form_of_the_command(command: str, text: str) -> None:
    assert command == text


def test_a_command_has_a_value_or_reads_a_file_never_both_nor_neither() -> None:
    with pytest.raises(ValueError, match="dnsZone"):
        config_set("dnsZone")
    with pytest.raises(ValueError, match="dnsZone"):
        config_set("dnsZone", "x", from_file=True)


@pytest.mark.parametrize("spec", SECRETS, ids=lambda spec: spec.config_key)
def test_a_secret_is_set_from_a_file_exactly_when_its_format_says_so(spec: SecretSpec) -> None:
    command = spec.set_command()
    assert command.startswith(f"pulumi config set --secret {full_key(spec.config_key)} ")
    assert command.endswith("< <file>") == spec.format.read_from_file


def test_the_multi_line_secrets_are_read_from_files() -> None:
    assert KUBECONFIG.format.read_from_file and not NETBIRD_SETUP_KEY.format.read_from_file


def spelled_commands() -> dict[str, int]:
    found: dict[str, int] = {}
    for entry in SHIPPED:
        root = PROJECT_ROOT / entry
        for path in [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix in (".py", ".sh")):
            count = len(SPELLED_COMMAND.findall(path.read_text(encoding="utf-8")))
            if count:
                found[str(path.relative_to(PROJECT_ROOT))] = count
    return found


def test_no_shipped_file_spells_the_command_itself() -> None:
    assert spelled_commands() == {path: n for path, n in ALLOWED.items() if n}


def test_the_scan_finds_a_spelled_command() -> None:
    assert SPELLED_COMMAND.search('f"pulumi config set homelab-secrets:{key} x"')
    assert SPELLED_COMMAND.search("pulumi config set --path 'homelab-secrets:apps[0]' x")
    assert SPELLED_COMMAND.search('f"pulumi config set --secret {self.full_key} x"')
    assert not SPELLED_COMMAND.search("set with `pulumi config set --secret`.")
