"""The Authentik blueprint: Authentik as the identity provider of Argo CD and Grafana, with no UI step.

Pure: settings in, blueprint YAML out. The blueprint declares an OAuth2 provider and an application per
client (fixed client IDs, redirect URIs from the configured hosts, signing key, scopes), the Argo CD admin
group and, optionally, a GitHub login source. It holds no secret: each client secret is an `!Env` tag, and
the worker's env file (render.authentik_worker_env) holds the value under the same name. `CLIENTS` and
`GITHUB` below are the one place that pairs each secret with its variable, so the two cannot drift.

Upstream behaviour this relies on (goauthentik/authentik, 2026.2):
- authentik/blueprints/v1/common.py: `!Env NAME` resolves to `getenv(NAME)` of the worker process, `!Find`
  to the primary key of the first matching object, `!KeyOf` to the primary key of an earlier entry.
- authentik/blueprints/v1/tasks.py: the worker discovers every `*.yaml` under its blueprints directory
  (`/blueprints`; compose mounts ours at /blueprints/custom) and applies a file only when its sha512
  differs from the last applied one. A new value in the env file alone would never be applied, so the file
  carries a keyed digest of the client secrets (`SECRETS_DIGEST_LABEL`): a rotation changes the file.
- authentik/blueprints/v1/meta/apply_blueprint.py: `metaapplyblueprint` applies another blueprint first;
  ours applies the system bootstrap blueprint so akadmin exists before it joins the admin group.
- blueprints/system/providers-oauth2.yaml: the managed scope mappings openid, email and profile; profile
  carries the `groups` claim (the names of the user's groups), which Argo CD's RBAC matches.
- The OAuth2 provider, application, group and source fields are those of the blueprint schema
  (`blueprints/schema.json`); the tests validate every rendered blueprint against it, strictly, because the
  importer silently drops unknown attributes.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from components.cluster import constants as cluster_constants
from components.config.model import IdentitySettings
from components.secrets_registry import (
    ARGOCD_OIDC_CLIENT_SECRET,
    AUTHENTIK_GITHUB_SECRET,
    GRAFANA_OAUTH_CLIENT_SECRET,
    SecretSpec,
)

BLUEPRINT_PATH = "authentik/blueprints/homelab.yaml"  # under /etc/bifrost, mounted read-only on the worker
CONTAINER_DIR = "/blueprints/custom"  # where docker-compose.yml mounts the folder of BLUEPRINT_PATH
BLUEPRINT_NAME = "homelab-secrets identity"
SECRETS_DIGEST_LABEL = "homelab-secrets.io/client-secrets-digest"
ADMIN_USERNAME = "akadmin"  # created by the system bootstrap blueprint (AUTHENTIK_BOOTSTRAP_*)
BOOTSTRAP_BLUEPRINT = "system/bootstrap.yaml"
SIGNING_KEY_NAME = "authentik Self-signed Certificate"  # created by Authentik's system blueprints
AUTHORIZATION_FLOW = "default-provider-authorization-implicit-consent"
INVALIDATION_FLOW = "default-provider-invalidation-flow"
SOURCE_AUTHENTICATION_FLOW = "default-source-authentication"
SOURCE_ENROLLMENT_FLOW = "default-source-enrollment"
IDENTIFICATION_STAGE = "default-authentication-identification"  # the login page lists the GitHub button here
SCOPES = ("openid", "email", "profile")  # profile carries the groups claim


@dataclass(frozen=True)
class Env:
    """`!Env NAME`: the value of the worker's variable NAME (no default: a missing one fails the import)."""

    name: str


@dataclass(frozen=True)
class Find:
    """`!Find [model, [field, value]]`: the primary key of an existing object."""

    model: str
    field: str
    value: str


@dataclass(frozen=True)
class KeyOf:
    """`!KeyOf id`: the primary key of the entry with that id in this blueprint."""

    entry_id: str


@dataclass(frozen=True)
class OAuthClient:
    """One OAuth2 client of Authentik: its provider, application, client secret and worker variable."""

    slug: str  # application slug, also the fixed client ID
    title: str
    secret: SecretSpec  # the generated client secret
    env: str  # worker variable the blueprint's !Env reads
    redirect_path: str
    host: Callable[[IdentitySettings], str]  # the client is declared only when its host is set

    def redirect_uri(self, identity: IdentitySettings) -> str:
        return f"https://{self.host(identity)}{self.redirect_path}"


