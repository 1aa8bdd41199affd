"""What the cluster side creates for given settings: pure, so tests, outputs and the offline check read it directly.

The plan names every namespace, bootstrap Secret, Helm release and custom resource; the components only turn it
into resources. Objects that authenticate with a secret not set yet (the Infisical machine identity) are planned
all the same and listed as waiting, so a reviewer sees what a catalog change makes before the secret exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi

from components.cluster import charts, manifests, values
from components.cluster import constants as c
from components.cluster.charts import ChartPin
from components.config.model import AppEntry, ClusterSettings, GeneratedKey
from components.infisical_bootstrap import manifests as provisioner
from components.infisical_bootstrap.kube import SecretRef
from components.infisical_bootstrap.provision import Seed
from components.secrets_registry import (
    ARGOCD_OIDC_CLIENT_SECRET,
    CLOUDFLARE_API_TOKEN,
    INFISICAL_ADMIN_PASSWORD,
    INFISICAL_AUTH_SECRET,
    INFISICAL_ENCRYPTION_KEY,
    INFISICAL_POSTGRES_PASSWORD,
    INFISICAL_REDIS_PASSWORD,
    MACHINE_IDENTITY_CLIENT_ID,
    MACHINE_IDENTITY_CLIENT_SECRET,
    PROJECT,
    SecretSpec,
)

IDENTITY_SECRETS = (MACHINE_IDENTITY_CLIENT_ID, MACHINE_IDENTITY_CLIENT_SECRET)


class SecretValues(Protocol):
    def value(self, spec: SecretSpec) -> pulumi.Output[str]: ...


DataFn = Callable[[SecretValues, ClusterSettings], Mapping[str, pulumi.Input[str]]]


@dataclass(frozen=True)
class BootstrapSecret:
    name: str
    namespace: str
    keys: tuple[str, ...]  # data keys, in order
    secrets: tuple[SecretSpec, ...]  # the secrets it holds
    data: DataFn  # each key's value: secret Outputs, except plain non-secret settings
    retain_on_delete: bool  # holds a key that encrypts stored data
    purpose: str
    secret_type: str = "Opaque"
    extra_labels: tuple[tuple[str, str], ...] = ()
    # Applied as `<name>-<keyed digest of its content>`: a new content is a new Secret, and every reference to
    # it changes with it. For a consumer that caches what it read from a Secret until its own spec changes.
    versioned: bool = False

    @property
    def resource_name(self) -> str:
        return f"{self.namespace}-{self.name}"


@dataclass(frozen=True)
class PlannedObject:
    """A custom resource the program applies (after the releases that bring its CRD)."""

    api_version: str
    kind: str
    name: str
    namespace: str | None
    spec: Mapping[str, Any]
    labels: Mapping[str, str] = field(default_factory=dict)
    after: tuple[str, ...] = ()  # keys of the releases it needs (CRDs, webhooks, controllers)
    reads: tuple[str, ...] = ()  # bootstrap Secrets it references
    needs_identity: bool = False  # authenticates with the machine identity (waits for the provisioner Job)
    resync_on_credentials: bool = False  # carries the credentials digest (ESO re-syncs on any annotation change)

    @property
    def resource_name(self) -> str:
        return f"{self.namespace}-{self.name}" if self.namespace else self.name

    def manifest(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self.name, "labels": {"app.kubernetes.io/managed-by": "pulumi",
                                                                   **self.labels}}
        if self.namespace:
            metadata["namespace"] = self.namespace
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": metadata, "spec": dict(self.spec)}


@dataclass(frozen=True)
class ClusterPlan:
    platform_namespaces: tuple[str, ...]
    app_namespaces: tuple[str, ...]
    bootstrap: tuple[BootstrapSecret, ...]
    releases: tuple[ChartPin, ...]
    objects: tuple[PlannedObject, ...]  # applied now
    waiting: tuple[PlannedObject, ...]  # applied once the machine identity is set
    machine_identity: bool  # supplied through config, or provisioned in the cluster
    provisioner: provisioner.BootstrapParams | None  # the in-cluster Job that issues the machine identity
    oidc_authentik_host: str | None  # set when Argo CD OIDC is configured
    pending: tuple[str, ...]
    problems: tuple[str, ...]

    @property
    def namespaces(self) -> tuple[str, ...]:
        return self.platform_namespaces + self.app_namespaces

    def release(self, key: str) -> ChartPin | None:
        return next((pin for pin in self.releases if pin.key == key), None)

    def of_kind(self, kind: str, include_waiting: bool = False) -> tuple[PlannedObject, ...]:
        pool = self.objects + (self.waiting if include_waiting else ())
        return tuple(item for item in pool if item.kind == kind)

    def secret_names(self) -> dict[str, list[str]]:
        """Every Secret the program creates or has synced, by namespace (names only)."""
        names: dict[str, set[str]] = {}
        for secret in self.bootstrap:
            names.setdefault(secret.namespace, set()).add(secret.name)
        for item in self.objects:
            for namespace, name in synced_secrets(item):
                names.setdefault(namespace, set()).add(name)
        return {namespace: sorted(names[namespace]) for namespace in sorted(names)}


def synced_secrets(item: PlannedObject) -> list[tuple[str, str]]:
    """(namespace, name) of the Secrets a sync object writes."""
    if item.kind == "ExternalSecret" and item.namespace:
        return [(item.namespace, str(item.spec["target"]["name"]))]
    if item.kind == "InfisicalStaticSecret":
        return [(str(target["namespace"]), str(target["name"])) for target in item.spec["targets"]]
    return []


def _config_set(key: str, example: str) -> str:
    return f"pulumi config set {PROJECT}:{key} {example}"


def _infisical_data(secrets: SecretValues, cluster: ClusterSettings) -> Mapping[str, pulumi.Input[str]]:
    return {
        "AUTH_SECRET": secrets.value(INFISICAL_AUTH_SECRET),
        "ENCRYPTION_KEY": secrets.value(INFISICAL_ENCRYPTION_KEY),
        "SITE_URL": values.infisical_site_url(cluster.infisical_host),
        # Built inside an apply on the secret passwords: the strings exist only within secret Outputs.
        "DB_CONNECTION_URI": secrets.value(INFISICAL_POSTGRES_PASSWORD).apply(values.database_url),
        "REDIS_URL": secrets.value(INFISICAL_REDIS_PASSWORD).apply(values.redis_url),
    }


BOOTSTRAP_SECRETS: tuple[tuple[Callable[[ClusterSettings, bool, bool], bool], BootstrapSecret], ...] = (
    (lambda cluster, identity, oidc: cluster.install_infisical, BootstrapSecret(
        c.SECRET_INFISICAL, c.NS_INFISICAL,
        ("AUTH_SECRET", "ENCRYPTION_KEY", "SITE_URL", "DB_CONNECTION_URI", "REDIS_URL"),
        (INFISICAL_ENCRYPTION_KEY, INFISICAL_AUTH_SECRET, INFISICAL_POSTGRES_PASSWORD,
         INFISICAL_REDIS_PASSWORD),
        data=_infisical_data, retain_on_delete=True,
        purpose="Infisical's env (kubeSecretRef): encryption key, session secret, site URL, database and Redis URLs")),
    (lambda cluster, identity, oidc: cluster.install_infisical, BootstrapSecret(
        c.SECRET_DATABASE, c.NS_INFISICAL, ("username", "password"), (INFISICAL_POSTGRES_PASSWORD,),
        data=lambda secrets, cluster: {"username": c.DATABASE_OWNER,
                                       "password": secrets.value(INFISICAL_POSTGRES_PASSWORD)},
        retain_on_delete=False, secret_type="kubernetes.io/basic-auth",
        purpose="owner of Infisical's PostgreSQL database (CloudNativePG bootstrap.initdb.secret)")),
    (lambda cluster, identity, oidc: cluster.install_infisical, BootstrapSecret(
        c.SECRET_VALKEY_USERS, c.NS_INFISICAL, (c.KEY_VALKEY_PASSWORD,), (INFISICAL_REDIS_PASSWORD,),
        data=lambda secrets, cluster: {c.KEY_VALKEY_PASSWORD: secrets.value(INFISICAL_REDIS_PASSWORD)},
        retain_on_delete=False, purpose="Valkey's ACL user `default` (auth.usersExistingSecret)")),
    (lambda cluster, identity, oidc: cluster.install_cert_manager, BootstrapSecret(
        c.SECRET_CLOUDFLARE, c.NS_CERT_MANAGER, ("{cloudflareSecretKey}",), (CLOUDFLARE_API_TOKEN,),
        data=lambda secrets, cluster: {cluster.cloudflare_secret_key: secrets.value(CLOUDFLARE_API_TOKEN)},
        retain_on_delete=False, purpose="the ClusterIssuer's Cloudflare DNS-01 solver (apiTokenSecretRef)")),
    (lambda cluster, identity, oidc: identity, BootstrapSecret(
        c.SECRET_MACHINE_IDENTITY, c.NS_EXTERNAL_SECRETS, (c.KEY_CLIENT_ID, c.KEY_CLIENT_SECRET), IDENTITY_SECRETS,
        data=lambda secrets, cluster: {c.KEY_CLIENT_ID: secrets.value(MACHINE_IDENTITY_CLIENT_ID),
                                       c.KEY_CLIENT_SECRET: secrets.value(MACHINE_IDENTITY_CLIENT_SECRET)},
        retain_on_delete=False,
        purpose="universal-auth credentials of ESO's ClusterSecretStore (re-read on every reconcile)")),
    # The Infisical operator's InfisicalAuth caches its login per InfisicalAuth and drops the cache only when the
    # InfisicalAuth's spec (or its InfisicalConnection) changes: its watch on Secrets re-queues without invalidating
    # (Infisical/kubernetes-operator v0.11.5 internal/controller/v1beta1/infisicalauth_controller.go SetupWithManager,
    # internal/auth/strategy_resolver.go). A versioned Secret changes the InfisicalAuth's refs on every rotation, so
    # the operator logs in again with the new credentials at once; its InfisicalStaticSecrets watch the
    # InfisicalAuth and re-sync (internal/controller/v1beta1/infisicalstaticsecret_controller.go).
    (lambda cluster, identity, oidc: identity, BootstrapSecret(
        c.SECRET_OPERATOR_IDENTITY, c.NS_INFISICAL_OPERATOR, (c.KEY_CLIENT_ID, c.KEY_CLIENT_SECRET), IDENTITY_SECRETS,
        data=lambda secrets, cluster: {c.KEY_CLIENT_ID: secrets.value(MACHINE_IDENTITY_CLIENT_ID),
                                       c.KEY_CLIENT_SECRET: secrets.value(MACHINE_IDENTITY_CLIENT_SECRET)},
        retain_on_delete=False, versioned=True,
        purpose="universal-auth credentials of the Infisical operator's InfisicalAuth (renamed on rotation)")),
    (lambda cluster, identity, oidc: cluster.install_infisical, BootstrapSecret(
        c.SECRET_INFISICAL_ADMIN, c.NS_INFISICAL, (c.KEY_ADMIN_PASSWORD,), (INFISICAL_ADMIN_PASSWORD,),
        data=lambda secrets, cluster: {c.KEY_ADMIN_PASSWORD: secrets.value(INFISICAL_ADMIN_PASSWORD)},
        retain_on_delete=False,
        purpose="the first Infisical admin's password, read by the provisioner Job at instance bootstrap")),
    (lambda cluster, identity, oidc: oidc, BootstrapSecret(
        c.SECRET_ARGOCD_OIDC, c.NS_ARGOCD, (c.KEY_OIDC_CLIENT_SECRET,), (ARGOCD_OIDC_CLIENT_SECRET,),
        data=lambda secrets, cluster: {c.KEY_OIDC_CLIENT_SECRET: secrets.value(ARGOCD_OIDC_CLIENT_SECRET)},
        retain_on_delete=False, extra_labels=((c.ARGOCD_PART_OF_LABEL, "argocd"),),
        purpose="Argo CD OIDC client secret, read as $argocd-oidc:clientSecret")),
)


@dataclass(frozen=True)
class IdentityRefs:
    """Where each operator reads the machine identity's credentials."""

    eso: SecretRef
    operator: SecretRef


