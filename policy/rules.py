"""The policies as plain functions: `(resource_type, props) -> violation messages`.

`props` are a resource's inputs as the engine sees them: camelCase names, secrets unwrapped, and during
preview `policy.values.Unknown` where a value is computed from another resource. A rule that needs an
unknown value raises `policy.values.UnknownValue` unless it already found a violation: the policy is
then deferred to `pulumi up`, which runs it on the real value before the resource is touched.

Messages never quote a value that may be secret (stdin, environment values, Secret data): only key
names, paths, flags and versions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from components.bifrost.cloud_init import BIFROST_DIR
from components.cluster.constants import ARGOCD_SYNC_OPTIONS as SYNC_OPTIONS
from components.cluster.constants import BOOTSTRAP_LABEL, ESO_API_VERSION, HELM_RELEASE_TYPE
from components.cluster.constants import BOOTSTRAP_SYNC_OPTIONS as PRUNE_FALSE
from policy import firewall
from policy.firewall import AllowedIngress
from policy.secrets import NO_SECRETS, SecretView
from policy.shell import files_written
from policy.values import Unknown, UnknownValue, get, is_mapping, known

COMMAND = "command:remote:Command"
LOCAL_COMMAND = "command:local:Command"
SCRIPT_KEYS = ("create", "update", "delete")
COPY_TO_REMOTE = "command:remote:CopyToRemote"
COPY_FILE = "command:remote:CopyFile"  # deprecated, still a remote connection
SERVER = "hcloud:index/server:Server"
FIREWALL = "hcloud:index/firewall:Firewall"
HELM_TYPES = frozenset({HELM_RELEASE_TYPE, "kubernetes:helm.sh/v4:Chart"})
SECRET = "kubernetes:core/v1:Secret"

# The version the program applies is the one it requires: a chart upgrade that moves the API changes one line.
ESO_GROUP, ESO_VERSION = ESO_API_VERSION.split("/")
ESO_KINDS = ("ExternalSecret", "ClusterSecretStore", "SecretStore")
_ESO_TYPE = re.compile(r"kubernetes:external-secrets\.io/(?P<version>[^:]+):(?P<kind>[A-Za-z]+)")
# An exact SemVer 2.0 version, optionally with Helm's tolerated leading "v": no ranges, wildcards or partials.
_EXACT_VERSION = re.compile(
    r"v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?")


class _Findings:
    """Violations of one resource; an unknown value defers the policy only when nothing was found."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.deferred: UnknownValue | None = None

    @contextmanager
    def part(self) -> Iterator[None]:
        try:
            yield
        except UnknownValue as unknown:
            self.deferred = self.deferred or unknown

    def result(self) -> list[str]:
        if not self.messages and self.deferred is not None:
            raise self.deferred
        return self.messages


def _describe(value: Any) -> str:
    return "unset" if value is None else repr(value)


# -- remote commands -------------------------------------------------------------------------------


def file_write_reasons(props: Mapping[str, Any]) -> list[str]:
    """Why a remote Command counts as writing a file: it has `stdin`, or its create/update script writes
    under /etc/bifrost (see policy.shell for the exact reading of the script). Empty: it writes none."""
    reasons: list[str] = []
    if props.get("stdin") is not None:
        reasons.append("it reads stdin")
    for key in ("create", "update"):
        script = props.get(key)
        if isinstance(script, Unknown):
            if reasons:
                continue
            raise UnknownValue([key], script.sentinel)
        if isinstance(script, str):
            reasons.extend(f"{key} writes {path}" for path in dict.fromkeys(files_written(script, BIFROST_DIR)))
    return reasons


def _environment_problem(props: Mapping[str, Any]) -> str | None:
    environment = props.get("environment")
    if environment is None:
        return None
    environment = known(environment, "environment")
    if is_mapping(environment):
        if not environment:
            return None
        return f"environment sets {', '.join(sorted(str(key) for key in environment))}"
    return "environment is set"


