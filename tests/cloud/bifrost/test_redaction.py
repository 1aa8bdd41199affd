"""bootstrap.sh redacts every secret value the VPS holds from everything it prints.

The files are the program's own renderings (components/bifrost/render.py) of secrets chosen to break a
naive filter: regex, glob and sed metacharacters, quotes and backslashes, a two-character value, a value
that contains another one, a value over two lines, and the bcrypt hash with its `$`. The fake containers
log every one of them, and compose echoes them in its `up` output.
"""

from __future__ import annotations

import re

import pytest

from components.bifrost import blueprint, render
from fakes.bifrost.harness import BIFROST_SOURCE, Result, Stack
from tests.components.bifrost.test_render import SETTINGS

REDACTED = "[redacted]"

TRICKY: dict[str, str] = {
    "cloudflare_api_token": r"cf.*token[0-9]+$HOME\1&|/^",
    "authentik_postgres_password": "pg'single\"double\\back$(id)`id`",
    "authentik_secret_key": "s3cret key with spaces *?[a-z]{2} %s %d",
    "authentik_bootstrap_password": "Zq",
    "authentik_bootstrap_token": "api-tok-77",
    "authentik_api_token": "api-tok-77-and-more",
    "netbird_relay_secret": "relay: 'quoted' # not a comment",
    "netbird_store_key": "c3RvcmUta2V5LWJhc2U2NA+/==",
    "netbird_owner_password_hash": "$2a$10$abcdefghijklmnopqrstuv.WXYZ0123456789abcdefghijklmn",
    "netbird_proxy_token": "proxy-first-line-secret\nproxy-second-line-secret",
    "netbird_setup_key": "setup&key\\with|sed/delims",
    # The client secrets the Authentik blueprint reads from the worker's env (!Env).
    "argocd_oidc_client_secret": "argo=client&secret|with/sed\\chars",
    "grafana_oauth_client_secret": "grafana client 'secret' $HOME",
    "authentik_github_secret": "gh-secret.*[0-9]+",
}


def secret_fragments() -> list[str]:
    """Every secret, and each line of the one that has two."""
    fragments: list[str] = []
    for value in TRICKY.values():
        fragments.append(value)
        fragments.extend(line for line in value.splitlines() if line)
    return fragments


def render_tricky(stack: Stack) -> None:
    for rendered in render.SECRET_FILES:
        specs = list(rendered.secrets)
        if rendered.identity_secrets:
            specs += [client.secret for client in blueprint.CLIENTS] + [blueprint.GITHUB.secret]
        values = {spec: TRICKY[spec.name] for spec in specs}
        stack.write_secret(rendered.path, rendered.render(SETTINGS, values))


def leaked(result: Result) -> list[str]:
    return [fragment for fragment in secret_fragments() if fragment in result.output]


def noisy_logs() -> list[str]:
    lines = [f"worker | debug: value={value!s} (end)" for value in TRICKY.values()]
    lines += [f"worker | {line}" for value in TRICKY.values() for line in value.splitlines()]
    lines.append("worker | " + " ".join(TRICKY.values()).replace("\n", " "))
    return lines


@pytest.fixture
def tricky(stack: Stack) -> Stack:
    render_tricky(stack)
    return stack


def test_the_tricky_secrets_are_really_in_the_files(tricky: Stack) -> None:
    """The premise: the files hold the values (escaped or not), so the script must decode them."""
    text = "".join((tricky.directory / f.path).read_text() for f in render.SECRET_FILES)
    assert "Zq" in text and "api-tok-77-and-more" in text and "$2a$10$" in text


def test_a_failing_stage_prints_the_logs_with_every_secret_redacted(tricky: Stack) -> None:
    tricky.scenario(services={"traefik": {"never_ready": True}}, logs={"traefik": noisy_logs()},
                    up_output=[f"warning: {value}" for value in TRICKY.values()])
    result = tricky.run()
    assert result.returncode == 3, result.output
    assert leaked(result) == []
    # The logs are shown, with only the secrets replaced.
    one_line = [value for value in TRICKY.values() if "\n" not in value]
    assert result.output.count("worker | debug: value=[redacted] (end)") == len(one_line)
    assert "warning: [redacted]" in result.output
    # A secret that contains another is replaced whole, not as the shorter one plus a visible rest.
    assert "-and-more" not in result.output
    # Plain values of the same files (names, hosts, the user) are left alone.
    assert "last 60 log lines of traefik" in result.output


def test_every_failure_path_redacts(tricky: Stack) -> None:
    tricky.scenario(ak_shell={"fail_times": 1000}, logs={"authentik-worker": noisy_logs()})
    result = tricky.run()
    assert result.returncode == 4, result.output
    assert REDACTED in result.output
    assert leaked(result) == []


def test_without_redaction_the_same_run_would_leak(tricky: Stack) -> None:
    """The check can fail: with the filter's list emptied the fake's log lines come through."""
    script = tricky.directory / "bootstrap.sh"
    script.write_text(script.read_text().replace("\n  sort_redactions\n", "\n  redactions=()\n"))
    tricky.scenario(services={"traefik": {"never_ready": True}}, logs={"traefik": noisy_logs()})
    result = tricky.run()
    assert result.returncode == 3
    assert set(leaked(result)) == set(secret_fragments())


def test_a_happy_run_prints_its_lines_unchanged(stack: Stack) -> None:
    stack.scenario()
    result = stack.run()
    assert result.returncode == 0
    assert REDACTED not in result.output
    assert " Container authentik-server  Created" in result.output


def test_the_plain_keys_are_exactly_the_literals_of_the_renderers() -> None:
    """bootstrap.sh redacts every env file value except plain_env_keys: those must be the keys that the
    renderers fill with a literal, never with a secret (and every other key must hold a secret)."""
    script = (BIFROST_SOURCE / "bootstrap.sh").read_text()
    match = re.search(r'readonly plain_env_keys="([^"]*)"', script)
    assert match is not None
    in_script = set(match[1].replace("\\\n", " ").split())
    marker = "MARKER-{}-END"
    plain: set[str] = set()
    secret_keys: set[str] = set()
    for rendered in render.SECRET_FILES:
        if not rendered.path.startswith("env/"):
            continue
        text = rendered.render(SETTINGS, {name: marker.format(name) for name in rendered.secrets})
        for line in text.splitlines():
            key, _equals, value = line.partition("=")
            (secret_keys if "MARKER-" in value else plain).add(key)
    assert in_script == plain
    assert not in_script & secret_keys


def test_the_netbird_secret_keys_are_the_secrets_of_the_config() -> None:
    script = (BIFROST_SOURCE / "bootstrap.sh").read_text()
    match = re.search(r'readonly netbird_secret_keys="([^"]*)"', script)
    assert match is not None
    text = render.NETBIRD_CONFIG.render(SETTINGS, {name: f"MARKER-{name}" for name in render.NETBIRD_CONFIG.secrets})
    holding = {line.strip().split(":", 1)[0] for line in text.splitlines() if "MARKER-" in line}
    assert set(match[1].split("|")) == holding
