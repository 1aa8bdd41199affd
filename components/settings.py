"""The config model: stack config in, immutable validated settings out.

`validate` is pure: it takes the raw config (what the Pulumi CLI hands the program) and returns every
problem at once. `load` turns valid raw config into `Settings`; secret values never enter `Settings` as
plain strings: they are read with `pulumi.Config.get_secret` and stay `Output`s.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components import config_schema
from components.config_schema import SettingSpec
from components.dns.hosts import DNS_HOSTS, DnsHost, Target
from components.secrets_registry import AUTHENTIK_GITHUB_SECRET, PROJECT, SECRETS, Need, Scope, SecretSpec

SYNC_OPERATORS = ("external-secrets", "infisical-operator")
SERVER_REPLACEMENT_MODES = ("off", "unprotect", "replace")
LOCATIONS = ("fsn1", "nbg1", "hel1", "ash", "hil", "sin")
RETIRED_SERVER_TYPES = frozenset(
    {"cx11", "cx21", "cx22", "cx31", "cx32", "cx41", "cx42", "cx51", "cx52",
     "cpx11", "cpx21", "cpx31", "cpx41", "cpx51"})
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_SUBDOMAIN = re.compile(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?")
_SECRET_DATA_KEY = re.compile(r"[-._a-zA-Z0-9]{1,253}")
_REMOTE_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,256}")
_INFISICAL_PATH = re.compile(r"/([A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*)?")
_DURATION = re.compile(r"([0-9]+(s|m|h))+")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,63}")
_GROUP_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.\-]{0,62}")  # no comma or quote: Argo CD's RBAC is CSV
_OAUTH_CLIENT_ID = re.compile(r"[A-Za-z0-9._\-]{8,128}")
_SSH_ED25519_PUBLIC = re.compile(r"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/=]{30,80}( [^\n\"'$\\]*)?")


@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    fix: str

    def render(self) -> str:
        return f"{self.key}: {self.message}\n    fix: {self.fix}"


class ConfigError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(render_problems(problems))


def render_problems(problems: list[Problem]) -> str:
    count = len(problems)
    header = f"the stack config has {count} problem{'s' if count != 1 else ''}:"
    return "\n".join([header, *(f"  - {p.render()}" for p in problems)])


@dataclass(frozen=True)
class GeneratedKey:
    """An Infisical key of a catalog app that the program generates and writes to Infisical at the app's path."""

    name: str  # the Infisical key
    length: int
    format: str  # alnum, hex or base64
    generation: int = 0  # bump to regenerate


GENERATED_FORMATS = ("alnum", "hex", "base64")


@dataclass(frozen=True)
class AppEntry:
    name: str
    namespace: str
    secret_name: str
    path: str
    keys: tuple[tuple[str, str], ...]  # (Kubernetes key, Infisical key), in catalog order
    refresh_interval: str
    operator: str
    generated: tuple[GeneratedKey, ...] = ()  # Infisical keys the program generates (the rest a person sets)

    @property
    def resource_name(self) -> str:
        return f"{self.namespace}-{self.name}"


@dataclass(frozen=True)
class BifrostSettings:
    enabled: bool
    server_name: str
    location: str
    server_type: str
    image: str
    ssh_source_ranges: tuple[str, ...]
    ssh_public_key: str
    authentik_host: str
    netbird_host: str
    acme_email: str
    admin_email: str
    server_replacement: str
    stage_timeout: int


@dataclass(frozen=True)
class ClusterSettings:
    enabled: bool
    infisical_host: str
    project_slug: str
    environment_slug: str
    default_operator: str
    install_external_secrets: bool
    install_infisical_operator: bool
    install_infisical: bool
    install_argocd: bool
    cloudflare_secret_key: str
    argocd_host: str
    authentik_host: str  # the OIDC issuer of Argo CD; read here too so the cluster works without Bifrost
    apps: tuple[AppEntry, ...]
    install_cert_manager: bool = False
    install_cloudnative_pg: bool = False
    ingress_class: str = ""
    acme_environment: str = "production"
    acme_email: str = ""
    argocd_admin_group: str = "argocd-admins"  # read once, with the identity settings (the blueprint's group)
    argocd_default_role: str = "role:readonly"
    infisical_api_url: str = ""  # an existing Infisical's API, when the program does not install one
    cluster_issuer: str = "letsencrypt"  # the ClusterIssuer the Ingresses name (created with installCertManager)
    admin_email: str = ""  # the first Infisical admin (adminEmail, shared with Authentik and NetBird)
    infisical_organization: str = "homelab"
    machine_identity_generation: int = 0  # bump to rotate the provisioned machine identity's client secret
    grafana_oauth: bool = False  # Authentik declares Grafana's client: its secret is written to Infisical too


