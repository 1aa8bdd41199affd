"""What the cluster side creates for given settings: pure, so tests, outputs and the offline check read it directly.

The plan names every namespace, bootstrap Secret, Helm release and custom resource; the components only turn it
into resources. Objects that authenticate with a secret not set yet (the Infisical machine identity) are planned
all the same and listed as waiting, so a reviewer sees what a catalog change makes before the secret exists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import pulumi

from components.cluster import charts, values
from components.cluster import constants as c
from components.cluster.charts import ChartPin
from components.cluster.objects import IdentityRefs, ObjectContext, PlannedObject
from components.config.model import ClusterSettings
from components.config_commands import config_set
from components.infisical_bootstrap import manifests as provisioner
from components.infisical_bootstrap.kube import SecretRef
from components.infisical_bootstrap.provision import Seed, folder_chain
from components.secrets_registry import (
    ARGOCD_OIDC_CLIENT_SECRET,
    CLOUDFLARE_API_TOKEN,
    GRAFANA_OAUTH_CLIENT_SECRET,
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


@dataclass(frozen=True)
class ChosenKey:
    """A data key its consumer lets the operator choose: shown as `{setting}`, applied from the settings."""

    setting: str
    applied: Callable[[ClusterSettings], str]


@dataclass(frozen=True)
class DataField:
    """One data key of a bootstrap Secret and where its value comes from: a registry secret (whole, or inside a
    `transform` applied within the secret Output, such as a URL around a password), or a plain setting."""

    key: str | ChosenKey
    secret: SecretSpec | None = None
    transform: Callable[[str], str] | None = None
    plain: Callable[[ClusterSettings], str] | None = None

    def __post_init__(self) -> None:
        if (self.secret is None) is (self.plain is None) or (self.transform is not None and self.secret is None):
            raise ValueError(f"data key {self.shown_key}: give it exactly one of secret (optionally with a "
                             "transform) or plain")

    @property
    def shown_key(self) -> str:
        return self.key if isinstance(self.key, str) else "{" + self.key.setting + "}"

    def applied_key(self, cluster: ClusterSettings) -> str:
        return self.key if isinstance(self.key, str) else self.key.applied(cluster)

    def value(self, secrets: SecretValues, cluster: ClusterSettings) -> pulumi.Input[str]:
        if self.secret is None:
            assert self.plain is not None
            return self.plain(cluster)
        held = secrets.value(self.secret)
        # Applied on the secret Output: the string it builds exists only within it.
        return held.apply(self.transform) if self.transform is not None else held


@dataclass(frozen=True)
class Wanted:
    """What decides whether a bootstrap Secret is planned (it is created only while something installed reads it)."""

    cluster: ClusterSettings
    supplied_identity: bool  # the machine identity's credentials are set in config
    oidc: bool  # Argo CD OIDC is configured


@dataclass(frozen=True)
class BootstrapSecret:
    name: str
    namespace: str
    fields: tuple[DataField, ...]  # its data keys, in order, each with its value's source
    wanted: Callable[[Wanted], bool]
    purpose: str
    secret_type: str = "Opaque"
    extra_labels: tuple[tuple[str, str], ...] = ()
    # Applied as `<name>-<keyed digest of its content>`: a new content is a new Secret, and every reference to
    # it changes with it. For a consumer that caches what it read from a Secret until its own spec changes.
    versioned: bool = False
    provisioner_reads: bool = False  # the provisioner Job reads it (a secretKeyRef), and waits for it

    @property
    def resource_name(self) -> str:
        return f"{self.namespace}-{self.name}"

    @property
    def keys(self) -> tuple[str, ...]:
        """The data keys as the docs show them (a key the operator chooses as `{setting}`)."""
        return tuple(field.shown_key for field in self.fields)

    @property
    def secrets(self) -> tuple[SecretSpec, ...]:
        """The registry secrets it holds, each once."""
        return tuple(dict.fromkeys(field.secret for field in self.fields if field.secret is not None))

    def data(self, secrets: SecretValues, cluster: ClusterSettings) -> dict[str, pulumi.Input[str]]:
        """Each data key's value: secret Outputs, except plain non-secret settings."""
        data = {field.applied_key(cluster): field.value(secrets, cluster) for field in self.fields}
        if len(data) < len(self.fields):  # a key the operator chose is another field's key: one would be lost
            raise pulumi.RunError(f"bootstrap Secret {self.namespace}/{self.name}: its data keys "
                                  f"{[field.applied_key(cluster) for field in self.fields]} must differ")
        return data

    @property
    def guarded(self) -> tuple[SecretSpec, ...]:
        """The secrets it holds that encrypt stored data (the registry's `guards_data`)."""
        return tuple(spec for spec in self.secrets if spec.guards_data)

    @property
    def retain_on_delete(self) -> bool:
        """Kept in the cluster when it leaves the program: it holds a key that encrypts stored data."""
        return bool(self.guarded)


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
    return list(item.writes)


