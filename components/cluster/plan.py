"""What the cluster side creates for given settings: pure, so tests and outputs can read it directly.

The plan names every namespace, bootstrap Secret, Helm release and sync resource; the components only
turn it into resources. Secrets issued after the first deploy (machine identity, Argo CD OIDC client
secret) switch their consumers on once set.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.cluster import charts, manifests
from components.cluster import constants as c
from components.cluster.charts import ChartPin
from components.secrets_registry import PROJECT, spec
from components.settings import AppEntry, ClusterSettings


@dataclass(frozen=True)
class BootstrapSecret:
    name: str
    namespace: str
    keys: tuple[str, ...]  # data keys, in order
    secrets: tuple[str, ...]  # registry names of the secrets it holds
    retain_on_delete: bool  # holds a key that encrypts stored data
    extra_labels: tuple[tuple[str, str], ...] = ()
    purpose: str = ""

    @property
    def resource_name(self) -> str:
        return f"{self.namespace}-{self.name}"


@dataclass(frozen=True)
class ClusterPlan:
    platform_namespaces: tuple[str, ...]
    app_namespaces: tuple[str, ...]
    bootstrap: tuple[BootstrapSecret, ...]
    releases: tuple[ChartPin, ...]
    machine_identity: bool
    oidc_authentik_host: str | None  # set when Argo CD OIDC is configured
    cluster_secret_store: bool
    external_secrets: tuple[AppEntry, ...]
    infisical_secrets: tuple[AppEntry, ...]
    pending: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def namespaces(self) -> tuple[str, ...]:
        return self.platform_namespaces + self.app_namespaces

    def release(self, key: str) -> ChartPin | None:
        return next((pin for pin in self.releases if pin.key == key), None)

    def secret_names(self) -> dict[str, list[str]]:
        """Every Secret the program creates or has synced, by namespace (names only)."""
        names: dict[str, set[str]] = {}
        for secret in self.bootstrap:
            names.setdefault(secret.namespace, set()).add(secret.name)
        for app in self.external_secrets + self.infisical_secrets:
            names.setdefault(app.namespace, set()).add(app.secret_name)
        return {namespace: sorted(names[namespace]) for namespace in sorted(names)}


def _config_set(key: str, example: str) -> str:
    return f"pulumi config set {PROJECT}:{key} {example}"


def make_plan(cluster: ClusterSettings, authentik_host: str, available: frozenset[str]) -> ClusterPlan:
    """`available`: registry names of the secrets that have a value (supplied or generated)."""
    machine_identity = {"machine_identity_client_id", "machine_identity_client_secret"} <= available
    oidc_secret = "argocd_oidc_client_secret" in available
    pending: list[str] = []
    problems: list[str] = []

    oidc_host: str | None = None
    if oidc_secret and authentik_host and cluster.argocd_host:
        oidc_host = authentik_host
    elif oidc_secret:
        missing = [key for key, value in (("argocdHost", cluster.argocd_host), ("authentikHost", authentik_host))
                   if not value]
        pending.append(
            f"Argo CD OIDC waits for {' and '.join(missing)} (the redirect URI and the Authentik issuer): "
            + " && ".join(_config_set(key, f"{key.removesuffix('Host')}.example.com") for key in missing)
            + " && pulumi up")

    if not machine_identity and cluster.apps:
        waiting = ", ".join(f"{app.namespace}/{app.secret_name}" for app in cluster.apps)
        commands = " && ".join(spec(name).set_command() for name in
                               ("machine_identity_client_id", "machine_identity_client_secret")
                               if name not in available)
        pending.append(f"{len(cluster.apps)} catalog apps are not synced until the Infisical machine identity "
                       f"is set ({waiting}): {commands} && pulumi up")

    bootstrap = [
        BootstrapSecret(
            c.SECRET_INFISICAL, c.NS_INFISICAL, ("AUTH_SECRET", "ENCRYPTION_KEY", "SITE_URL"),
            ("infisical_encryption_key", "infisical_auth_secret"), retain_on_delete=True,
            purpose="Infisical encryption key and session signing secret, site URL (kubeSecretRef)"),
        BootstrapSecret(
            c.SECRET_CLOUDFLARE, c.NS_CERT_MANAGER, (cluster.cloudflare_secret_key,), ("cloudflare_api_token",),
            retain_on_delete=False, purpose="cert-manager's Cloudflare DNS-01 solver (apiTokenSecretRef)"),
        BootstrapSecret(
            c.SECRET_INFISICAL_HELM, c.NS_ARGOCD, (c.KEY_HELM_VALUES,),
            ("infisical_postgres_password", "infisical_redis_password"), retain_on_delete=False,
            purpose="PostgreSQL and Redis passwords as a values file for an Argo CD Application of Infisical"),
    ]
    if machine_identity:
        bootstrap.append(BootstrapSecret(
            c.SECRET_MACHINE_IDENTITY, c.NS_EXTERNAL_SECRETS, (c.KEY_CLIENT_ID, c.KEY_CLIENT_SECRET),
            ("machine_identity_client_id", "machine_identity_client_secret"), retain_on_delete=False,
            purpose="universal-auth credentials of both sync operators"))
    if oidc_host:
        bootstrap.append(BootstrapSecret(
            c.SECRET_ARGOCD_OIDC, c.NS_ARGOCD, (c.KEY_OIDC_CLIENT_SECRET,), ("argocd_oidc_client_secret",),
            retain_on_delete=False, extra_labels=((c.ARGOCD_PART_OF_LABEL, "argocd"),),
            purpose="Argo CD OIDC client secret, read as $argocd-oidc:clientSecret"))

    releases = tuple(pin for pin, wanted in (
        (charts.EXTERNAL_SECRETS, cluster.install_external_secrets),
        (charts.INFISICAL_OPERATOR, cluster.install_infisical_operator),
        (charts.INFISICAL, cluster.install_infisical),
        (charts.ARGOCD, cluster.install_argocd),
    ) if wanted)

    eso_apps = tuple(app for app in cluster.apps if app.operator == "external-secrets")
    infisical_apps = tuple(app for app in cluster.apps if app.operator == "infisical-operator")
    for app in infisical_apps:
        try:
            manifests.infisical_resync_interval(app.refresh_interval)
        except ValueError as error:
            problems.append(f"{PROJECT}:apps entry {app.name!r} in {app.namespace}: {error}\n"
                            "    fix: give it a refreshInterval of at least 5s in Pulumi.<stack>.yaml")

    platform = [c.NS_INFISICAL, c.NS_EXTERNAL_SECRETS, c.NS_CERT_MANAGER, c.NS_ARGOCD]
    if cluster.install_infisical_operator:
        platform.insert(2, c.NS_INFISICAL_OPERATOR)
    app_namespaces = sorted({app.namespace for app in cluster.apps} - set(platform))

    return ClusterPlan(
        platform_namespaces=tuple(platform),
        app_namespaces=tuple(app_namespaces),
        bootstrap=tuple(bootstrap),
        releases=releases,
        machine_identity=machine_identity,
        oidc_authentik_host=oidc_host,
        cluster_secret_store=machine_identity and (bool(eso_apps) or cluster.install_external_secrets),
        external_secrets=eso_apps if machine_identity else (),
        infisical_secrets=infisical_apps if machine_identity else (),
        pending=tuple(pending),
        problems=tuple(problems),
    )