@dataclass(frozen=True)
class IdentitySettings:
    """What the Authentik blueprint declares: the OAuth2 clients, the Argo CD admin group, the GitHub source."""

    argocd_host: str = ""  # Argo CD's client is declared when set
    grafana_host: str = ""  # Grafana's client is declared when set
    argocd_admin_group: str = "argocd-admins"  # Argo CD's RBAC maps this same group to role:admin
    github_client_id: str = ""  # the GitHub OAuth source is declared when set


@dataclass(frozen=True)
class DnsRecordHost:
    host: DnsHost
    name: str  # the configured host name


@dataclass(frozen=True)
class DnsSettings:
    zone: str = ""  # empty: no DNS record is managed
    hosts: tuple[DnsRecordHost, ...] = ()  # the managed hosts, in table order
    cluster_ingress: tuple[str, ...] = ()  # IPv4 and IPv6 addresses, as configured

    def targeting(self, target: Target) -> tuple[DnsRecordHost, ...]:
        return tuple(record for record in self.hosts if record.host.target is target)


@dataclass(frozen=True)
class Settings:
    stack: str
    bifrost: BifrostSettings
    cluster: ClusterSettings
    identity: IdentitySettings
    dns: DnsSettings
    allow_data_key_change: bool
    generations: Mapping[SecretSpec, int]  # rotation counter of each generated secret
    supplied: frozenset[SecretSpec]  # the secrets whose value comes from config


class RawConfig:
    """Raw stack config as the Pulumi CLI passes it: full key -> string, plus which keys are secret."""

    def __init__(self, values: Mapping[str, str], secret_keys: frozenset[str]) -> None:
        self._values = dict(values)
        self._secret_keys = secret_keys

    @classmethod
    def from_runtime(cls) -> RawConfig:
        from pulumi.runtime import config as runtime_config

        values = {k: str(v) for k, v in runtime_config.CONFIG.get().items()}
        values.update({k: str(v) for k, v in runtime_config.get_config_env().items() if k not in values})
        keys = set(runtime_config._SECRET_KEYS.get()) | set(runtime_config.get_config_secret_keys_env())
        return cls(values, frozenset(keys))

    def get(self, key: str) -> str | None:
        return self._values.get(f"{PROJECT}:{key}")

    def is_secret(self, key: str) -> bool:
        return f"{PROJECT}:{key}" in self._secret_keys


def set_command(key: str, example: str) -> str:
    return f"pulumi config set {PROJECT}:{key} {example}"


def _json_command(key: str, example: str) -> str:
    return f"pulumi config set --path {PROJECT}:{key} {example}"


class _Reader:
    """Reads typed values, recording a problem (and returning the default) for each bad one."""

    def __init__(self, raw: RawConfig) -> None:
        self.raw = raw
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str, fix: str) -> None:
        self.problems.append(Problem(f"{PROJECT}:{key}", message, fix))

    def _spec(self, key: str) -> SettingSpec:
        return config_schema.BY_KEY[key]

    def text(self, key: str, example: str) -> str:
        spec = self._spec(key)
        value = self.raw.get(key)
        if value is None or value == "":
            if spec.required:
                self.problem(key, "is required and not set", set_command(key, example))
                return ""
            return str(spec.default)
        return value

    def boolean(self, key: str) -> bool:
        spec = self._spec(key)
        value = self.raw.get(key)
        if value is None:
            return bool(spec.default)
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        self.problem(key, f"must be true or false, not {value!r}", set_command(key, "true"))
        return bool(spec.default)

    def integer(self, key: str, minimum: int = 0, maximum: int = 1_000_000) -> int:
        spec = self._spec(key)
        value = self.raw.get(key)
        default = spec.default if isinstance(spec.default, int) else 0
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not minimum <= number <= maximum:
            self.problem(key, f"must be a whole number from {minimum} to {maximum}, not {value!r}",
                         set_command(key, str(default)))
            return default
        return number

    def string_list(self, key: str, example: str) -> tuple[str, ...]:
        value = self.raw.get(key)
        if value is None or value == "":
            self.problem(key, "is required and not set", _json_command(key, example))
            return ()
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, list) or not all(isinstance(i, str) for i in parsed):
            self.problem(key, "must be a list of strings", _json_command(key, example))
            return ()
        return tuple(parsed)

    def optional_list(self, key: str, example: str) -> tuple[str, ...]:
        value = self.raw.get(key)
        if value is None or value == "":
            return ()
        return self.string_list(key, example)

    def domain(self, key: str, example: str, required: bool = True) -> str:
        value = self.text(key, example) if required else (self.raw.get(key) or "")
        if value and not is_domain_name(value):
            self.problem(key, f"is not a valid DNS name ({_quote_plain(value)})", set_command(key, example))
        return value

    def email(self, key: str, example: str) -> str:
        value = self.text(key, example)
        if value and not _EMAIL.fullmatch(value):
            self.problem(key, f"is not a valid email address ({_quote_plain(value)})", set_command(key, example))
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.text(key, choices[0])
        if value not in choices:
            self.problem(key, f"must be one of {', '.join(choices)}, not {_quote_plain(value)}",
                         set_command(key, choices[0]))
        return value


