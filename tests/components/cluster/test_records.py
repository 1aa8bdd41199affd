"""Records carry their behaviour: a chart or bootstrap Secret added as a record is planned, wired and checked from
the record alone; and the cluster components receive one context, never a sibling component."""

from __future__ import annotations

import dataclasses
import inspect
import sys
import typing

import pulumi
import pytest

from components.cluster import bootstrap, charts, plan, provisioner, releases, sync, wiring
from components.cluster import constants as c
from components.cluster.charts import ChartPin
from components.cluster.objects import ObjectContext, PlannedObject
from components.secrets_registry import INFISICAL_ENCRYPTION_KEY, INFISICAL_POSTGRES_PASSWORD, SECRETS, SecretSpec
from tests.components.cluster.helpers import ESO_APP, ESO_FOLDER_APP, EVERYTHING, cluster_settings
from verify import inventory
from verify.evaluate import Evaluation

AVAILABLE = frozenset(spec for spec in SECRETS if spec.name in EVERYTHING)


def dashboards(ctx: ObjectContext) -> tuple[PlannedObject, ...]:
    return (PlannedObject("dashboards.example.io/v1", "Dashboard", "home", "dashboards", {"title": "Home"},
                          after=ctx.after_release(), reads=(c.SECRET_CLOUDFLARE,)),)


NEW_CHART = ChartPin(
    key="dashboards", chart="dashboards", version="1.0.0", repository="https://charts.example.invalid",
    release_name="dashboards", namespace="dashboards", values=lambda ctx: {}, wanted=lambda cluster: True,
    objects=dashboards, controllers=(("Dashboard", lambda manifest: []),))


@pytest.fixture
def with_new_chart(monkeypatch: pytest.MonkeyPatch) -> ChartPin:
    monkeypatch.setattr(charts, "ALL", (*charts.ALL, NEW_CHART))
    return NEW_CHART


# --- a chart is its record ---------------------------------------------------------------------------------------

def test_a_new_chart_record_is_installed_in_its_namespace_with_its_objects(with_new_chart: ChartPin) -> None:
    result = plan.make_plan(cluster_settings(), "auth.example.com", AVAILABLE)
    assert result.release("dashboards") is with_new_chart
    assert "dashboards" in result.platform_namespaces
    (dashboard,) = result.of_kind("Dashboard")
    assert dashboard.after == ("dashboards",)
    assert dashboard in result.objects  # not waiting: it needs no machine identity