SUPPLIED_IDENTITY = IdentityRefs(SecretRef(c.NS_EXTERNAL_SECRETS, c.SECRET_MACHINE_IDENTITY),
                                 SecretRef(c.NS_INFISICAL_OPERATOR, c.SECRET_OPERATOR_IDENTITY))


def provisioned_identity(generation: int) -> IdentityRefs:
    """One Secret for both operators, filled by the provisioner Job and named after the rotation counter: a bump
    is a new Secret, so the InfisicalAuth's refs change and the operator drops its cached login (see above)."""
    ref = SecretRef(c.NS_EXTERNAL_SECRETS, f"{c.SECRET_MACHINE_IDENTITY}-g{generation}")
    return IdentityRefs(ref, ref)


SEEDS_SECRET = "infisical-bootstrap-seeds"  # the generated app secrets' values, mounted into the provisioner Job
# Grafana's OAuth client secret, which the program generates for Authentik's blueprint: Grafana reads it from
# Infisical (seed 000 keeps it at the root path).
GRAFANA_OAUTH_SEED = Seed(path="/", name="GRAFANA_OAUTH_CLIENT_SECRET", file="grafana-oauth-client-secret")


def seed_file(app: AppEntry, key: GeneratedKey) -> str:
    """The key of the seeds Secret holding one generated value (a valid Secret data key)."""
    return f"{app.namespace}.{app.name}.{key.name}"