def _quote_plain(value: str) -> str:
    shown = value if len(value) <= 80 else value[:77] + "..."
    return json.dumps(shown)


def duration_seconds(interval: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return sum(int(number) * units[unit] for number, unit in re.findall(r"([0-9]+)([smh])", interval))


def is_domain_name(value: str) -> bool:
    if len(value) > 253 or "." not in value:
        return False
    return all(_LABEL.fullmatch(label) for label in value.split("."))


def is_dns_label(value: str) -> bool:
    return len(value) <= 63 and _LABEL.fullmatch(value) is not None


def is_dns_subdomain(value: str) -> bool:
    return (len(value) <= 253 and _SUBDOMAIN.fullmatch(value) is not None
            and all(_LABEL.fullmatch(part) for part in value.split(".")))


def _read_bifrost(r: _Reader, enabled: bool) -> BifrostSettings:
    if not enabled:
        return BifrostSettings(False, "bifrost", "fsn1", "cx23", "ubuntu-24.04", (), "", "", "", "", "",
                               "off", 300)
    server_name = r.text("serverName", "bifrost")
    if not is_dns_label(server_name):
        r.problem("serverName", f"must be a lowercase DNS label ({_quote_plain(server_name)})",
                  set_command("serverName", "bifrost"))
    location = r.choice("location", LOCATIONS)
    server_type = r.text("serverType", "cx23")
    if server_type in RETIRED_SERVER_TYPES:
        r.problem("serverType", f"{server_type} is no longer offered by Hetzner",
                  set_command("serverType", "cx23"))
    elif not re.fullmatch(r"c[a-z]*[0-9]{2}", server_type):
        r.problem("serverType", f"is not a Hetzner server type ({_quote_plain(server_type)})",
                  set_command("serverType", "cx23"))
    image = r.text("image", "ubuntu-24.04")
    ranges = r.string_list("sshSourceRanges", "'sshSourceRanges[0]' 203.0.113.7/32")
    for index, cidr in enumerate(ranges):
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            r.problem("sshSourceRanges", f"entry {index} is not a CIDR network ({_quote_plain(cidr)})",
                      _json_command("sshSourceRanges", f"'sshSourceRanges[{index}]' 203.0.113.7/32"))
    public_key = r.raw.get("sshPublicKey") or ""
    if public_key and not _SSH_ED25519_PUBLIC.fullmatch(public_key.strip()):
        r.problem("sshPublicKey", "must be one OpenSSH ed25519 public key line (ssh-ed25519 AAAA...)",
                  set_command("sshPublicKey", '"$(cat ~/.ssh/id_ed25519.pub)"'))
    if public_key and not r.raw.get("sshPrivateKey"):
        r.problem("sshPrivateKey", "is required when sshPublicKey is set (Pulumi connects with it)",
                  f"pulumi config set --secret {PROJECT}:sshPrivateKey < ~/.ssh/id_ed25519")
    authentik_host = r.domain("authentikHost", "auth.example.com")
    netbird_host = r.domain("netbirdHost", "netbird.example.com")
    if authentik_host and authentik_host == netbird_host:
        r.problem("netbirdHost", "must differ from authentikHost", set_command("netbirdHost", "netbird.example.com"))
    return BifrostSettings(
        enabled=True,
        server_name=server_name,
        location=location,
        server_type=server_type,
        image=image,
        ssh_source_ranges=ranges,
        ssh_public_key=public_key.strip(),
        authentik_host=authentik_host,
        netbird_host=netbird_host,
        acme_email=r.email("acmeEmail", "admin@example.com"),
        admin_email=r.email("adminEmail", "admin@example.com"),
        server_replacement=r.choice("serverReplacement", SERVER_REPLACEMENT_MODES),
        stage_timeout=r.integer("bootstrapStageTimeout", minimum=10, maximum=3600),
    )


_APP_FIELDS = ("name", "namespace", "target", "path", "keys", "refreshInterval", "operator", "generate")
_APP_EXAMPLE = ("'apps[0]' '{\"name\": \"grafana\", \"namespace\": \"monitoring\", \"target\": "
                "\"grafana-secret\", \"path\": \"/\", \"keys\": {\"ADMIN_PASSWORD\": \"GRAFANA_ADMIN_PASSWORD\"}}'")


def _read_apps(r: _Reader, default_operator: str) -> tuple[AppEntry, ...]:
    value = r.raw.get("apps")
    if value is None or value == "":
        return ()
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, list):
        r.problem("apps", "must be a list of app entries", "edit the apps list in Pulumi.<stack>.yaml")
        return ()
    apps: list[AppEntry] = []
    targets: dict[tuple[str, str], str] = {}
    resource_names: set[str] = set()
    for index, item in enumerate(parsed):
        app = _read_app(r, index, item, default_operator)
        if app is None:
            continue
        target = (app.namespace, app.secret_name)
        if target in targets:
            r.problem(f"apps[{index}].target",
                      f"app {app.name!r} targets Secret {app.namespace}/{app.secret_name}, already the target "
                      f"of app {targets[target]!r}",
                      "give one of the two entries another target or namespace in Pulumi.<stack>.yaml")
            continue
        targets[target] = app.name
        if app.resource_name in resource_names:
            r.problem(f"apps[{index}].name", f"app {app.name!r} appears twice in namespace {app.namespace}",
                      "rename one of the two entries in Pulumi.<stack>.yaml")
            continue
        resource_names.add(app.resource_name)
        apps.append(app)
    return tuple(apps)


