"""The Authentik blueprint: valid per Authentik's schema, strictly, with the clients the settings ask for."""

from __future__ import annotations

from typing import Any

import pytest

from components.bifrost import blueprint
from components.cluster import constants as cluster_constants
from components.config.model import IdentitySettings
from tests.components.bifrost.blueprints import Tag, env_names, errors, load

DIGEST = "d" * 64
EVERYTHING = IdentitySettings(argocd_host="argocd.example.com", grafana_host="grafana.example.com",
                              argocd_admin_group="platform admins", github_client_id="Ov23liExampleClientId")
VARIANTS = {
    "nothing": IdentitySettings(),
    "argocd": IdentitySettings(argocd_host="argocd.example.com"),
    "grafana": IdentitySettings(grafana_host="grafana.example.com"),
    "everything": EVERYTHING,
}


def entries(identity: IdentitySettings) -> list[dict[str, Any]]:
    document = load(blueprint.render_blueprint(identity, DIGEST))
    found: list[dict[str, Any]] = document["entries"]
    return found


def entry(identity: IdentitySettings, model: str, entry_id: str) -> dict[str, Any]:
    return next(e for e in entries(identity) if e["model"] == model and e.get("id") == entry_id)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_rendered_blueprint_validates_strictly(variant: str) -> None:
    assert errors(blueprint.render_blueprint(VARIANTS[variant], DIGEST)) == []


def test_strict_validation_catches_what_authentik_would_silently_drop() -> None:
    text = blueprint.render_blueprint(EVERYTHING, DIGEST).replace("redirect_uris:", "redirect_uri:", 1)
    assert errors(text, strict=False) == [], "the schema as published accepts the misspelt field"
    assert any("redirect_uri" in error for error in errors(text))


@pytest.mark.parametrize(("before", "after", "why"), [
    ("provider: !KeyOf 'argocd-provider'", "provider: !Find [authentik_flows.flow, [slug, x]]",
     "a flow's key is a UUID, the provider field an integer"),
    ("client_type: confidential", "client_type: secret", "not an enum value"),
    ("matching_mode: strict", "matching_mode: exact", "not an enum value"),
    ("state: created", "state: exists", "not a state"),
    ("- model: authentik_core.application", "- model: authentik_core.app", "not a model"),
])
def test_validation_catches_wrong_values(before: str, after: str, why: str) -> None:
    text = blueprint.render_blueprint(EVERYTHING, DIGEST)
    assert before in text
    assert errors(text.replace(before, after, 1)) != [], why


def test_clients_follow_the_configured_hosts() -> None:
    models = [(e["model"], e.get("id")) for e in entries(VARIANTS["argocd"])]
    assert ("authentik_providers_oauth2.oauth2provider", "argocd-provider") in models
    assert ("authentik_providers_oauth2.oauth2provider", "grafana-provider") not in models
    assert not [e for e in entries(VARIANTS["nothing"]) if e["model"].startswith("authentik_providers")]
    assert not [e for e in entries(VARIANTS["argocd"]) if e["model"].startswith("authentik_sources")]


def test_fixed_client_ids_and_redirect_uris() -> None:
    argocd = entry(EVERYTHING, "authentik_providers_oauth2.oauth2provider", "argocd-provider")["attrs"]
    grafana = entry(EVERYTHING, "authentik_providers_oauth2.oauth2provider", "grafana-provider")["attrs"]
    for slug in ("argocd", "grafana"):
        provider = entry(EVERYTHING, "authentik_providers_oauth2.oauth2provider", f"{slug}-provider")
        assert provider["identifiers"] == {"client_id": slug}, "found by the fixed client ID"
    assert argocd["client_id"] == cluster_constants.ARGOCD_OIDC_CLIENT_ID == "argocd"
    assert grafana["client_id"] == "grafana"
    assert argocd["redirect_uris"] == [{"matching_mode": "strict", "url": "https://argocd.example.com/auth/callback"}]
    assert grafana["redirect_uris"] == [
        {"matching_mode": "strict", "url": "https://grafana.example.com/login/generic_oauth"}]
    for attrs in (argocd, grafana):
        assert attrs["client_type"] == "confidential"
        assert attrs["signing_key"] == Tag("!Find", ["authentik_crypto.certificatekeypair",
                                                     ["name", blueprint.SIGNING_KEY_NAME]])
        scopes = [tag.args[1][1].rsplit("-", 1)[1] for tag in attrs["property_mappings"]]
        assert scopes == ["openid", "email", "profile"]
        assert attrs["include_claims_in_id_token"] is True


def test_the_argocd_application_slug_is_the_issuer_path_argocd_uses() -> None:
    application = entry(EVERYTHING, "authentik_core.application", "argocd-application")
    assert application["identifiers"] == {"slug": cluster_constants.ARGOCD_OIDC_APP_SLUG}
    assert application["attrs"]["provider"] == Tag("!KeyOf", "argocd-provider")


def test_client_secrets_are_env_tags_only() -> None:
    for client in blueprint.CLIENTS:
        attrs = entry(EVERYTHING, "authentik_providers_oauth2.oauth2provider", f"{client.slug}-provider")["attrs"]
        assert attrs["client_secret"] == Tag("!Env", client.env)
    source = entry(EVERYTHING, "authentik_sources_oauth.oauthsource", "github-source")["attrs"]
    assert source["consumer_secret"] == Tag("!Env", blueprint.GITHUB.env)
    assert source["consumer_key"] == "Ov23liExampleClientId"
    assert env_names(load(blueprint.render_blueprint(EVERYTHING, DIGEST))) == set(
        blueprint.worker_secrets(EVERYTHING))


def test_the_admin_group_is_configurable_and_gets_the_first_admin() -> None:
    group = entry(EVERYTHING, "authentik_core.group", "argocd-admins")
    assert group["identifiers"] == {"name": "platform admins"}
    assert group["state"] == "created"
    assert group["attrs"]["users"] == [Tag("!Find", ["authentik_core.user", ["username", "akadmin"]])]
    first = entries(EVERYTHING)[0]
    assert first["model"] == "authentik_blueprints.metaapplyblueprint"
    assert first["attrs"] == {"identifiers": {"path": "system/bootstrap.yaml"}, "required": False}


def test_the_digest_label_is_the_only_thing_a_rotation_changes() -> None:
    before = blueprint.render_blueprint(EVERYTHING, "a" * 64)
    after = blueprint.render_blueprint(EVERYTHING, "b" * 64)
    assert before != after
    assert before.replace("a" * 64, "b" * 64) == after
    assert load(after)["metadata"]["labels"] == {blueprint.SECRETS_DIGEST_LABEL: "b" * 64}
