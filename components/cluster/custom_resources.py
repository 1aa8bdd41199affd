"""The custom resources each chart's controller reconciles, planned from the settings. Pure: one function per chart
record (its `objects`), called whether or not the program installs the chart (the cluster may run it already)."""

from __future__ import annotations

from components.cluster import constants as c
from components.cluster import manifests
from components.cluster.objects import ObjectContext, PlannedObject
from components.config.model import AppEntry


def none(ctx: ObjectContext) -> tuple[PlannedObject, ...]:
    return ()


def _app_object(app: AppEntry, kind: str, api_version: str, ctx: ObjectContext, spec: dict[str, object],
                writes: tuple[tuple[str, str], ...], resync: bool) -> PlannedObject:
    return PlannedObject(api_version, kind, app.secret_name, app.namespace, spec,
                         labels={"app.kubernetes.io/name": app.name}, after=ctx.after_release(), needs_identity=True,
                         resync_on_credentials=resync, writes=writes)


def cert_manager(ctx: ObjectContext) -> tuple[PlannedObject, ...]:
    """The Let's Encrypt ClusterIssuer, reading the Cloudflare token's bootstrap Secret."""
    cluster = ctx.cluster
    if not cluster.install_cert_manager:
        return ()
    return (PlannedObject(
        c.CERT_MANAGER_API_VERSION, "ClusterIssuer", cluster.cluster_issuer, None,
        manifests.cluster_issuer(cluster.acme_environment, cluster.acme_email, cluster.cloudflare_secret_key),
        after=ctx.after_release(), reads=(c.SECRET_CLOUDFLARE,)),)


def external_secrets(ctx: ObjectContext) -> tuple[PlannedObject, ...]:
    """The ClusterSecretStore `infisical` and one ExternalSecret per catalog app of ESO."""
    cluster = ctx.cluster
    if not ctx.apps and not cluster.install_external_secrets:
        return ()
    store = PlannedObject(
        c.ESO_API_VERSION, "ClusterSecretStore", c.STORE_NAME, None,
        manifests.cluster_secret_store(cluster.project_slug, cluster.environment_slug, ctx.api_url, ctx.identity.eso),
        after=ctx.after_release(), reads=(ctx.identity.eso.name,), needs_identity=True, resync_on_credentials=True)
    return (store, *(_app_object(app, "ExternalSecret", c.ESO_API_VERSION, ctx, manifests.external_secret(app),
                                 ((app.namespace, app.secret_name),), resync=True) for app in ctx.apps))


def infisical_operator(ctx: ObjectContext) -> tuple[PlannedObject, ...]:
    """One InfisicalConnection and InfisicalAuth, and one InfisicalStaticSecret per catalog app of the operator."""
    cluster = ctx.cluster
    if not ctx.apps and not cluster.install_infisical_operator:
        return ()
    operator = ctx.after_release()
    objects = [
        PlannedObject(c.INFISICAL_API_VERSION, "InfisicalConnection", c.INFISICAL_CONNECTION, c.NS_INFISICAL_OPERATOR,
                      manifests.infisical_connection(ctx.api_url), after=operator, needs_identity=True),
        PlannedObject(c.INFISICAL_API_VERSION, "InfisicalAuth", c.INFISICAL_AUTH, c.NS_INFISICAL_OPERATOR,
                      manifests.infisical_auth(ctx.identity.operator), after=operator,
                      reads=(ctx.identity.operator.name,), needs_identity=True),
    ]
    for app in ctx.apps:
        spec = manifests.infisical_static_secret(app, cluster.project_slug, cluster.environment_slug)
        writes = tuple((str(target["namespace"]), str(target["name"])) for target in spec["targets"])
        objects.append(_app_object(app, "InfisicalStaticSecret", c.INFISICAL_API_VERSION, ctx, spec, writes,
                                   resync=False))
    return tuple(objects)


def cloudnative_pg(ctx: ObjectContext) -> tuple[PlannedObject, ...]:
    """Infisical's PostgreSQL `Cluster`, planned with Infisical (CloudNativePG may already run in the cluster)."""
    if not ctx.cluster.install_infisical:
        return ()
    return (PlannedObject(c.CNPG_API_VERSION, "Cluster", c.DATABASE_CLUSTER, c.NS_INFISICAL,
                          manifests.database_cluster(), after=ctx.after_release(), reads=(c.SECRET_DATABASE,)),)
