"""Pure renderers: env files and the NetBird config hold exactly their values, whatever the characters."""

from __future__ import annotations

import pytest
import yaml

from components.bifrost import render
from components.config.model import BifrostSettings
from components.secrets_registry import (
    NETBIRD_OWNER_PASSWORD_HASH,
    NETBIRD_RELAY_SECRET,
    NETBIRD_STORE_KEY,
    SecretSpec,
)
from tests.components.bifrost.compose_dotenv_reader import parse

NASTY = 'va$lue "quoted" #hash with spaces\nand a second line $HOME ${X:-y} \\ \'single\''

SETTINGS = BifrostSettings(
    enabled=True, server_name="bifrost", location="fsn1", server_type="cx23", image="ubuntu-24.04",
    ssh_source_ranges=("198.51.100.7/32",), ssh_public_key="", authentik_host="auth.example.com",
    netbird_host="netbird.example.com", acme_email="ops@example.com", admin_email="owner@example.com",
    server_replacement="off", stage_timeout=300)

ALL_SECRETS = sorted({spec for f in render.SECRET_FILES for spec in f.secrets}, key=lambda spec: spec.name)


def nasty_values() -> dict[SecretSpec, str]:
    return {spec: f"{spec.name}:{NASTY}" for spec in ALL_SECRETS}


@pytest.mark.parametrize("rendered", [f for f in render.SECRET_FILES if f.path.endswith(".env")],
                         ids=lambda f: f.path)
def test_env_files_read_back_exactly(rendered: render.RenderedFile) -> None:
    values = nasty_values()
    parsed = parse(rendered.render(SETTINGS, values))
    for name in rendered.secrets:
        assert values[name] in parsed.values(), name
    others = set(ALL_SECRETS) - set(rendered.secrets)
    assert not any(values[o] in parsed.values() for o in others), "a container gets only what it needs"


def test_each_container_gets_only_its_variables() -> None:
    values = nasty_values()
    traefik = parse(render.traefik_env(SETTINGS, values))
    assert list(traefik) == ["CF_DNS_API_TOKEN"]
    server = parse(render.authentik_env(SETTINGS, values))
    worker = parse(render.authentik_worker_env(SETTINGS, values))
    bootstrap_keys = {"AUTHENTIK_BOOTSTRAP_PASSWORD", "AUTHENTIK_BOOTSTRAP_TOKEN", "AUTHENTIK_BOOTSTRAP_EMAIL",
                      "BIFROST_API_TOKEN"}
    assert not bootstrap_keys & set(server)
    assert bootstrap_keys <= set(worker)
    assert set(server) <= set(worker)


def test_netbird_config_holds_real_values() -> None:
    values = nasty_values()
    document = yaml.safe_load(render.netbird_config(SETTINGS, values))
    server = document["server"]
    assert server["authSecret"] == values[NETBIRD_RELAY_SECRET]
    assert server["store"]["encryptionKey"] == values[NETBIRD_STORE_KEY]
    assert server["auth"]["issuer"] == "https://netbird.example.com/oauth2"
    assert server["auth"]["owner"] == {"email": "owner@example.com",
                                       "password": values[NETBIRD_OWNER_PASSWORD_HASH]}
    assert "idp" not in server and "idp" not in document
    text = render.netbird_config(SETTINGS, {k: "plain" for k in values})
    assert "${" not in text, "NetBird never expands ${VAR}: the file must hold the values themselves"


def test_compose_dotenv_holds_no_secret() -> None:
    text = render.compose_dotenv(SETTINGS, "ab" * 32)
    assert parse(text) == {"COMPOSE_PROJECT_NAME": "bifrost", "AUTHENTIK_HOST": "auth.example.com",
                           "NETBIRD_HOST": "netbird.example.com", "ACME_EMAIL": "ops@example.com",
                           "NETBIRD_CONFIG_DIGEST": "ab" * 32, "TRAEFIK_ADDRESS": render.TRAEFIK_ADDRESS}


def test_keyed_digest_is_deterministic_keyed_and_content_bound() -> None:
    from components.digests import keyed_digest

    assert keyed_digest("k", "content") == keyed_digest("k", "content")
    assert keyed_digest("k", "content") != keyed_digest("k2", "content")
    assert keyed_digest("k", "content") != keyed_digest("k", "content2")


def test_digest_text_is_order_free_and_delimited() -> None:
    from components.digests import digest_of

    assert digest_of({"a": "1", "b": "2"}) == digest_of({"b": "2", "a": "1"})
    assert digest_of({"a": "1b=2"}) != digest_of({"a": "1", "b": "2"})


def test_rendered_files_match_the_compose_contract() -> None:
    from fakes.bifrost import contract

    values = nasty_values()
    rendered_paths = {f.path for f in render.SECRET_FILES} | {render.DOTENV_PATH}
    assert rendered_paths == set(contract.RENDERED_FILES)
    for rendered in render.SECRET_FILES:
        if rendered.path in contract.ENV_FILES:
            assert tuple(parse(rendered.render(SETTINGS, values))) == contract.ENV_FILES[rendered.path]
    assert {f.path for f in render.SECRET_FILES if f.optional_secret} == set(contract.OPTIONAL_ENV_FILES)


def test_the_list_bootstrap_reads_names_every_rendered_file_once() -> None:
    from fakes.bifrost import contract

    lines = [line.split(" ") for line in render.rendered_list().splitlines()]
    assert [path for _, path in lines] == [render.DOTENV_PATH, *(f.path for f in render.SECRET_FILES)]
    assert {path for kind, path in lines if kind == "optional"} == set(contract.OPTIONAL_ENV_FILES)
    assert {path for kind, path in lines if kind == "required"} == set(contract.RENDERED_FILES) - set(
        contract.OPTIONAL_ENV_FILES)
    assert tuple(parse(render.compose_dotenv(SETTINGS, "00"))) == contract.DOTENV_KEYS


def test_traefik_is_the_trusted_proxy_of_netbird() -> None:
    config = yaml.safe_load(render.netbird_config(SETTINGS, nasty_values()))
    assert config["server"]["reverseProxy"]["trustedHTTPProxies"] == [f"{render.TRAEFIK_ADDRESS}/32"]
    assert dict(parse(render.compose_dotenv(SETTINGS, "00")))["TRAEFIK_ADDRESS"] == render.TRAEFIK_ADDRESS