def _read_app(r: _Reader, index: int, item: Any, default_operator: str) -> AppEntry | None:
    where = f"apps[{index}]"
    fix = f"edit {where} in Pulumi.<stack>.yaml, e.g. pulumi config set --path {PROJECT}:{_APP_EXAMPLE}"
    if not isinstance(item, dict):
        r.problem(where, "must be a mapping with name, namespace, target, path and keys", fix)
        return None
    before = len(r.problems)
    unknown = sorted(set(item) - set(_APP_FIELDS))
    if unknown:
        r.problem(where, f"has unknown fields: {', '.join(unknown)} (known: {', '.join(_APP_FIELDS)})", fix)

    def field(name: str, default: str | None = None) -> str:
        value = item.get(name, default)
        if value is None:
            r.problem(f"{where}.{name}", "is required", fix)
            return ""
        if not isinstance(value, str):
            r.problem(f"{where}.{name}", f"must be a string, not {type(value).__name__}", fix)
            return ""
        return value

    name = field("name")
    if name and not is_dns_label(name):
        r.problem(f"{where}.name", f"is not a valid Kubernetes name ({_quote_plain(name)})", fix)
    namespace = field("namespace")
    if namespace and not is_dns_label(namespace):
        r.problem(f"{where}.namespace", f"is not a valid Kubernetes namespace ({_quote_plain(namespace)})", fix)
    secret_name = field("target")
    if secret_name and not is_dns_subdomain(secret_name):
        r.problem(f"{where}.target", f"is not a valid Kubernetes Secret name ({_quote_plain(secret_name)})",
                  fix)
    path = field("path")
    if path and not _INFISICAL_PATH.fullmatch(path):
        r.problem(f"{where}.path", f"must be an Infisical folder path like / or /grafana ({_quote_plain(path)})",
                  fix)
    interval = field("refreshInterval", "1h")
    if interval and not _DURATION.fullmatch(interval):
        r.problem(f"{where}.refreshInterval", f"must be a duration like 60s, 15m or 1h ({_quote_plain(interval)})",
                  fix)
    operator = field("operator", default_operator)
    if operator and operator not in SYNC_OPERATORS:
        r.problem(f"{where}.operator", f"must be one of {', '.join(SYNC_OPERATORS)} ({_quote_plain(operator)})",
                  fix)
    elif operator == "infisical-operator" and _DURATION.fullmatch(interval) and duration_seconds(interval) < 5:
        r.problem(f"{where}.refreshInterval", "must be at least 5s for the Infisical operator", fix)
    keys = item.get("keys")
    pairs: list[tuple[str, str]] = []
    if not isinstance(keys, dict) or not keys:
        r.problem(f"{where}.keys", "must map at least one Kubernetes key to an Infisical key", fix)
    else:
        for k8s_key, remote_key in keys.items():
            if not _SECRET_DATA_KEY.fullmatch(str(k8s_key)):
                r.problem(f"{where}.keys", f"{_quote_plain(str(k8s_key))} is not a valid Secret data key", fix)
            elif not isinstance(remote_key, str) or not _REMOTE_KEY.fullmatch(remote_key):
                r.problem(f"{where}.keys.{k8s_key}",
                          "must name an Infisical key (letters, digits, _ . -)", fix)
            else:
                pairs.append((str(k8s_key), remote_key))
    generated = _read_generated(r, where, item.get("generate", {}), {remote for _, remote in pairs}, fix)
    if generated and path != "/":
        # The provisioner writes into existing folders only: the API it is checked against has no folder endpoint.
        r.problem(f"{where}.generate", f"needs path / (the provisioner Job cannot create the folder "
                  f"{_quote_plain(path)} in Infisical)", "move the entry to path /, or drop `generate` and set the "
                  "keys in Infisical by hand")
    if len(r.problems) > before:
        return None
    return AppEntry(name, namespace, secret_name, path, tuple(pairs), interval, operator, generated)