@dataclass(frozen=True)
class OAuthSource:
    """A login source (here GitHub): its client secret comes from the operator, on when its client ID is set."""

    slug: str
    title: str
    provider_type: str
    secret: SecretSpec
    env: str


ARGOCD = OAuthClient(cluster_constants.ARGOCD_OIDC_APP_SLUG, "Argo CD", ARGOCD_OIDC_CLIENT_SECRET,
                     "BIFROST_ARGOCD_CLIENT_SECRET", "/auth/callback", lambda identity: identity.argocd_host)
GRAFANA = OAuthClient("grafana", "Grafana", GRAFANA_OAUTH_CLIENT_SECRET, "BIFROST_GRAFANA_CLIENT_SECRET",
                      "/login/generic_oauth", lambda identity: identity.grafana_host)
CLIENTS: tuple[OAuthClient, ...] = (ARGOCD, GRAFANA)
GITHUB = OAuthSource("github", "GitHub", "github", AUTHENTIK_GITHUB_SECRET, "BIFROST_GITHUB_CLIENT_SECRET")
assert ARGOCD.slug == cluster_constants.ARGOCD_OIDC_CLIENT_ID, "Argo CD's client ID is its application slug"


def enabled_clients(identity: IdentitySettings) -> tuple[OAuthClient, ...]:
    return tuple(client for client in CLIENTS if client.host(identity))


def github_enabled(identity: IdentitySettings) -> bool:
    return bool(identity.github_client_id)


def worker_secrets(identity: IdentitySettings) -> dict[str, SecretSpec]:
    """Worker variable -> its secret, for everything the blueprint reads with !Env."""
    pairs = {client.env: client.secret for client in enabled_clients(identity)}
    if github_enabled(identity):
        pairs[GITHUB.env] = GITHUB.secret
    return pairs


def _find_flow(slug: str) -> Find:
    return Find("authentik_flows.flow", "slug", slug)


def _provider_entry(client: OAuthClient, identity: IdentitySettings) -> dict[str, Any]:
    return {
        "model": "authentik_providers_oauth2.oauth2provider",
        "id": f"{client.slug}-provider",
        "state": "present",
        # Found by its fixed client ID (unique in Authentik): a provider made by hand for it is taken over.
        "identifiers": {"client_id": client.slug},
        "attrs": {
            "name": client.title,
            "client_type": "confidential",
            "client_id": client.slug,
            "client_secret": Env(client.env),
            "authorization_flow": _find_flow(AUTHORIZATION_FLOW),
            "invalidation_flow": _find_flow(INVALIDATION_FLOW),
            "signing_key": Find("authentik_crypto.certificatekeypair", "name", SIGNING_KEY_NAME),
            "redirect_uris": [{"matching_mode": "strict", "url": client.redirect_uri(identity)}],
            "property_mappings": [Find("authentik_providers_oauth2.scopemapping", "managed",
                                       f"goauthentik.io/providers/oauth2/scope-{scope}") for scope in SCOPES],
            # Argo CD reads the groups claim from the ID token, not from the userinfo endpoint.
            "include_claims_in_id_token": True,
            # The issuer is https://<authentikHost>/application/o/<slug>/, as the clients are configured.
            "issuer_mode": "per_provider",
            "sub_mode": "hashed_user_id",
        },
    }


def _application_entry(client: OAuthClient, identity: IdentitySettings) -> dict[str, Any]:
    return {
        "model": "authentik_core.application",
        "id": f"{client.slug}-application",
        "state": "present",
        "identifiers": {"slug": client.slug},
        "attrs": {
            "name": client.title,
            "slug": client.slug,
            "provider": KeyOf(f"{client.slug}-provider"),
            "meta_launch_url": f"https://{client.host(identity)}/",
            "policy_engine_mode": "any",
        },
    }