def seeds(cluster: ClusterSettings) -> tuple[Seed, ...]:
    generated = tuple(Seed(path=app.path, name=key.name, file=seed_file(app, key),
                                       generation=key.generation) for app in cluster.apps for key in app.generated)
    return generated + ((GRAFANA_OAUTH_SEED,) if cluster.grafana_oauth else ())


def person_keys(cluster: ClusterSettings, provisioned: bool) -> list[tuple[str, str]]:
    """(path, Infisical key) of every catalog key no entry generates: a person puts it into Infisical."""
    generated = {(seed.path, seed.name) for seed in seeds(cluster)} if provisioned else set()
    keys = [(app.path, remote) for app in cluster.apps for _, remote in app.keys]
    return [entry for entry in dict.fromkeys(keys) if entry not in generated]


def provisioner_params(cluster: ClusterSettings, identity: IdentityRefs) -> provisioner.BootstrapParams:
    planned_seeds = seeds(cluster)
    return provisioner.BootstrapParams(
        service=provisioner.InfisicalService(values.INFISICAL_SERVICE, c.NS_INFISICAL, values.INFISICAL_PORT),
        organization=cluster.infisical_organization, admin_email=cluster.admin_email,
        admin_password=provisioner.SecretKey(c.SECRET_INFISICAL_ADMIN, c.KEY_ADMIN_PASSWORD),
        project_slug=cluster.project_slug, environment_slug=cluster.environment_slug, namespace=c.NS_INFISICAL,
        credentials=identity.eso, client_id_key=c.KEY_CLIENT_ID, client_secret_key=c.KEY_CLIENT_SECRET,
        generation=cluster.machine_identity_generation,
        seeds=planned_seeds, seed_secret=SEEDS_SECRET if planned_seeds else "")