def _read_generated(r: _Reader, where: str, value: Any, listed: set[str], fix: str) -> tuple[GeneratedKey, ...]:
    """`generate: {INFISICAL_KEY: {length: 32, format: alnum, generation: 0}}`: keys the program generates."""
    if not isinstance(value, dict):
        r.problem(f"{where}.generate", "must map Infisical keys to {length, format, generation}", fix)
        return ()
    generated = []
    for key, options in value.items():
        at = f"{where}.generate.{key}"
        if key not in listed:
            r.problem(at, "is not an Infisical key this entry's keys map syncs", fix)
            continue
        if not isinstance(options, dict) or set(options) - {"length", "format", "generation"}:
            r.problem(at, "must be a mapping of length (16 to 256), format (alnum, hex or base64) and generation",
                      fix)
            continue
        length, fmt, generation = options.get("length", 32), options.get("format", "alnum"), options.get(
            "generation", 0)
        if not isinstance(length, int) or isinstance(length, bool) or not 16 <= length <= 256:
            r.problem(f"{at}.length", f"must be a whole number from 16 to 256, not {length!r}", fix)
        elif fmt not in GENERATED_FORMATS:
            r.problem(f"{at}.format", f"must be one of {', '.join(GENERATED_FORMATS)}, not {fmt!r}", fix)
        elif not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
            r.problem(f"{at}.generation", f"must be a whole number from 0, not {generation!r}", fix)
        else:
            generated.append(GeneratedKey(str(key), length, str(fmt), generation))
    return tuple(generated)