IDENTITY_FIELDS = (DataField(c.KEY_CLIENT_ID, MACHINE_IDENTITY_CLIENT_ID),
                   DataField(c.KEY_CLIENT_SECRET, MACHINE_IDENTITY_CLIENT_SECRET))

INFISICAL_ADMIN_SECRET = BootstrapSecret(
    c.SECRET_INFISICAL_ADMIN, c.NS_INFISICAL, (DataField(c.KEY_ADMIN_PASSWORD, INFISICAL_ADMIN_PASSWORD),),
    wanted=lambda wanted: wanted.cluster.install_infisical, provisioner_reads=True,
    purpose="the first Infisical admin's password, read by the provisioner Job at instance bootstrap")

BOOTSTRAP_SECRETS: tuple[BootstrapSecret, ...] = (
    BootstrapSecret(
        c.SECRET_INFISICAL, c.NS_INFISICAL,
        (DataField("AUTH_SECRET", INFISICAL_AUTH_SECRET),
         DataField("ENCRYPTION_KEY", INFISICAL_ENCRYPTION_KEY),
         DataField("SITE_URL", plain=lambda cluster: values.infisical_site_url(cluster.infisical_host)),
         DataField("DB_CONNECTION_URI", INFISICAL_POSTGRES_PASSWORD, transform=values.database_url),
         DataField("REDIS_URL", INFISICAL_REDIS_PASSWORD, transform=values.redis_url)),
        wanted=lambda wanted: wanted.cluster.install_infisical,
        purpose="Infisical's env (kubeSecretRef): encryption key, session secret, site URL, database and Redis URLs"),
    BootstrapSecret(
        c.SECRET_DATABASE, c.NS_INFISICAL,
        (DataField("username", plain=lambda cluster: c.DATABASE_OWNER),
         DataField("password", INFISICAL_POSTGRES_PASSWORD)),
        wanted=lambda wanted: wanted.cluster.install_infisical, secret_type="kubernetes.io/basic-auth",
        purpose="owner of Infisical's PostgreSQL database (CloudNativePG bootstrap.initdb.secret)"),
    BootstrapSecret(
        c.SECRET_VALKEY_USERS, c.NS_INFISICAL, (DataField(c.KEY_VALKEY_PASSWORD, INFISICAL_REDIS_PASSWORD),),
        wanted=lambda wanted: wanted.cluster.install_infisical,
        purpose="Valkey's ACL user `default` (auth.usersExistingSecret)"),
    BootstrapSecret(
        c.SECRET_CLOUDFLARE, c.NS_CERT_MANAGER,
        (DataField(ChosenKey("cloudflareSecretKey", lambda cluster: cluster.cloudflare_secret_key),
                   CLOUDFLARE_API_TOKEN),),
        wanted=lambda wanted: wanted.cluster.install_cert_manager,
        purpose="the ClusterIssuer's Cloudflare DNS-01 solver (apiTokenSecretRef)"),
    BootstrapSecret(
        c.SECRET_MACHINE_IDENTITY, c.NS_EXTERNAL_SECRETS, IDENTITY_FIELDS,
        wanted=lambda wanted: wanted.supplied_identity,
        purpose="universal-auth credentials of ESO's ClusterSecretStore (re-read on every reconcile)"),
    # The Infisical operator's InfisicalAuth caches its login per InfisicalAuth and drops the cache only when the
    # InfisicalAuth's spec (or its InfisicalConnection) changes: its watch on Secrets re-queues without invalidating
    # (Infisical/kubernetes-operator v0.11.5 internal/controller/v1beta1/infisicalauth_controller.go SetupWithManager,
    # internal/auth/strategy_resolver.go). A versioned Secret changes the InfisicalAuth's refs on every rotation, so
    # the operator logs in again with the new credentials at once; its InfisicalStaticSecrets watch the
    # InfisicalAuth and re-sync (internal/controller/v1beta1/infisicalstaticsecret_controller.go).
    BootstrapSecret(
        c.SECRET_OPERATOR_IDENTITY, c.NS_INFISICAL_OPERATOR, IDENTITY_FIELDS,
        wanted=lambda wanted: wanted.supplied_identity, versioned=True,
        purpose="universal-auth credentials of the Infisical operator's InfisicalAuth (renamed on rotation)"),
    INFISICAL_ADMIN_SECRET,
    BootstrapSecret(
        c.SECRET_ARGOCD_OIDC, c.NS_ARGOCD, (DataField(c.KEY_OIDC_CLIENT_SECRET, ARGOCD_OIDC_CLIENT_SECRET),),
        wanted=lambda wanted: wanted.oidc, extra_labels=(charts.ARGOCD_SECRET_REFS.label,),
        purpose="Argo CD OIDC client secret, read as $argocd-oidc:clientSecret"),
)
# One guard per secret that encrypts stored data, over every record and not only the planned ones: a guard that
# came and went with a setting (installInfisical) would come back unprotected, with whatever key is set then.
GUARDED_SECRETS: tuple[SecretSpec, ...] = tuple(dict.fromkeys(
    spec for secret in BOOTSTRAP_SECRETS for spec in secret.guarded))


