"""The file contract between Pulumi (which renders the secret files) and cloud/bifrost (which uses them).

Every path is relative to /etc/bifrost. Pulumi writes each rendered file mode 0600; the directory is
0700. Everything in cloud/bifrost is uploaded as it is, at the same relative path.
"""

from __future__ import annotations

# Compose interpolation only: no secret may ever go here.
DOTENV = ".env"
DOTENV_KEYS = ("COMPOSE_PROJECT_NAME", "AUTHENTIK_HOST", "NETBIRD_HOST", "ACME_EMAIL", "NETBIRD_CONFIG_DIGEST",
               "TRAEFIK_ADDRESS")

AUTHENTIK_KEYS = (
    "AUTHENTIK_SECRET_KEY",
    "AUTHENTIK_POSTGRESQL__HOST",
    "AUTHENTIK_POSTGRESQL__NAME",
    "AUTHENTIK_POSTGRESQL__USER",
    "AUTHENTIK_POSTGRESQL__PASSWORD",
)
AUTHENTIK_BOOTSTRAP_KEYS = ("AUTHENTIK_BOOTSTRAP_EMAIL", "AUTHENTIK_BOOTSTRAP_PASSWORD", "AUTHENTIK_BOOTSTRAP_TOKEN")

# env file -> the keys it holds, exactly.
ENV_FILES: dict[str, tuple[str, ...]] = {
    "env/traefik.env": ("CF_DNS_API_TOKEN",),
    "env/authentik-postgres.env": ("POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"),
    "env/authentik.env": AUTHENTIK_KEYS,
    "env/authentik-worker.env": (*AUTHENTIK_KEYS, *AUTHENTIK_BOOTSTRAP_KEYS, "BIFROST_API_TOKEN"),
    "env/netbird-proxy.env": ("NB_PROXY_TOKEN",),
    "env/netbird-agent.env": ("NB_SETUP_KEY", "NB_MANAGEMENT_URL"),
}

# Empty (0 bytes) until the operator sets the secret; the service's compose profile then starts.
OPTIONAL_ENV_FILES: dict[str, str] = {
    "env/netbird-proxy.env": "proxy",
    "env/netbird-agent.env": "agent",
}

# The one env file of each service that needs secrets; services not listed take none.
SERVICE_ENV_FILE: dict[str, str] = {
    "traefik": "env/traefik.env",
    "authentik-postgres": "env/authentik-postgres.env",
    "authentik-migrate": "env/authentik.env",
    "authentik-server": "env/authentik.env",
    "authentik-worker": "env/authentik-worker.env",
    "netbird-proxy": "env/netbird-proxy.env",
    "netbird-agent": "env/netbird-agent.env",
}

# Env files bootstrap.sh writes on the VPS (Pulumi never does), read by the service before its
# Pulumi-rendered one: service -> (file, the keys it holds).
ISSUED_ENV_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "netbird-proxy": ("env/netbird-proxy-issued.env", ("NB_PROXY_TOKEN",)),
}

# The whole NetBird combined-server config, secrets included (NetBird never expands ${VAR}).
NETBIRD_CONFIG = "netbird/config.yaml"
NETBIRD_CONFIG_MOUNT = "/etc/netbird/config.yaml"

RENDERED_FILES = (DOTENV, *ENV_FILES, NETBIRD_CONFIG)