def _read_cluster(r: _Reader, enabled: bool, bifrost_on: bool) -> ClusterSettings:
    if not enabled:
        return ClusterSettings(False, "", "homelab", "prod", "external-secrets", False, False, False, False,
                               "api-token", "", "", ())
    default_operator = r.choice("defaultSyncOperator", SYNC_OPERATORS)
    project_slug = r.text("infisicalProjectSlug", "homelab")
    if not is_dns_label(project_slug):
        r.problem("infisicalProjectSlug", f"is not a valid slug ({_quote_plain(project_slug)})",
                  set_command("infisicalProjectSlug", "homelab"))
    environment_slug = r.text("infisicalEnvironment", "prod")
    if not is_dns_label(environment_slug):
        r.problem("infisicalEnvironment", f"is not a valid slug ({_quote_plain(environment_slug)})",
                  set_command("infisicalEnvironment", "prod"))
    install_cert_manager = r.boolean("installCertManager")
    secret_key = r.text("cloudflareSecretKey", "api-token")
    if not _SECRET_DATA_KEY.fullmatch(secret_key):
        r.problem("cloudflareSecretKey", f"is not a valid Secret data key ({_quote_plain(secret_key)})",
                  set_command("cloudflareSecretKey", "api-token"))
    return ClusterSettings(
        enabled=True,
        infisical_host=r.domain("infisicalHost", "infisical.example.com"),
        project_slug=project_slug,
        environment_slug=environment_slug,
        default_operator=default_operator,
        install_external_secrets=r.boolean("installExternalSecrets"),
        install_infisical_operator=r.boolean("installInfisicalOperator"),
        install_infisical=r.boolean("installInfisical"),
        install_argocd=r.boolean("installArgocd"),
        cloudflare_secret_key=secret_key,
        argocd_host=r.domain("argocdHost", "argocd.example.com", required=False),
        authentik_host=_optional_authentik_host(r),
        apps=_read_apps(r, default_operator),
        install_cert_manager=install_cert_manager,
        install_cloudnative_pg=r.boolean("installCloudNativePg"),
        ingress_class=_ingress_class(r),
        acme_environment=r.choice("acmeEnvironment", ACME_ENVIRONMENTS),
        acme_email=_shared_email(r, "acmeEmail", install_cert_manager, bifrost_on),
        argocd_default_role=_argocd_role(r),
        infisical_api_url=_infisical_api_url(r, r.boolean("installInfisical")),
        cluster_issuer=_cluster_issuer(r),
        admin_email=_shared_email(r, "adminEmail", r.boolean("installInfisical"), bifrost_on),
        infisical_organization=_organization(r),
        machine_identity_generation=r.integer("machineIdentityGeneration"),
    )


def _organization(r: _Reader) -> str:
    value = r.text("infisicalOrganization", "homelab")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}", value):
        r.problem("infisicalOrganization", f"must be 1 to 64 letters, digits, spaces, `_`, `.` or `-` "
                  f"({_quote_plain(value)})", set_command("infisicalOrganization", "homelab"))
    return value


def _cluster_issuer(r: _Reader) -> str:
    value = r.text("clusterIssuer", "letsencrypt")
    if not is_dns_subdomain(value):
        r.problem("clusterIssuer", f"is not a valid ClusterIssuer name ({_quote_plain(value)})",
                  set_command("clusterIssuer", "letsencrypt"))
    return value


def _infisical_api_url(r: _Reader, installed: bool) -> str:
    """Where the sync operators reach Infisical when the program does not install it."""
    value = r.raw.get("infisicalApiUrl") or ""
    example = "https://infisical.example.com/api"
    if installed:
        if value:
            r.problem("infisicalApiUrl", "is set while installInfisical is true: the operators use the installed "
                      "Infisical's in-cluster Service", f"pulumi config rm {PROJECT}:infisicalApiUrl")
        return ""
    if not value:
        r.problem("infisicalApiUrl", "is required when installInfisical is false (the sync operators need an "
                  "Infisical API)", set_command("infisicalApiUrl", example))
    elif not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?", value):
        r.problem("infisicalApiUrl", f"is not an http(s) URL ({_quote_plain(value)})",
                  set_command("infisicalApiUrl", example))
    return value


ACME_ENVIRONMENTS = ("production", "staging")
_ARGOCD_ROLE = re.compile(r"role:[A-Za-z0-9_.-]+")


def _shared_email(r: _Reader, key: str, needed: bool, bifrost_on: bool) -> str:
    """An email the VPS side also reads (acmeEmail, adminEmail): read here too, and reported once."""
    if not needed:
        return ""
    if not bifrost_on:
        return r.email(key, "ops@example.com")
    value = r.raw.get(key) or ""
    return value if _EMAIL.fullmatch(value) else ""


def _ingress_class(r: _Reader) -> str:
    value = r.text("ingressClass", "traefik")
    if value and not is_dns_subdomain(value):
        r.problem("ingressClass", f"is not a valid IngressClass name ({_quote_plain(value)})",
                  set_command("ingressClass", "traefik"))
    return value