def test_a_chart_the_cluster_already_runs_still_gets_its_objects_and_their_namespace(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(charts, "ALL", (*charts.ALL, dataclasses.replace(NEW_CHART, wanted=lambda cluster: False)))
    result = plan.make_plan(cluster_settings(), "auth.example.com", AVAILABLE)
    assert result.release("dashboards") is None
    (dashboard,) = result.of_kind("Dashboard")
    assert dashboard.after == ()
    assert "dashboards" in result.platform_namespaces


def test_a_namespace_nothing_uses_is_not_created() -> None:
    result = plan.make_plan(cluster_settings(install_cloudnative_pg=False, install_infisical_operator=False, apps=()),
                            "auth.example.com", AVAILABLE)
    assert c.NS_CNPG not in result.platform_namespaces
    assert c.NS_INFISICAL_OPERATOR not in result.platform_namespaces
    kept = {pin.namespace for pin in charts.ALL if pin.namespace_kept}
    assert kept <= set(result.platform_namespaces)


def test_each_planned_object_comes_from_the_record_of_its_controller() -> None:
    cluster = cluster_settings()
    result = plan.make_plan(cluster, "auth.example.com", AVAILABLE)
    owner = {"ClusterIssuer": charts.CERT_MANAGER, "Cluster": charts.CLOUDNATIVE_PG,
             "ClusterSecretStore": charts.EXTERNAL_SECRETS, "ExternalSecret": charts.EXTERNAL_SECRETS,
             "InfisicalConnection": charts.INFISICAL_OPERATOR, "InfisicalAuth": charts.INFISICAL_OPERATOR,
             "InfisicalStaticSecret": charts.INFISICAL_OPERATOR}
    assert {item.kind for item in result.objects} == set(owner)
    for item in result.objects:
        assert item.after == (owner[item.kind].key,), item


def test_catalog_apps_reach_only_the_chart_their_operator_names() -> None:
    result = plan.make_plan(cluster_settings(), "auth.example.com", AVAILABLE)
    by_operator = {pin.operator: pin for pin in charts.ALL if pin.operator}
    assert set(by_operator) == {"external-secrets", "infisical-operator"}
    for app in cluster_settings().apps:
        kind = "ExternalSecret" if by_operator[app.operator] is charts.EXTERNAL_SECRETS else "InfisicalStaticSecret"
        assert [item.name for item in result.of_kind(kind) if item.namespace == app.namespace] == [app.secret_name]


def test_the_runtime_controllers_are_read_from_the_records(with_new_chart: ChartPin) -> None:
    by_kind = inventory.controllers()
    assert by_kind["Dashboard"] == [with_new_chart.controllers[0][1]]
    for pin in charts.ALL:
        for kind, controller in pin.controllers:
            assert controller in by_kind[kind], (pin.key, kind)
    assert inventory.from_provisioner_job in by_kind["Job"]


def test_without_the_database_controller_the_infisical_urls_name_no_service(installed_inventory: tuple[
        inventory.Inventory, Evaluation]) -> None:
    from verify import function

    built, evaluation = installed_inventory
    assert function.in_cluster_urls_resolve(built, evaluation) == []
    without = inventory.Inventory(items=[item for item in built.items if item.source != "controller Cluster"],
                                  releases=built.releases, release_values=built.release_values)
    problems = function.in_cluster_urls_resolve(without, evaluation)
    assert any(f"{c.DATABASE_CLUSTER}-rw.{c.NS_INFISICAL} is not a Service" in problem for problem in problems)


@pytest.fixture(scope="module")
def installed_inventory(full_evaluation: Evaluation) -> tuple[inventory.Inventory, Evaluation]:
    from tests.conftest import refs_path

    refs_path("charts-src")
    return inventory.build(full_evaluation), full_evaluation


# --- a bootstrap Secret is its record ----------------------------------------------------------------------------

def test_data_key_guards_follow_the_registry() -> None:
    held = {spec for secret in plan.BOOTSTRAP_SECRETS for spec in secret.secrets}
    assert set(plan.GUARDED_SECRETS) == {spec for spec in held if spec.guards_data}
    assert INFISICAL_ENCRYPTION_KEY in plan.GUARDED_SECRETS
    assert bootstrap.guard_name(INFISICAL_ENCRYPTION_KEY) == "infisical-encryption-key-guard"  # name kept in state
    for secret in plan.BOOTSTRAP_SECRETS:
        assert secret.retain_on_delete is any(spec.guards_data for spec in secret.secrets), secret.name


def test_a_record_holding_a_data_key_is_kept_and_guarded() -> None:
    record = dataclasses.replace(plan.BOOTSTRAP_SECRETS[1],
                                 fields=(plan.DataField("key", INFISICAL_ENCRYPTION_KEY),))
    assert record.retain_on_delete
    assert record.guarded == (INFISICAL_ENCRYPTION_KEY,)


def test_every_secret_holding_a_data_key_waits_for_its_guard(full_evaluation: Evaluation) -> None:
    by_name = {registration.name: registration for registration in full_evaluation.registrations}
    for secret in plan.make_plan(cluster_settings(), "auth.example.com", AVAILABLE).bootstrap:
        registration = by_name.get(secret.resource_name)
        if registration is None:
            continue
        guards = {by_name[bootstrap.guard_name(spec)].urn for spec in secret.guarded}
        assert guards <= set(registration.options.get("dependencies", [])), secret.name


def test_the_provisioner_reads_exactly_the_records_that_say_so() -> None:
    first_deploy = plan.make_plan(cluster_settings(), "auth.example.com", frozenset())
    assert first_deploy.provisioner is not None
    read = {secret.name for secret in plan.BOOTSTRAP_SECRETS if secret.provisioner_reads}
    assert read == {first_deploy.provisioner.admin_password.name}
    assert read <= {secret.name for secret in first_deploy.bootstrap}


def test_without_the_job_each_catalog_folder_is_a_pending_step_with_its_command() -> None:
    nested = dataclasses.replace(ESO_FOLDER_APP, name="deep", path="/team/deep")
    catalog = (ESO_APP, ESO_FOLDER_APP, nested)
    folder_steps = [step for step in plan.make_plan(cluster_settings(apps=catalog), "auth.example.com",
                                                    AVAILABLE).pending if step.startswith("Infisical folder")]
    assert [step.split(" ")[2] for step in folder_steps] == ["/harbor", "/team", "/team/deep"]
    assert folder_steps[2].endswith("infisical secrets folders create --projectId <id of project homelab> "
                                    "--env prod --path /team --name deep")
    # With the Job, the Job makes them.
    provisioned = plan.make_plan(cluster_settings(apps=catalog), "auth.example.com", frozenset())
    assert provisioned.provisioner is not None
    assert not [step for step in provisioned.pending if step.startswith("Infisical folder")]


def test_registry_seeds_follow_their_records() -> None:
    (grafana,) = plan.REGISTRY_SEEDS
    assert grafana.seed in plan.seeds(cluster_settings(grafana_oauth=True))
    assert grafana.seed not in plan.seeds(cluster_settings(grafana_oauth=False))


# --- narrow component arguments ----------------------------------------------------------------------------------

COMPONENTS = (bootstrap.ClusterBootstrapSecrets, releases.ClusterReleases, sync.ClusterObjects,
              provisioner.Provisioner)


def constructor_hints(component: type[pulumi.ComponentResource]) -> dict[str, typing.Any]:
    """Each constructor parameter's annotation, resolved in its module (None where it is not a plain name: a
    generic such as pulumi.Input[str] is never a component)."""
    namespace = vars(sys.modules[component.__module__])
    hints: dict[str, typing.Any] = {}
    for name, parameter in inspect.signature(component.__init__).parameters.items():
        annotation = parameter.annotation
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)  # noqa: S307 - the project's own annotations
            except (NameError, AttributeError, TypeError):
                annotation = None
        hints[name] = annotation
    return hints