def bootstrap_keys(secret: BootstrapSecret, cluster: ClusterSettings) -> tuple[str, ...]:
    return tuple(key.replace("{cloudflareSecretKey}", cluster.cloudflare_secret_key) for key in secret.keys)


def _sync_objects(cluster: ClusterSettings, releases: tuple[ChartPin, ...],
                  identity: IdentityRefs) -> list[PlannedObject]:
    installed = {pin.key for pin in releases}
    api_url = values.infisical_api_url("" if cluster.install_infisical else cluster.infisical_api_url)

    def after(*keys: str) -> tuple[str, ...]:
        return tuple(key for key in keys if key in installed)

    eso_apps = [app for app in cluster.apps if app.operator == "external-secrets"]
    operator_apps = [app for app in cluster.apps if app.operator == "infisical-operator"]
    objects: list[PlannedObject] = []
    if eso_apps or cluster.install_external_secrets:
        objects.append(PlannedObject(
            c.ESO_API_VERSION, "ClusterSecretStore", c.STORE_NAME, None,
            manifests.cluster_secret_store(cluster.project_slug, cluster.environment_slug, api_url, identity.eso),
            after=after(charts.EXTERNAL_SECRETS.key), reads=(identity.eso.name,), needs_identity=True,
            resync_on_credentials=True))
    for app in eso_apps:
        objects.append(_app_object(app, "ExternalSecret", c.ESO_API_VERSION, manifests.external_secret(app),
                                   after(charts.EXTERNAL_SECRETS.key), resync=True))
    if operator_apps or cluster.install_infisical_operator:
        operator = after(charts.INFISICAL_OPERATOR.key)
        objects.append(PlannedObject(
            c.INFISICAL_API_VERSION, "InfisicalConnection", c.INFISICAL_CONNECTION, c.NS_INFISICAL_OPERATOR,
            manifests.infisical_connection(api_url), after=operator, needs_identity=True))
        objects.append(PlannedObject(
            c.INFISICAL_API_VERSION, "InfisicalAuth", c.INFISICAL_AUTH, c.NS_INFISICAL_OPERATOR,
            manifests.infisical_auth(identity.operator), after=operator, reads=(identity.operator.name,),
            needs_identity=True))
    for app in operator_apps:
        spec_ = manifests.infisical_static_secret(app, cluster.project_slug, cluster.environment_slug)
        objects.append(_app_object(app, "InfisicalStaticSecret", c.INFISICAL_API_VERSION, spec_,
                                   after(charts.INFISICAL_OPERATOR.key), resync=False))
    return objects


