"""Pure renderers of the files Pulumi writes to /etc/bifrost. Plain values in, file text out.

Each file names the secrets it is made of, so a secret change re-renders (and re-uploads) exactly the
files that contain it, and each container's env file holds only what that container needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import yaml

from components.bifrost import blueprint, dotenv
from components.settings import BifrostSettings

COMPOSE_PROJECT = "bifrost"
NETBIRD_LISTEN_ADDRESS = ":80"  # Traefik terminates TLS and forwards HTTP and h2c gRPC
NETBIRD_DATA_DIR = "/var/lib/netbird/"
TRAEFIK_ADDRESS = "172.30.0.10/32"  # Traefik's fixed address on the compose network (docker-compose.yml)

Values = Mapping[str, str]
Renderer = Callable[[BifrostSettings, Values], str]


@dataclass(frozen=True)
class RenderedFile:
    path: str  # relative to /etc/bifrost
    secrets: tuple[str, ...]  # registry names of the secrets the file is made of
    render: Renderer
    optional_secret: str | None = None  # while this secret is unset the file is written empty
    identity_secrets: bool = False  # also gets the client secrets the Authentik blueprint reads (blueprint.py)

    @property
    def slug(self) -> str:
        return self.path.replace("/", "-").replace(".", "").strip("-") or "dotenv"


def _authentik_common(settings: BifrostSettings, values: Values) -> list[tuple[str, str]]:
    return [
        ("AUTHENTIK_SECRET_KEY", values["authentik_secret_key"]),
        ("AUTHENTIK_POSTGRESQL__HOST", "authentik-postgres"),
        ("AUTHENTIK_POSTGRESQL__NAME", "authentik"),
        ("AUTHENTIK_POSTGRESQL__USER", "authentik"),
        ("AUTHENTIK_POSTGRESQL__PASSWORD", values["authentik_postgres_password"]),
    ]


def traefik_env(settings: BifrostSettings, values: Values) -> str:
    return dotenv.render([("CF_DNS_API_TOKEN", values["cloudflare_api_token"])])


def authentik_postgres_env(settings: BifrostSettings, values: Values) -> str:
    return dotenv.render([
        ("POSTGRES_DB", "authentik"),
        ("POSTGRES_USER", "authentik"),
        ("POSTGRES_PASSWORD", values["authentik_postgres_password"]),
    ])


def authentik_env(settings: BifrostSettings, values: Values) -> str:
    return dotenv.render(_authentik_common(settings, values))


def authentik_worker_env(settings: BifrostSettings, values: Values) -> str:
    return dotenv.render([
        *_authentik_common(settings, values),
        ("AUTHENTIK_BOOTSTRAP_EMAIL", settings.admin_email),
        ("AUTHENTIK_BOOTSTRAP_PASSWORD", values["authentik_bootstrap_password"]),
        ("AUTHENTIK_BOOTSTRAP_TOKEN", values["authentik_bootstrap_token"]),
        ("BIFROST_API_TOKEN", values["authentik_api_token"]),
        *identity_env(values),
    ])


def identity_env(values: Values) -> list[tuple[str, str]]:
    """The variables the blueprint's !Env tags read: one per client secret the caller passed in `values`."""
    pairs = [(client.env, client.secret) for client in blueprint.CLIENTS]
    pairs.append((blueprint.GITHUB.env, blueprint.GITHUB.secret))
    return [(env, values[name]) for env, name in pairs if name in values]


def netbird_proxy_env(settings: BifrostSettings, values: Values) -> str:
    return dotenv.render([("NB_PROXY_TOKEN", values["netbird_proxy_token"])])


def netbird_agent_env(settings: BifrostSettings, values: Values) -> str:
    return dotenv.render([
        ("NB_SETUP_KEY", values["netbird_setup_key"]),
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
            "authSecret": values["netbird_relay_secret"],
            "dataDir": NETBIRD_DATA_DIR,
            "disableAnonymousMetrics": True,
            "disableGeoliteUpdate": False,
            "auth": {
                "issuer": f"https://{host}/oauth2",
                "localAuthDisabled": False,
                "signKeyRefreshEnabled": False,
                "dashboardRedirectURIs": [f"https://{host}/nb-auth", f"https://{host}/nb-silent-auth"],
                "cliRedirectURIs": ["http://localhost:53000/"],
                "owner": {"email": settings.admin_email, "password": values["netbird_owner_password_hash"]},
            },
            "store": {"engine": "sqlite", "dsn": "", "encryptionKey": values["netbird_store_key"]},
            "reverseProxy": {"trustedHTTPProxies": [TRAEFIK_ADDRESS]},
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
    ])


NETBIRD_CONFIG = RenderedFile(
    "netbird/config.yaml", ("netbird_relay_secret", "netbird_store_key", "netbird_owner_password_hash"),
    netbird_config)

SECRET_FILES: tuple[RenderedFile, ...] = (
    RenderedFile("env/traefik.env", ("cloudflare_api_token",), traefik_env),
    RenderedFile("env/authentik-postgres.env", ("authentik_postgres_password",), authentik_postgres_env),
    RenderedFile("env/authentik.env", ("authentik_secret_key", "authentik_postgres_password"), authentik_env),
    RenderedFile("env/authentik-worker.env",
                 ("authentik_secret_key", "authentik_postgres_password", "authentik_bootstrap_password",
                  "authentik_bootstrap_token", "authentik_api_token"), authentik_worker_env,
                 identity_secrets=True),
    NETBIRD_CONFIG,
    RenderedFile("env/netbird-proxy.env", ("netbird_proxy_token",), netbird_proxy_env,
                 optional_secret="netbird_proxy_token"),
    RenderedFile("env/netbird-agent.env", ("netbird_setup_key",), netbird_agent_env,
                 optional_secret="netbird_setup_key"),
)
DOTENV_PATH = ".env"
SUBDIRECTORIES = ("env", "netbird")