def sibling_parameters(component: type[pulumi.ComponentResource]) -> list[str]:
    """Constructor parameters that take another component (a sibling) instead of the context."""
    hints = constructor_hints(component)
    return [name for name, hint in hints.items()
            if name != "return" and inspect.isclass(hint) and issubclass(hint, pulumi.ComponentResource)]


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda component: component.__name__)
def test_cluster_components_take_the_context_and_no_sibling(component: type[pulumi.ComponentResource]) -> None:
    parameters = inspect.signature(component.__init__).parameters
    assert "ctx" in parameters
    assert constructor_hints(component)["ctx"] is wiring.ClusterContext
    assert sibling_parameters(component) == []
    assert len(parameters) <= 7  # self, name, ctx, at most three of its own, opts


def test_a_component_taking_a_sibling_is_found() -> None:
    class Wide(pulumi.ComponentResource):
        def __init__(self, name: str, other: bootstrap.ClusterBootstrapSecrets) -> None:
            super().__init__("test:Wide", name)

    assert sibling_parameters(Wide) == ["other"]


def test_the_records_name_every_secret_the_controllers_read(installed_inventory: tuple[
        inventory.Inventory, Evaluation]) -> None:
    """The chart records' `secret_readers` find exactly the custom-resource references the functional checks
    follow (every reference of an object that is not a workload)."""
    from verify import function
    from verify.inventory import WORKLOAD_KINDS

    built, _ = installed_inventory
    readers = inventory.secret_readers()
    from_records = {(item.where, ref.namespace, ref.name, ref.key) for item in built.items if item.source != "waiting"
                    for read in readers.get(item.kind, []) for ref in read(item.manifest)}
    workloads = {item.where for item in built.items if item.kind in WORKLOAD_KINDS}
    followed = {(ref.by, ref.namespace, ref.name, ref.key) for ref in function.secret_refs(built)
                if ref.by not in workloads}
    assert from_records == followed
    assert {kind for pin in charts.ALL for kind, _ in pin.secret_readers} == {
        "ClusterSecretStore", "InfisicalAuth", "ClusterIssuer", "Cluster", "ConfigMap"}
    labelled = [ref for item in built.items for read in readers.get(item.kind, []) for ref in read(item.manifest)
                if ref.label is not None]
    assert [(ref.name, ref.label) for ref in labelled] == [(c.SECRET_ARGOCD_OIDC, charts.ARGOCD_SECRET_REFS.label)]


def test_the_in_cluster_fields_are_those_of_the_records() -> None:
    from verify import function

    assert {kind: path for pin in charts.ALL for kind, path in pin.in_cluster_fields} == function.IN_CLUSTER_FIELDS