def check_file_writing_command(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """A remote Command that writes a file runs silent: logging 'none', addPreviousOutputInEnv false,
    no environment."""
    if resource_type != COMMAND:
        return []
    reasons = file_write_reasons(props)
    if not reasons:
        return []
    why = "; ".join(reasons)
    findings = _Findings()
    with findings.part():
        logging = known(props.get("logging"), "logging")
        if logging != "none":
            shown = "unset (pulumi-command logs stdout and stderr)" if logging is None else repr(logging)
            findings.messages.append(f"writes a file ({why}) but logging is {shown}: set logging='none'")
    with findings.part():
        previous = known(props.get("addPreviousOutputInEnv"), "addPreviousOutputInEnv")
        if previous is not False:
            shown = "unset (pulumi-command defaults to true)" if previous is None else repr(previous)
            findings.messages.append(
                f"writes a file ({why}) but addPreviousOutputInEnv is {shown}: set it to False")
    with findings.part():
        problem = _environment_problem(props)
        if problem is not None:
            findings.messages.append(f"writes a file ({why}) but {problem}: pass data on stdin only")
    return findings.result()


def check_command_environment(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """No remote Command has a non-empty environment: its values would travel as SSH environment."""
    if resource_type != COMMAND:
        return []
    problem = _environment_problem(props)
    if problem is None:
        return []
    return [f"{problem}: values would travel as SSH environment variables (and sshd drops unknown ones); "
            "pass them on stdin"]


def check_script_secrets(resource_type: str, props: Mapping[str, Any], secrets: SecretView = NO_SECRETS) -> list[str]:
    """A Command's create, update and delete scripts hold no secret: none is a secret Output, and none
    contains a secret value (a value marked secret anywhere in the resource's inputs, or a secret of the
    stack's config). Script text shows in argv on the host, in the engine's logs and in the state."""
    if resource_type not in (COMMAND, LOCAL_COMMAND):
        return []
    findings = _Findings()
    for key in SCRIPT_KEYS:
        if secrets.is_secret(key):
            findings.messages.append(f"{key} is a secret Output: a script is sent and kept as plain text; "
                                     "pass the secret on stdin and keep the script free of it")
            continue
        with findings.part():
            script = known(props.get(key), key)
            if isinstance(script, str) and (sources := secrets.sources_in(script)):
                findings.messages.append(f"{key} holds the secret value of {', '.join(sources)}: pass it on "
                                         "stdin and keep the script free of it")
    return findings.result()


def _host_key_problem(connection: Mapping[str, Any], where: str) -> str | None:
    host_key = connection.get("hostKey")
    if isinstance(host_key, Unknown):
        return None  # computed (e.g. from the generated host key): pulumi up checks the real value
    if not isinstance(host_key, str) or not host_key.strip():
        return f"{where}.hostKey is {'empty' if isinstance(host_key, str) else _describe(host_key)}: pin the " \
               "server's host key"
    return None


def check_host_key_pinned(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Every remote connection pins the host key: connection.hostKey, and proxy.hostKey when proxied."""
    if resource_type not in (COMMAND, COPY_TO_REMOTE, COPY_FILE):
        return []
    connection = known(props.get("connection"), "connection")
    if not is_mapping(connection):
        return [f"connection is {_describe(connection)}: a remote resource needs a connection with hostKey"]
    findings = _Findings()
    if (problem := _host_key_problem(connection, "connection")) is not None:
        findings.messages.append(problem)
    with findings.part():
        proxy = known(connection.get("proxy"), "connection", "proxy")
        if proxy is not None:
            if not is_mapping(proxy):
                findings.messages.append(f"connection.proxy is {_describe(proxy)}: expected an object")
            elif (problem := _host_key_problem(proxy, "connection.proxy")) is not None:
                findings.messages.append(problem)
    return findings.result()


# -- Hetzner ---------------------------------------------------------------------------------------


def check_server_protection(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """The Hetzner server has deleteProtection and rebuildProtection on."""
    if resource_type != SERVER:
        return []
    findings = _Findings()
    for key in ("deleteProtection", "rebuildProtection"):
        with findings.part():
            value = known(props.get(key), key)
            if value is not True:
                findings.messages.append(f"{key} is {_describe(value)}: set it to True")
    return findings.result()


def check_firewall_ingress(resource_type: str, props: Mapping[str, Any],
                           allowed: Sequence[AllowedIngress] | None = None) -> list[str]:
    """The Hetzner firewall opens no inbound traffic beyond the allow list (default: tcp 80, tcp 443,
    udp 3478 and tcp 22 from any source)."""
    if resource_type != FIREWALL:
        return []
    if allowed is None:
        allowed = DEFAULT_ALLOWED
    return firewall.check_rules(props.get("rules"), allowed)


DEFAULT_ALLOWED: tuple[AllowedIngress, ...] = firewall.parse_allowed_ingress(firewall.DEFAULT_ALLOWED_INGRESS)


# -- Kubernetes ------------------------------------------------------------------------------------


def is_external_secrets_type(resource_type: str) -> bool:
    match = _ESO_TYPE.fullmatch(resource_type)
    return match is not None and match["kind"] in ESO_KINDS


def check_external_secrets_api(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """ExternalSecret, ClusterSecretStore and SecretStore use the API version the pinned chart serves
    (`ESO_API_VERSION`: v1beta1 is no longer served by ESO 2.x)."""
    match = _ESO_TYPE.fullmatch(resource_type)
    if match is None or match["kind"] not in ESO_KINDS:
        return []
    wanted = f"{ESO_GROUP}/{ESO_VERSION}"
    findings = _Findings()
    if match["version"] != ESO_VERSION:
        findings.messages.append(f"{match['kind']} uses {ESO_GROUP}/{match['version']}: use {wanted}")
    with findings.part():
        api_version = known(props.get("apiVersion"), "apiVersion")
        if api_version is not None and api_version != wanted:
            findings.messages.append(f"apiVersion is {api_version!r}: use {wanted!r}")
    return findings.result()


def check_helm_version_pinned(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Every Helm release pins an exact chart version (x.y.z, no range, wildcard or partial version)."""
    if resource_type not in HELM_TYPES:
        return []
    chart = props.get("chart")
    repository_opts = props.get("repositoryOpts")
    repository = repository_opts.get("repo") if is_mapping(repository_opts) else None
    name = chart if isinstance(chart, str) else "(chart)"
    if isinstance(repository, str) and repository:
        name = f"{name} from {repository}"
    version = known(props.get("version"), "version")
    if not isinstance(version, str) or not version.strip():
        shown = "empty" if isinstance(version, str) else _describe(version)
        return [f"{name}: version is {shown}: pin an exact chart version (x.y.z)"]
    if not _EXACT_VERSION.fullmatch(version.strip()):
        return [f"{name}: version {version!r} is not an exact version: pin x.y.z, not a range, wildcard or "
                "partial version"]
    return []


def is_bootstrap_secret(props: Mapping[str, Any]) -> bool:
    labels = known(get(props, "metadata", "labels"), "metadata", "labels")
    if not is_mapping(labels):
        return False
    return bool(known(labels.get(BOOTSTRAP_LABEL), "metadata", "labels", BOOTSTRAP_LABEL) == "true")


def check_bootstrap_secret_prune(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """A bootstrap Secret (label homelab-secrets.io/bootstrap: "true") carries the annotation
    argocd.argoproj.io/sync-options with Prune=false among its comma-separated options."""
    if resource_type != SECRET or not is_bootstrap_secret(props):
        return []
    annotations = known(get(props, "metadata", "annotations"), "metadata", "annotations")
    value = known(annotations.get(SYNC_OPTIONS), "metadata", "annotations", SYNC_OPTIONS) \
        if is_mapping(annotations) else None
    options = [option.strip() for option in value.split(",")] if isinstance(value, str) else []
    if PRUNE_FALSE in options:
        return []
    return [f"bootstrap Secret has {SYNC_OPTIONS} {_describe(value)}: it must include {PRUNE_FALSE} so Argo CD "
            "never prunes it"]


# -- the registry ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One policy: its name in the pack, what it checks, and which resource types it examines."""

    name: str
    description: str
    check: Callable[..., list[str]]
    applies: Callable[[str], bool]
    config_schema: dict[str, dict[str, Any]] | None = None
    # From the policy's config (defaults applied) to keyword arguments of check; ValueError if invalid.
    configure: Callable[[Mapping[str, Any]], dict[str, Any]] | None = field(default=None, compare=False)
    # check takes `secrets`: the SecretView of the resource (the markers the SDK strips from props).
    reads_secrets: bool = False


def _types(*tokens: str) -> Callable[[str], bool]:
    wanted = frozenset(tokens)
    return lambda resource_type: resource_type in wanted


def _configure_firewall(config: Mapping[str, Any]) -> dict[str, Any]:
    raw = config.get("allowedIngress", firewall.DEFAULT_ALLOWED_INGRESS)
    return {"allowed": firewall.parse_allowed_ingress(raw)}


RULES: tuple[Rule, ...] = (
    Rule("remote-file-write-silent",
         "A remote Command that writes a file (has stdin, or its create/update script writes under "
         "/etc/bifrost) has logging 'none', addPreviousOutputInEnv false and no environment.",
         check_file_writing_command, _types(COMMAND)),
    Rule("command-script-no-secret",
         "No remote or local Command has a secret in its create, update or delete script: neither a secret "
         "Output nor a secret value (one marked secret in its inputs, or a secret of the stack's config).",
         check_script_secrets, _types(COMMAND, LOCAL_COMMAND), reads_secrets=True),
    Rule("remote-command-no-environment",
         "No remote Command has a non-empty environment: its values would travel as SSH environment.",
         check_command_environment, _types(COMMAND)),
    Rule("remote-connection-host-key",
         "Every remote Command, CopyToRemote and CopyFile pins connection.hostKey (and connection.proxy.hostKey "
         "when it goes through a proxy).",
         check_host_key_pinned, _types(COMMAND, COPY_TO_REMOTE, COPY_FILE)),
    Rule("hcloud-server-protection",
         "The Hetzner server has deleteProtection and rebuildProtection on.",
         check_server_protection, _types(SERVER)),
    Rule("hcloud-firewall-ingress",
         "The Hetzner firewall allows no inbound traffic beyond the allowedIngress list (default: tcp 80, "
         "tcp 443, udp 3478 from anywhere; tcp 22 from any source).",
         check_firewall_ingress, _types(FIREWALL),
         config_schema={"allowedIngress": firewall.CONFIG_SCHEMA},
         configure=_configure_firewall),
    Rule("external-secrets-api-v1",
         f"ExternalSecret, ClusterSecretStore and SecretStore are {ESO_API_VERSION} (type token and "
         "apiVersion); v1beta1 is no longer served.",
         check_external_secrets_api, is_external_secrets_type),
    Rule("helm-chart-version-pinned",
         "Every Helm release pins an exact chart version (x.y.z; no range, wildcard or partial version).",
         check_helm_version_pinned, lambda resource_type: resource_type in HELM_TYPES),
    Rule("bootstrap-secret-no-prune",
         "Every bootstrap Secret (label homelab-secrets.io/bootstrap=true) has the annotation "
         "argocd.argoproj.io/sync-options including Prune=false.",
         check_bootstrap_secret_prune, _types(SECRET)),
)


def rule(name: str) -> Rule:
    for candidate in RULES:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def violations(resource_type: str, props: Mapping[str, Any],
               secrets: SecretView = NO_SECRETS) -> dict[str, list[str]]:
    """Every rule's violations for one resource, defaults for config (for tests and tools)."""
    found: dict[str, list[str]] = {}
    for candidate in RULES:
        if candidate.applies(resource_type):
            extra = {"secrets": secrets} if candidate.reads_secrets else {}
            messages = candidate.check(resource_type, props, **extra)
            if messages:
                found[candidate.name] = messages
    return found
