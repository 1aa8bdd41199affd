"""Stack outputs: names, hosts and next steps, never a plain secret value nor a hash of one. The values an operator
signs in with while they are generated are secret outputs (encrypted in state, read with --show-secrets)."""

from __future__ import annotations

import pulumi

from components.bifrost.server import BifrostServer
from components.bootstrap_secrets import BootstrapSecrets
from components.cluster.plan import ClusterPlan
from components.cluster.platform import ClusterPlatform
from components.config.model import Settings
from components.config.secrets import missing_later_secrets, secret_in_scope
from components.dns.records import DnsRecords
from components.secrets_registry import SECRETS, SSH_DEPLOY_KEY, Scope


def pending_steps(settings: Settings) -> list[str]:
    return [
        f"{spec.title} is not set yet ({', '.join(spec.consumers)} waits for it): "
        + (f"{spec.why_manual}, then " if spec.why_manual else "")
        + f"{spec.set_command()} && pulumi up"
        for spec in missing_later_secrets(settings)
    ]


def rotation_status(settings: Settings) -> dict[str, dict[str, object]]:
    """Per secret: where its value comes from and, for generated ones, the rotation counter. No value, no hash."""
    status: dict[str, dict[str, object]] = {}
    for spec in SECRETS:
        if not secret_in_scope(spec, settings.bifrost.enabled, settings.cluster.enabled):
            continue
        if spec in settings.supplied:
            status[spec.config_key] = {"source": "supplied", "rotatable": spec.rotatable}
        elif spec.generated:
            status[spec.config_key] = {"source": "generated", "generation": settings.generations[spec],
                                       "rotatable": spec.rotatable}
        else:
            status[spec.config_key] = {"source": "not set", "rotatable": spec.rotatable}
    return status


def export_common(settings: Settings, secrets: BootstrapSecrets, cluster: ClusterPlan | None) -> None:
    pulumi.export("pendingSteps", pending_steps(settings))
    pulumi.export("rotationStatus", rotation_status(settings))
    # What the operator signs in with (first passwords, the deploy key), only while generated and while what it
    # signs in to is deployed: the record names its output. A cluster secret is in use while a planned bootstrap
    # Secret holds it (the Infisical admin's password only while the provisioner Job bootstraps Infisical).
    in_cluster = {spec for secret in cluster.bootstrap for spec in secret.secrets} if cluster else set()
    for spec in SECRETS:
        value = secrets.operator_value(spec)
        if value is not None and (spec.scope is not Scope.CLUSTER or spec in in_cluster):
            # Encrypted in state; read it once with `pulumi stack output --show-secrets <name>`.
            pulumi.export(spec.operator_output, value)


def export_bifrost(settings: Settings, secrets: BootstrapSecrets, server: BifrostServer) -> None:
    bifrost = settings.bifrost
    pulumi.export("bifrostIpv4", server.ipv4)
    pulumi.export("bifrostIpv6", server.ipv6)
    pulumi.export("bifrostHosts", {"authentik": bifrost.authentik_host, "netbird": bifrost.netbird_host})
    known_hosts = pulumi.Output.all(server.ipv4, server.host_key.public_key).apply(
        lambda parts: f"{parts[0]} {parts[1]}")
    pulumi.export("bifrostKnownHosts", known_hosts)
    generated_key = secrets.operator_value(SSH_DEPLOY_KEY) is not None  # then export_common exports it
    key_step = (
        f"pulumi stack output --show-secrets {SSH_DEPLOY_KEY.operator_output} > ~/.ssh/bifrost_ed25519 && "
        "chmod 600 ~/.ssh/bifrost_ed25519 && " if generated_key else ""
    )
    pulumi.export("bifrostSsh", server.ipv4.apply(
        lambda ip: f"pulumi stack output bifrostKnownHosts >> ~/.ssh/known_hosts && {key_step}"
                   f"ssh {'-i ~/.ssh/bifrost_ed25519 ' if generated_key else ''}root@{ip}"))


def export_cluster(cluster: ClusterPlatform) -> None:
    """Names of every cluster Secret created or synced (per namespace), the releases, the cluster's next steps."""
    plan = cluster.plan
    pulumi.export("clusterSecrets", plan.secret_names())
    pulumi.export("clusterReleases", {pin.release_name: f"{pin.chart} {pin.version}" for pin in plan.releases})
    pulumi.export("clusterPendingSteps", list(plan.pending))
    # Planned but not applied until the machine identity is set: every store, auth and sync object a catalog
    # change makes, so a review shows them before the secret exists.
    pulumi.export("clusterWaiting", [
        f"{item.kind} {item.namespace + '/' if item.namespace else ''}{item.name} (waits for the machine identity)"
        for item in plan.waiting])


def export_dns(dns: DnsRecords) -> None:
    """The records the program manages, per host: for checking what the resolvers will answer."""
    pulumi.export("dnsRecords", dns.summary)