SUPPLIED_IDENTITY = IdentityRefs(SecretRef(c.NS_EXTERNAL_SECRETS, c.SECRET_MACHINE_IDENTITY),
                                 SecretRef(c.NS_INFISICAL_OPERATOR, c.SECRET_OPERATOR_IDENTITY))


def provisioned_identity(generation: int) -> IdentityRefs:
    """One Secret for both operators, filled by the provisioner Job and named after the rotation counter: a bump
    is a new Secret, so the InfisicalAuth's refs change and the operator drops its cached login (see above)."""
    ref = SecretRef(c.NS_EXTERNAL_SECRETS, f"{c.SECRET_MACHINE_IDENTITY}-g{generation}")
    return IdentityRefs(ref, ref)


SEEDS_SECRET = "infisical-bootstrap-seeds"  # the generated app secrets' values, mounted into the provisioner Job


@dataclass(frozen=True)
class RegistrySeed:
    """A registry secret the provisioner Job also writes into Infisical, for a consumer that reads it there."""

    seed: Seed
    spec: SecretSpec
    wanted: Callable[[ClusterSettings], bool]


REGISTRY_SEEDS: tuple[RegistrySeed, ...] = (
    # Grafana's OAuth client secret, which the program generates for Authentik's blueprint: Grafana reads it from
    # Infisical (seed 000 keeps it at the root path).
    RegistrySeed(Seed(path="/", name="GRAFANA_OAUTH_CLIENT_SECRET", file="grafana-oauth-client-secret"),
                 GRAFANA_OAUTH_CLIENT_SECRET, lambda cluster: cluster.grafana_oauth),
)


def registry_seeds(cluster: ClusterSettings) -> tuple[RegistrySeed, ...]:
    return tuple(entry for entry in REGISTRY_SEEDS if entry.wanted(cluster))


def seeds(cluster: ClusterSettings) -> tuple[Seed, ...]:
    generated = tuple(Seed(path=app.path, name=key.name, file=app.seed_file(key),
                                       generation=key.generation) for app in cluster.apps for key in app.generated)
    # A registry seed carries its secret's rotation counter: a bump changes the Job's settings (so it runs again)
    # and the generation the Job compares with the one it recorded in Infisical (so it writes the new value).
    from_registry = tuple(dataclasses.replace(entry.seed, generation=cluster.generations.get(entry.spec, 0))
                          for entry in registry_seeds(cluster))
    return generated + from_registry