def _argocd_role(r: _Reader) -> str:
    value = r.text("argocdDefaultRole", "role:readonly")
    if value and not _ARGOCD_ROLE.fullmatch(value):
        r.problem("argocdDefaultRole", f"must be an Argo CD role such as role:readonly, or empty "
                  f"({_quote_plain(value)})", set_command("argocdDefaultRole", "role:readonly"))
    return value


def _optional_authentik_host(r: _Reader) -> str:
    """authentikHost for the cluster alone: optional there; a bad value is reported by the Bifrost reader."""
    value = r.raw.get("authentikHost") or ""
    return value if is_domain_name(value) else ""


def _read_identity(r: _Reader, cluster: ClusterSettings) -> IdentitySettings:
    # argocdHost belongs to the cluster settings; read (and checked) here only when the cluster is off.
    argocd_host = cluster.argocd_host if cluster.enabled else r.domain("argocdHost", "argocd.example.com",
                                                                        required=False)
    group = r.text("argocdAdminGroup", "argocd-admins")
    if not _GROUP_NAME.fullmatch(group):
        r.problem("argocdAdminGroup", "must be 1 to 63 letters, digits, spaces, `_`, `.` or `-` (it is a line of "
                  f"Argo CD's RBAC CSV), not {_quote_plain(group)}", set_command("argocdAdminGroup", "argocd-admins"))
    client_id = r.raw.get("githubOauthClientId") or ""
    if client_id and not _OAUTH_CLIENT_ID.fullmatch(client_id):
        r.problem("githubOauthClientId", f"is not a GitHub OAuth client ID ({_quote_plain(client_id)})",
                  set_command("githubOauthClientId", "Ov23liExampleClientId"))
    return IdentitySettings(
        argocd_host=argocd_host,
        grafana_host=r.domain("grafanaHost", "grafana.example.com", required=False),
        argocd_admin_group=group,
        github_client_id=client_id,
    )


def _in_zone(host: str, zone: str) -> bool:
    return host == zone or host.endswith("." + zone)


def _read_dns(r: _Reader, names: Mapping[str, str], bifrost: bool, cluster: bool) -> DnsSettings:
    """`names`: host key -> configured host name (empty when unset)."""
    zone = r.raw.get("dnsZone") or ""
    unmanaged_example = "'dnsUnmanagedHosts[0]' argocdHost"
    unmanaged = r.optional_list("dnsUnmanagedHosts", unmanaged_example)
    known = [host.key for host in DNS_HOSTS]
    for key in unmanaged:
        if key not in known:
            r.problem("dnsUnmanagedHosts", f"{_quote_plain(key)} is not a host key (known: {', '.join(known)})",
                      _json_command("dnsUnmanagedHosts", unmanaged_example))
    addresses = r.optional_list("clusterIngressAddresses", "'clusterIngressAddresses[0]' 198.51.100.20")
    for index, address in enumerate(addresses):
        try:
            ipaddress.ip_address(address)
        except ValueError:
            r.problem("clusterIngressAddresses", f"entry {index} is not an IPv4 or IPv6 address "
                      f"({_quote_plain(address)})",
                      _json_command("clusterIngressAddresses", f"'clusterIngressAddresses[{index}]' 198.51.100.20"))
    if len(set(addresses)) != len(addresses):
        r.problem("clusterIngressAddresses", "lists an address twice",
                  "edit clusterIngressAddresses in Pulumi.<stack>.yaml")
    if not zone:
        return DnsSettings("", (), addresses)
    if not is_domain_name(zone):
        r.problem("dnsZone", f"is not a valid DNS zone name ({_quote_plain(zone)})",
                  set_command("dnsZone", "example.com"))
        return DnsSettings(zone, (), addresses)
    enabled = {Target.BIFROST: bifrost, Target.CLUSTER: cluster}
    hosts: list[DnsRecordHost] = []
    for host in DNS_HOSTS:
        name = names.get(host.key, "")
        if not name or host.key in unmanaged or not enabled[host.target] or not is_domain_name(name):
            continue  # an invalid host name is reported by its own reader, once
        if not _in_zone(name, zone):
            r.problem(host.key, f"{name} is not in dnsZone {zone}, so its record cannot be created there",
                      f"use a host under {zone}, or leave its record alone: "
                      + _json_command("dnsUnmanagedHosts", f"'dnsUnmanagedHosts[{len(unmanaged)}]' {host.key}"))
            continue
        hosts.append(DnsRecordHost(host, name))
    cluster_hosts = [record.host.key for record in hosts if record.host.target is Target.CLUSTER]
    reported = any(problem.key == f"{PROJECT}:clusterIngressAddresses" for problem in r.problems)
    if cluster_hosts and not addresses and not reported:
        r.problem("clusterIngressAddresses",
                  f"is required for the DNS records of {', '.join(cluster_hosts)} (the cluster's ingress address)",
                  _json_command("clusterIngressAddresses", "'clusterIngressAddresses[0]' 198.51.100.20")
                  + ", or leave those records alone with dnsUnmanagedHosts")
    return DnsSettings(zone, tuple(hosts), addresses)