def test_a_key_the_operator_chooses_is_filled_in_by_its_record() -> None:
    (cloudflare,) = [secret for secret in plan.BOOTSTRAP_SECRETS if secret.name == c.SECRET_CLOUDFLARE]
    assert cloudflare.keys == ("{cloudflareSecretKey}",)  # as the docs show it
    chosen = cluster_settings(cloudflare_secret_key="token")
    assert list(cloudflare.data(CANARY_VALUES, chosen)) == ["token"]
    for secret in plan.BOOTSTRAP_SECRETS:
        if secret is not cloudflare:
            assert tuple(secret.data(CANARY_VALUES, chosen)) == secret.keys, secret.name


def test_a_chosen_key_that_repeats_another_fails_rather_than_drop_a_value() -> None:
    (cloudflare,) = [secret for secret in plan.BOOTSTRAP_SECRETS if secret.name == c.SECRET_CLOUDFLARE]
    record = dataclasses.replace(cloudflare, fields=(*cloudflare.fields, plan.DataField("note", plain=lambda _: "x")))
    with pytest.raises(pulumi.RunError, match=r"cert-manager/cloudflare-api-token: its data keys \['note', 'note'\]"):
        record.data(CANARY_VALUES, cluster_settings(cloudflare_secret_key="note"))


class _CanaryValues:
    def value(self, spec: SecretSpec) -> pulumi.Output[str]:
        return pulumi.Output.secret(f"value-of-{spec.config_key}")


CANARY_VALUES = _CanaryValues()


def test_a_data_field_takes_exactly_one_source() -> None:
    for broken in ({}, {"secret": INFISICAL_ENCRYPTION_KEY, "plain": lambda cluster: "x"},
                   {"plain": lambda cluster: "x", "transform": str.upper}):
        with pytest.raises(ValueError, match="data key k: give it exactly one of secret"):
            plan.DataField("k", **broken)


def test_a_data_field_holds_its_secret_or_its_setting() -> None:
    (database,) = [secret for secret in plan.BOOTSTRAP_SECRETS if secret.name == c.SECRET_DATABASE]
    assert database.secrets == (INFISICAL_POSTGRES_PASSWORD,)
    data = database.data(CANARY_VALUES, cluster_settings())
    assert data["username"] == c.DATABASE_OWNER


def test_a_new_chart_and_bootstrap_secret_need_only_their_records(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real program with one more chart record (values, a custom resource that reads a new bootstrap Secret)
    and one more bootstrap Secret record: each is created in its namespace, in order, with no other edit."""
    from components.secrets_registry import CLOUDFLARE_API_TOKEN
    from tests.components.cluster.conftest import NAMESPACE, RELEASE, SECRET
    from tests.conftest import full_config, run

    def objects(ctx: ObjectContext) -> tuple[PlannedObject, ...]:
        return (PlannedObject("dashboards.example.io/v1", "Dashboard", "home", "dashboards", {"title": "Home"},
                              after=ctx.after_release(), reads=("dashboards-token",)),)

    chart = dataclasses.replace(NEW_CHART, values=lambda ctx: {"replicas": 1}, objects=objects)
    secret = plan.BootstrapSecret(
        "dashboards-token", "dashboards", (plan.DataField("token", CLOUDFLARE_API_TOKEN),),
        wanted=lambda wanted: True, purpose="the dashboards' API token")
    monkeypatch.setattr(charts, "ALL", (*charts.ALL, chart))
    monkeypatch.setattr(plan, "BOOTSTRAP_SECRETS", (*plan.BOOTSTRAP_SECRETS, secret))
    evaluation = run(full_config())
    assert evaluation.error is None, evaluation.error

    namespace = evaluation.one(NAMESPACE, "dashboards")
    release = evaluation.one(RELEASE, "dashboards")
    assert release.inputs["namespace"] == "dashboards"
    assert namespace.urn in release.options["dependencies"]
    token = evaluation.one(SECRET, "dashboards-dashboards-token")
    assert namespace.urn in token.options["dependencies"]
    dashboard = evaluation.one("kubernetes:dashboards.example.io/v1:Dashboard", "dashboards-home")
    assert {release.urn, token.urn, namespace.urn} <= set(dashboard.options["dependencies"])


def test_every_acme_environment_the_config_accepts_has_a_directory() -> None:
    from components.cluster.constants import ACME_SERVERS
    from components.config.schema import ACME_ENVIRONMENTS

    assert tuple(ACME_SERVERS) == ACME_ENVIRONMENTS