def _admin_group_entries(identity: IdentitySettings) -> list[dict[str, Any]]:
    return [
        {
            "model": "authentik_blueprints.metaapplyblueprint",
            "attrs": {"identifiers": {"path": BOOTSTRAP_BLUEPRINT}, "required": False},
        },
        {
            "model": "authentik_core.group",
            "id": "argocd-admins",
            # `created`: the first admin joins once; members added or removed later in Authentik are kept.
            "state": "created",
            "identifiers": {"name": identity.argocd_admin_group},
            "attrs": {
                "name": identity.argocd_admin_group,
                "users": [Find("authentik_core.user", "username", ADMIN_USERNAME)],
            },
        },
    ]


def _github_entries(identity: IdentitySettings) -> list[dict[str, Any]]:
    return [
        {
            "model": "authentik_sources_oauth.oauthsource",
            "id": "github-source",
            "state": "present",
            "identifiers": {"slug": GITHUB.slug},
            "attrs": {
                "name": GITHUB.title,
                "slug": GITHUB.slug,
                "enabled": True,
                "provider_type": GITHUB.provider_type,
                "consumer_key": identity.github_client_id,
                "consumer_secret": Env(GITHUB.env),
                "authentication_flow": _find_flow(SOURCE_AUTHENTICATION_FLOW),
                "enrollment_flow": _find_flow(SOURCE_ENROLLMENT_FLOW),
                # Only a GitHub account already linked to a user logs in as that user; no matching by email.
                "user_matching_mode": "identifier",
            },
        },
        {
            "model": "authentik_stages_identification.identificationstage",
            "id": "login-page-sources",
            "state": "present",
            "identifiers": {"name": IDENTIFICATION_STAGE},
            "attrs": {"sources": [KeyOf("github-source")]},
        },
    ]


def blueprint_document(identity: IdentitySettings, secrets_digest: str) -> dict[str, Any]:
    entries = _admin_group_entries(identity)
    for client in enabled_clients(identity):
        entries += [_provider_entry(client, identity), _application_entry(client, identity)]
    if github_enabled(identity):
        entries += _github_entries(identity)
    return {
        "version": 1,
        "metadata": {
            "name": BLUEPRINT_NAME,
            "labels": {SECRETS_DIGEST_LABEL: secrets_digest},
        },
        "entries": entries,
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


_Dumper.add_representer(Env, lambda dumper, tag: dumper.represent_scalar("!Env", tag.name))
_Dumper.add_representer(KeyOf, lambda dumper, tag: dumper.represent_scalar("!KeyOf", tag.entry_id))
_Dumper.add_representer(Find, lambda dumper, tag: dumper.represent_sequence(
    "!Find", [tag.model, [tag.field, tag.value]], flow_style=True))


def render_blueprint(identity: IdentitySettings, secrets_digest: str) -> str:
    """The blueprint file. `secrets_digest`: a keyed digest of the client secrets (see the module doc)."""
    return yaml.dump(blueprint_document(identity, secrets_digest), Dumper=_Dumper, sort_keys=False, width=1000)


# The worker runs unprivileged and reads the file through a bind mount: the blueprint (no secret) is readable.
FILE_MODE = 0o644
DIR_MODE = 0o755


def upload_script(base_dir: str) -> str:
    """Writes stdin to the blueprint file atomically, readable by the worker (no secret: see the module doc).

    Authentik's image runs as an unprivileged user, so the folder is 0755 and the file 0644; /etc/bifrost
    above it stays 0700 (a bind mount needs no access to the folders above its source).
    """
    return (
        "set -eu\n"
        "umask 077\n"
        f"target={shlex.quote(f'{base_dir}/{BLUEPRINT_PATH}')}\n"
        f"install -d -m {DIR_MODE:04o} \"$(dirname \"$target\")\"\n"
        "tmp=$(mktemp \"$target.XXXXXX\")\n"
        "trap 'rm -f \"$tmp\"' EXIT\n"
        "cat > \"$tmp\"\n"
        f"chmod {FILE_MODE:04o} \"$tmp\"\n"
        "if [ \"$(id -u)\" = 0 ]; then chown 0:0 \"$tmp\"; fi\n"
        "mv -f \"$tmp\" \"$target\"\n"
        "trap - EXIT\n"
    )