def secret_in_scope(spec: SecretSpec, bifrost: bool, cluster: bool) -> bool:
    return (spec.scope is Scope.BOTH and (bifrost or cluster)) or (
        (spec.scope is Scope.BIFROST and bifrost) or (spec.scope is Scope.CLUSTER and cluster))


def _check_secrets(r: _Reader, bifrost: bool, cluster: bool) -> frozenset[SecretSpec]:
    supplied: set[SecretSpec] = set()
    for spec in SECRETS:
        value = r.raw.get(spec.config_key)
        if value is None or value == "":
            if spec.need is Need.REQUIRED and not spec.generated and secret_in_scope(spec, bifrost, cluster):
                r.problem(spec.config_key, f"is required and not set ({spec.title})", spec.set_command())
            continue
        if not r.raw.is_secret(spec.config_key):
            r.problem(spec.config_key, "is stored in plaintext in the stack file: it must be encrypted",
                      f"pulumi config rm {spec.full_key} && {spec.set_command()}")
        elif not spec.format.accepts(value):
            # The value is secret: say what shape is expected, never what was given.
            r.problem(spec.config_key, f"has the wrong format: expected {spec.format.description}",
                      spec.set_command())
        supplied.add(spec)
    return frozenset(supplied)


def validate(raw: RawConfig, stack: str) -> tuple[Settings | None, list[Problem]]:
    """Read and check the whole config; return settings only when there is no problem at all."""
    r = _Reader(raw)
    bifrost_on = r.boolean("bifrostEnabled")
    cluster_on = r.boolean("clusterEnabled")
    bifrost = _read_bifrost(r, bifrost_on)
    cluster = _read_cluster(r, cluster_on, bifrost_on)
    supplied = _check_secrets(r, bifrost_on, cluster_on)
    identity = _read_identity(r, cluster)
    cluster = dataclasses.replace(cluster, argocd_admin_group=identity.argocd_admin_group,
                                  grafana_oauth=bool(identity.grafana_host))
    if identity.github_client_id and AUTHENTIK_GITHUB_SECRET not in supplied and bifrost_on:
        github = AUTHENTIK_GITHUB_SECRET
        r.problem(github.config_key, "is required when githubOauthClientId is set (the GitHub OAuth app's "
                  "client secret)", github.set_command())
    names = {"authentikHost": bifrost.authentik_host, "netbirdHost": bifrost.netbird_host,
             "infisicalHost": cluster.infisical_host, "argocdHost": cluster.argocd_host,
             "grafanaHost": identity.grafana_host}
    dns = _read_dns(r, names, bifrost_on, cluster_on)
    generations = {
        spec: r.integer(spec.generation_key) for spec in SECRETS if spec.generated
    }
    settings = Settings(
        stack=stack,
        bifrost=bifrost,
        cluster=cluster,
        identity=identity,
        dns=dns,
        allow_data_key_change=r.boolean("allowDataKeyChange"),
        generations=generations,
        supplied=supplied,
    )
    return (None, r.problems) if r.problems else (settings, [])


def load(raw: RawConfig, stack: str) -> Settings:
    settings, problems = validate(raw, stack)
    if settings is None:
        raise ConfigError(problems)
    return settings


def missing_later_secrets(settings: Settings) -> list[SecretSpec]:
    """Secrets issued by a running service after the first deploy, not set yet."""
    return [
        spec for spec in SECRETS
        if spec.need is Need.LATER and spec not in settings.supplied
        and secret_in_scope(spec, settings.bifrost.enabled, settings.cluster.enabled)
    ]