def folders(cluster: ClusterSettings) -> tuple[str, ...]:
    """The Infisical folders the catalog's apps live in, parents first: the Job creates those that are missing, so
    a person only adds values (seeds write into their apps' folders, and the registry's into `/`)."""
    return folder_chain(app.path for app in cluster.apps)


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
        admin_password=provisioner.SecretKey(INFISICAL_ADMIN_SECRET.name, c.KEY_ADMIN_PASSWORD),
        project_slug=cluster.project_slug, environment_slug=cluster.environment_slug, namespace=c.NS_INFISICAL,
        credentials=identity.eso, client_id_key=c.KEY_CLIENT_ID, client_secret_key=c.KEY_CLIENT_SECRET,
        generation=cluster.machine_identity_generation,
        seeds=planned_seeds, seed_secret=SEEDS_SECRET if planned_seeds else "", folders=folders(cluster))


def planned_objects(cluster: ClusterSettings, releases: tuple[ChartPin, ...],
                    identity: IdentityRefs) -> list[PlannedObject]:
    """Every chart record's custom resources: the platform's first, then those that authenticate with the
    machine identity (the sync objects)."""
    installed = frozenset(pin.key for pin in releases)
    planned = [item for pin in charts.ALL for item in pin.objects(ObjectContext(
        cluster, installed, identity, release=pin.key,
        apps=tuple(app for app in cluster.apps if pin.operator and app.operator == pin.operator)))]
    return sorted(planned, key=lambda item: item.needs_identity)


def platform_namespaces(releases: tuple[ChartPin, ...], objects: list[str | None], secrets: list[str]) -> list[str]:
    """The charts' namespaces the plan uses: each installed chart's, those of its planned custom resources and
    bootstrap Secrets, and those its record keeps whether or not the chart is installed."""
    used = {pin.namespace for pin in releases} | set(objects) | set(secrets)
    return list(dict.fromkeys(pin.namespace for pin in charts.ALL if pin.namespace_kept or pin.namespace in used))


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
            + " && ".join(config_set(key, f"{key.removesuffix('Host')}.example.com") for key in missing)
            + " && pulumi up")
    if cluster.install_argocd and cluster.argocd_host and not cluster.ingress_class:
        set_class = config_set("ingressClass", "'<class>'")
        pending.append("Argo CD has no Ingress, so its SSO callback is unreachable: name your ingress controller's "
                       f"class: {set_class} && pulumi up")

    releases = tuple(pin for pin in charts.ALL if pin.wanted(cluster))
    planned = planned_objects(cluster, releases, identity)
    sync = [item for item in planned if item.needs_identity]
    waiting = [] if machine_identity else [item for item in sync if item.needs_identity]
    if waiting:
        commands = " && ".join(missing.set_command() for missing in IDENTITY_SECRETS if missing not in available)
        pending.append(f"{len(waiting)} sync objects ({len(cluster.apps)} catalog apps) wait for the Infisical "
                       f"machine identity: {commands} && pulumi up")

    objects = [item for item in planned if item not in waiting]
    # A bootstrap Secret exists only while something the plan installs reads it: every Secret has a consumer.
    readers = {name for pin in releases for name in pin.reads} | {name for item in objects for name in item.reads}
    if provisioned:
        readers |= {secret.name for secret in BOOTSTRAP_SECRETS if secret.provisioner_reads}
    wanted = Wanted(cluster, supplied, oidc_host is not None)
    bootstrap = tuple(secret for secret in BOOTSTRAP_SECRETS if secret.wanted(wanted) and secret.name in readers)

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
    if not provisioned:
        # The Job makes them otherwise; a secret cannot be set in a folder that does not exist (upstream 404).
        for folder in folders(cluster):
            parent, _, name = folder.rpartition("/")
            pending.append(f"Infisical folder {folder} is made by a person (the provisioner Job does not run): "
                           f"infisical secrets folders create --projectId <id of project {cluster.project_slug}> "
                           f"--env {cluster.environment_slug} --path {parent or '/'} --name {name}")
    for path, remote in person_keys(cluster, provisioned):
        pending.append(f"Infisical key {remote} at {path} is supplied by a person: infisical secrets set "
                       f"--projectId <id of project {cluster.project_slug}> --env {cluster.environment_slug} "
                       f"--path {path} {remote}='<value>'")

    platform = platform_namespaces(releases, [item.namespace for item in planned],
                                   [secret.namespace for secret in bootstrap])
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