def _app_object(app: AppEntry, kind: str, api_version: str, spec_: Mapping[str, Any], after: tuple[str, ...],
                resync: bool) -> PlannedObject:
    return PlannedObject(api_version, kind, app.secret_name, app.namespace, spec_,
                         labels={"app.kubernetes.io/name": app.name}, after=after, needs_identity=True,
                         resync_on_credentials=resync)


def _platform_objects(cluster: ClusterSettings, releases: tuple[ChartPin, ...]) -> list[PlannedObject]:
    installed = {pin.key for pin in releases}
    objects: list[PlannedObject] = []
    if cluster.install_cert_manager:
        objects.append(PlannedObject(
            c.CERT_MANAGER_API_VERSION, "ClusterIssuer", cluster.cluster_issuer, None,
            manifests.cluster_issuer(cluster.acme_environment, cluster.acme_email, cluster.cloudflare_secret_key),
            after=(charts.CERT_MANAGER.key,), reads=(c.SECRET_CLOUDFLARE,)))
    if cluster.install_infisical:
        objects.append(PlannedObject(
            c.CNPG_API_VERSION, "Cluster", c.DATABASE_CLUSTER, c.NS_INFISICAL, manifests.database_cluster(),
            after=tuple(key for key in (charts.CLOUDNATIVE_PG.key,) if key in installed), reads=(c.SECRET_DATABASE,)))
    return objects


