"""Pure renderers of the files Pulumi writes to /etc/bifrost. Plain values in, file text out.

Each file names the secrets it is made of, so a secret change re-renders (and re-uploads) exactly the
files that contain it, and each container's env file holds only what that container needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import yaml

from components.bifrost import blueprint, dotenv
from components.config.model import BifrostSettings
from components.secrets_registry import (
    AUTHENTIK_API_TOKEN,
    AUTHENTIK_BOOTSTRAP_PASSWORD,
    AUTHENTIK_BOOTSTRAP_TOKEN,
    AUTHENTIK_POSTGRES_PASSWORD,
    AUTHENTIK_SECRET_KEY,
    CLOUDFLARE_API_TOKEN,
    NETBIRD_OWNER_PASSWORD_HASH,
    NETBIRD_PROXY_TOKEN,
    NETBIRD_RELAY_SECRET,
    NETBIRD_SETUP_KEY,
    NETBIRD_STORE_KEY,
    SecretSpec,
)

COMPOSE_PROJECT = "bifrost"
NETBIRD_LISTEN_ADDRESS = ":80"  # Traefik terminates TLS and forwards HTTP and h2c gRPC
NETBIRD_DATA_DIR = "/var/lib/netbird/"
# Traefik's fixed address on the compose network: docker-compose.yml reads it from the compose `.env`.
TRAEFIK_ADDRESS = "172.30.0.10"

Values = Mapping[SecretSpec, str]  # each secret the file is made of, in plain text (inside an apply only)
Renderer = Callable[[BifrostSettings, Values], str]


@dataclass(frozen=True)
class RenderedFile:
    path: str  # relative to /etc/bifrost
    secrets: tuple[SecretSpec, ...]  # the secrets the file is made of
    render: Renderer
    optional_secret: SecretSpec | None = None  # while this secret is unset the file is written empty
    identity_secrets: bool = False  # also gets the client secrets the Authentik blueprint reads (blueprint.py)

    @property
    def guards_data(self) -> bool:
        """Holds a key that encrypts stored data: its upload refuses to change that key (scripts.write_file)."""
        return any(spec.guards_data for spec in self.secrets)

    @property
    def slug(self) -> str:
        return self.path.replace("/", "-").replace(".", "").strip("-") or "dotenv"


def _authentik_common(settings: BifrostSettings, values: Values) -> list[tuple[str, str]]:
    return [
        ("AUTHENTIK_SECRET_KEY", values[AUTHENTIK_SECRET_KEY]),
        ("AUTHENTIK_POSTGRESQL__HOST", "authentik-postgres"),
        ("AUTHENTIK_POSTGRESQL__NAME", "authentik"),
        ("AUTHENTIK_POSTGRESQL__USER", "authentik"),
        ("AUTHENTIK_POSTGRESQL__PASSWORD", values[AUTHENTIK_POSTGRES_PASSWORD]),
    ]


def traefik_env(settings: BifrostSettings, values: Values) -> str:
    return dotenv.render([("CF_DNS_API_TOKEN", values[CLOUDFLARE_API_TOKEN])])


def authentik_postgres_env(settings: BifrostSettings, values: Values) -> str:
    return dotenv.render([
        ("POSTGRES_DB", "authentik"),
        ("POSTGRES_USER", "authentik"),
        ("POSTGRES_PASSWORD", values[AUTHENTIK_POSTGRES_PASSWORD]),
    ])


def authentik_env(settings: BifrostSettings, values: Values) -> str:
    return dotenv.render(_authentik_common(settings, values))


def authentik_worker_env(settings: BifrostSettings, values: Values) -> str:
    return dotenv.render([
        *_authentik_common(settings, values),
        ("AUTHENTIK_BOOTSTRAP_EMAIL", settings.admin_email),
        ("AUTHENTIK_BOOTSTRAP_PASSWORD", values[AUTHENTIK_BOOTSTRAP_PASSWORD]),
        ("AUTHENTIK_BOOTSTRAP_TOKEN", values[AUTHENTIK_BOOTSTRAP_TOKEN]),
        ("BIFROST_API_TOKEN", values[AUTHENTIK_API_TOKEN]),
        *identity_env(values),
    ])


def identity_env(values: Values) -> list[tuple[str, str]]:
    """The variables the blueprint's !Env tags read: one per client secret the caller passed in `values`."""
    pairs = [(client.env, client.secret) for client in blueprint.CLIENTS]
    pairs.append((blueprint.GITHUB.env, blueprint.GITHUB.secret))
    return [(env, values[name]) for env, name in pairs if name in values]


def netbird_proxy_env(settings: BifrostSettings, values: Values) -> str:
    return dotenv.render([("NB_PROXY_TOKEN", values[NETBIRD_PROXY_TOKEN])])