def make_plan(cluster: ClusterSettings, authentik_host: str, available: frozenset[SecretSpec]) -> ClusterPlan:
    """`available`: the secrets that have a value (supplied or generated)."""
    supplied = set(IDENTITY_SECRETS) <= available
    # Without supplied credentials, the program's own Infisical issues the machine identity in the cluster.
    provisioned = not supplied and cluster.install_infisical
    machine_identity = supplied or provisioned
    identity = SUPPLIED_IDENTITY if supplied else provisioned_identity(cluster.machine_identity_generation)
    oidc_secret = ARGOCD_OIDC_CLIENT_SECRET in available
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
    if cluster.install_argocd and cluster.argocd_host and not cluster.ingress_class:
        pending.append("Argo CD has no Ingress, so its SSO callback is unreachable: name your ingress controller's "
                       f"class: {_config_set('ingressClass', '<class>')} && pulumi up")

    releases = tuple(pin for pin in charts.ALL if pin.wanted(cluster))
    sync = _sync_objects(cluster, releases, identity)
    waiting = [] if machine_identity else [item for item in sync if item.needs_identity]
    if waiting:
        commands = " && ".join(missing.set_command() for missing in IDENTITY_SECRETS if missing not in available)
        pending.append(f"{len(waiting)} sync objects ({len(cluster.apps)} catalog apps) wait for the Infisical "
                       f"machine identity: {commands} && pulumi up")

    objects = _platform_objects(cluster, releases) + [item for item in sync if item not in waiting]
    # A bootstrap Secret exists only while something the plan installs reads it: every Secret has a consumer.
    readers = {name for pin in releases for name in pin.reads} | {name for item in objects for name in item.reads}
    if provisioned:
        readers.add(c.SECRET_INFISICAL_ADMIN)  # the provisioner Job's secretKeyRef
    bootstrap = tuple(secret for wanted, secret in BOOTSTRAP_SECRETS
                      if wanted(cluster, supplied, oidc_host is not None) and secret.name in readers)

    generators: dict[tuple[str, str], str] = {}
    for app in cluster.apps:
        for key in app.generated:
            other = generators.setdefault((app.path, key.name), f"{app.namespace}/{app.name}")
            if other != f"{app.namespace}/{app.name}":
                problems.append(f"{PROJECT}:apps entries {other} and {app.namespace}/{app.name} both generate "
                                f"{key.name} at {app.path}\n    fix: keep `generate` for it on one entry only")
    if generators and not provisioned:
        pending.append("Generated app secrets are written to Infisical by the provisioner Job, which runs only when "
                       "the program installs Infisical and issues the machine identity: set them in Infisical "
                       "by hand (below), or drop `generate` from the catalog")
    for path, remote in person_keys(cluster, provisioned):
        pending.append(f"Infisical key {remote} at {path} is supplied by a person: infisical secrets set "
                       f"--projectId <id of project {cluster.project_slug}> --env {cluster.environment_slug} "
                       f"--path {path} {remote}='<value>'")
    for app in cluster.apps:
        if app.operator != "infisical-operator":
            continue
        try:
            manifests.infisical_resync_interval(app.refresh_interval)
        except ValueError as error:
            problems.append(f"{PROJECT}:apps entry {app.name!r} in {app.namespace}: {error}\n"
                            "    fix: give it a refreshInterval of at least 5s in Pulumi.<stack>.yaml")

    platform = [c.NS_INFISICAL, c.NS_EXTERNAL_SECRETS, c.NS_CERT_MANAGER, c.NS_ARGOCD]
    if cluster.install_infisical_operator or any(item.namespace == c.NS_INFISICAL_OPERATOR for item in sync):
        platform.insert(2, c.NS_INFISICAL_OPERATOR)
    if charts.CLOUDNATIVE_PG in releases:
        platform.append(c.NS_CNPG)
    app_namespaces = sorted({app.namespace for app in cluster.apps} - set(platform))

    return ClusterPlan(
        platform_namespaces=tuple(platform),
        app_namespaces=tuple(app_namespaces),
        bootstrap=bootstrap,
        releases=releases,
        objects=tuple(objects),
        waiting=tuple(waiting),
        machine_identity=machine_identity,
        provisioner=provisioner_params(cluster, identity) if provisioned else None,
        oidc_authentik_host=oidc_host,
        pending=tuple(pending),
        problems=tuple(problems),
    )