def netbird_agent_env(settings: BifrostSettings, values: Values) -> str:
    return dotenv.render([
        ("NB_SETUP_KEY", values[NETBIRD_SETUP_KEY]),
        ("NB_MANAGEMENT_URL", f"https://{settings.netbird_host}"),
    ])


def netbird_config(settings: BifrostSettings, values: Values) -> str:
    """NetBird's combined-server config. NetBird reads it verbatim (no ${VAR}), so it holds real values."""
    host = settings.netbird_host
    document = {
        "server": {
            "listenAddress": NETBIRD_LISTEN_ADDRESS,
            "exposedAddress": f"https://{host}:443",
            "stunPorts": [3478],
            "metricsPort": 9090,
            "healthcheckAddress": ":9000",
            "logLevel": "info",
            "logFile": "console",
            "authSecret": values[NETBIRD_RELAY_SECRET],
            "dataDir": NETBIRD_DATA_DIR,
            "disableAnonymousMetrics": True,
            "disableGeoliteUpdate": False,
            "auth": {
                "issuer": f"https://{host}/oauth2",
                "localAuthDisabled": False,
                "signKeyRefreshEnabled": False,
                "dashboardRedirectURIs": [f"https://{host}/nb-auth", f"https://{host}/nb-silent-auth"],
                "cliRedirectURIs": ["http://localhost:53000/"],
                "owner": {"email": settings.admin_email, "password": values[NETBIRD_OWNER_PASSWORD_HASH]},
            },
            "store": {"engine": "sqlite", "dsn": "", "encryptionKey": values[NETBIRD_STORE_KEY]},
            "reverseProxy": {"trustedHTTPProxies": [f"{TRAEFIK_ADDRESS}/32"]},
        }
    }
    return yaml.safe_dump(document, sort_keys=False, width=1000)


def compose_dotenv(settings: BifrostSettings, netbird_config_digest: str) -> str:
    """The compose `.env`: interpolation only, no secret (the digest is keyed and reveals nothing)."""
    return dotenv.render([
        ("COMPOSE_PROJECT_NAME", COMPOSE_PROJECT),
        ("AUTHENTIK_HOST", settings.authentik_host),
        ("NETBIRD_HOST", settings.netbird_host),
        ("ACME_EMAIL", settings.acme_email),
        ("NETBIRD_CONFIG_DIGEST", netbird_config_digest),
        ("TRAEFIK_ADDRESS", TRAEFIK_ADDRESS),
    ])


NETBIRD_CONFIG = RenderedFile(
    "netbird/config.yaml", (NETBIRD_RELAY_SECRET, NETBIRD_STORE_KEY, NETBIRD_OWNER_PASSWORD_HASH),
    netbird_config)

SECRET_FILES: tuple[RenderedFile, ...] = (
    RenderedFile("env/traefik.env", (CLOUDFLARE_API_TOKEN,), traefik_env),
    RenderedFile("env/authentik-postgres.env", (AUTHENTIK_POSTGRES_PASSWORD,), authentik_postgres_env),
    RenderedFile("env/authentik.env", (AUTHENTIK_SECRET_KEY, AUTHENTIK_POSTGRES_PASSWORD), authentik_env),
    RenderedFile("env/authentik-worker.env",
                 (AUTHENTIK_SECRET_KEY, AUTHENTIK_POSTGRES_PASSWORD, AUTHENTIK_BOOTSTRAP_PASSWORD,
                  AUTHENTIK_BOOTSTRAP_TOKEN, AUTHENTIK_API_TOKEN), authentik_worker_env,
                 identity_secrets=True),
    NETBIRD_CONFIG,
    RenderedFile("env/netbird-proxy.env", (NETBIRD_PROXY_TOKEN,), netbird_proxy_env,
                 optional_secret=NETBIRD_PROXY_TOKEN),
    RenderedFile("env/netbird-agent.env", (NETBIRD_SETUP_KEY,), netbird_agent_env,
                 optional_secret=NETBIRD_SETUP_KEY),
)
DOTENV_PATH = ".env"
SUBDIRECTORIES = ("env", "netbird")
# The list of the files above, which bootstrap.sh reads to check them (its `rendered_list`): no secret.
RENDERED_LIST_PATH = "rendered-files"


def rendered_list() -> str:
    """`required PATH` or `optional PATH` for each rendered file, the compose `.env` first."""
    lines = [f"required {DOTENV_PATH}"]
    lines += [f"{'optional' if f.optional_secret else 'required'} {f.path}" for f in SECRET_FILES]
    return "".join(line + "\n" for line in lines)

