"""The real program under mocks: every Kubernetes object it emits, their order, their secrecy."""

from __future__ import annotations

from typing import Any

import pytest

from components.cluster import charts
from components.cluster import constants as c
from components.secrets_registry import SECRETS, Scope
from tests.components.cluster.conftest import (
    AUTH,
    CONNECTION,
    DATABASE,
    EXTERNAL_SECRET,
    ISSUER,
    JOB,
    NAMESPACE,
    PROVIDER,
    RELEASE,
    SECRET,
    STATIC_SECRET,
    STORE,
    by_name,
    k8s_registrations,
    plain,
    release,
    secret_by_object_name,
)
from tests.conftest import base_config, full_config, refs_path, run, shared_run
from verify import checks
from verify.evaluate import Evaluation
from verify.leaks import find_leaks
from verify.mocks import is_secret_marker

EVALUATIONS = ["full_evaluation", "overridden_evaluation", "first_deploy_evaluation"]


@pytest.fixture(params=EVALUATIONS)
def evaluation(request: pytest.FixtureRequest) -> Evaluation:
    result: Evaluation = request.getfixturevalue(request.param)
    return result


# --- validity of every emitted object ------------------------------------------------------------------------

def test_the_program_registers_only_namespaces_secrets_and_its_custom_resources(full_evaluation: Evaluation) -> None:
    kinds = {r.type for r in k8s_registrations(full_evaluation)} - {RELEASE}
    assert kinds == {NAMESPACE, SECRET, STORE, EXTERNAL_SECRET, CONNECTION, AUTH, STATIC_SECRET, ISSUER, DATABASE}


def test_helm_values_exist_in_the_pinned_charts(evaluation: Evaluation) -> None:
    refs_path("charts-src")
    assert checks.helm_values_exist_in_charts(evaluation) == []


def test_the_offline_checks_pass(evaluation: Evaluation) -> None:
    assert checks.run_all(evaluation) == []


# --- secrecy -------------------------------------------------------------------------------------------------

def test_no_canary_leaks(evaluation: Evaluation) -> None:
    assert find_leaks(evaluation) == []


def test_every_cluster_secret_has_a_canary_in_the_full_runs(overridden_evaluation: Evaluation) -> None:
    labels = {canary.label for canary in overridden_evaluation.canaries}
    cluster = {s.config_key for s in SECRETS if s.scope in (Scope.CLUSTER, Scope.BOTH)}
    assert cluster <= labels


def test_the_provider_uses_the_kubeconfig_secret_and_nothing_ambient(full_evaluation: Evaluation) -> None:
    (provider,) = full_evaluation.by_type(PROVIDER)
    assert is_secret_marker(provider.inputs["kubeconfig"])
    assert provider.inputs["enableServerSideApply"] == "true"
    assert provider.inputs["upsertExistingObjects"] == "false"
    assert provider.inputs["deleteUnreachable"] == "false"
    assert checks.cluster_resources_use_explicit_provider(full_evaluation) == []
    assert all(r.options.get("provider", "").startswith(provider.urn) for r in k8s_registrations(full_evaluation))


def test_bootstrap_secret_values_are_secret_markers(full_evaluation: Evaluation) -> None:
    for registration in full_evaluation.by_type(SECRET):
        assert "data" not in registration.inputs
        assert is_secret_marker(registration.inputs["stringData"]), registration.name


def test_no_helm_value_is_a_secret(evaluation: Evaluation) -> None:
    """Every password reaches its chart through a Secret reference; Helm never stores one in a release."""
    def markers(value: Any) -> int:
        if is_secret_marker(value):
            return 1
        if isinstance(value, dict):
            return sum(markers(item) for item in value.values())
        if isinstance(value, list):
            return sum(markers(item) for item in value)
        return 0

    for registration in evaluation.by_type(RELEASE):
        values = registration.inputs["values"]
        digests = {c.BOOTSTRAP_DIGEST_ANNOTATION}
        annotations = values.get("podAnnotations") or values.get("infisical", {}).get("podAnnotations") or {}
        assert markers(values) == sum(1 for key in annotations if key in digests), registration.name


def test_the_database_and_redis_urls_are_secret_and_point_in_cluster(full_evaluation: Evaluation) -> None:
    registration = secret_by_object_name(full_evaluation, c.NS_INFISICAL, c.SECRET_INFISICAL)
    assert is_secret_marker(registration.inputs["stringData"])
    data = plain(registration.inputs["stringData"])
    assert data["DB_CONNECTION_URI"].startswith("postgresql://infisical:")
    assert data["DB_CONNECTION_URI"].endswith("@infisical-db-rw.infisical.svc.cluster.local:5432/infisical")
    assert data["REDIS_URL"].startswith("redis://default:")
    assert data["REDIS_URL"].endswith("@infisical-valkey.infisical.svc.cluster.local:6379")


def test_argocd_values_reference_the_oidc_secret(full_evaluation: Evaluation) -> None:
    chart_values = release(full_evaluation, charts.ARGOCD.key).inputs["values"]
    assert "$argocd-oidc:clientSecret" in chart_values["configs"]["cm"]["oidc.config"]
    assert "auth.test.example.com/application/o/argocd/" in chart_values["configs"]["cm"]["oidc.config"]
    oidc = secret_by_object_name(full_evaluation, c.NS_ARGOCD, c.SECRET_ARGOCD_OIDC)
    assert oidc.inputs["metadata"]["labels"][c.ARGOCD_PART_OF_LABEL] == "argocd"


# --- bootstrap Secrets ---------------------------------------------------------------------------------------

EXPECTED_BOOTSTRAP = {
    (c.NS_INFISICAL, c.SECRET_INFISICAL): {"ENCRYPTION_KEY", "AUTH_SECRET", "SITE_URL", "DB_CONNECTION_URI",
                                           "REDIS_URL"},
    (c.NS_INFISICAL, c.SECRET_DATABASE): {"username", "password"},
    (c.NS_INFISICAL, c.SECRET_VALKEY_USERS): {"default"},
    (c.NS_EXTERNAL_SECRETS, c.SECRET_MACHINE_IDENTITY): {"clientId", "clientSecret"},
    (c.NS_INFISICAL_OPERATOR, c.SECRET_OPERATOR_IDENTITY): {"clientId", "clientSecret"},
    (c.NS_CERT_MANAGER, c.SECRET_CLOUDFLARE): {"api-token"},
    (c.NS_ARGOCD, c.SECRET_ARGOCD_OIDC): {"clientSecret"},
}


def bootstrap_found(evaluation: Evaluation) -> dict[tuple[str, str], set[str]]:
    found = {}
    for registration in evaluation.by_type(SECRET):
        metadata = registration.inputs["metadata"]
        name = metadata["name"]
        if name.startswith(f"{c.SECRET_OPERATOR_IDENTITY}-"):
            name = c.SECRET_OPERATOR_IDENTITY  # versioned: <name>-<digest>
        found[(metadata["namespace"], name)] = set(plain(registration.inputs["stringData"]))
    return found


def test_every_bootstrap_secret_exists_with_its_keys(full_evaluation: Evaluation) -> None:
    assert bootstrap_found(full_evaluation) == EXPECTED_BOOTSTRAP


def test_bootstrap_secrets_are_labelled_and_never_pruned(full_evaluation: Evaluation) -> None:
    for registration in full_evaluation.by_type(SECRET):
        metadata = registration.inputs["metadata"]
        assert metadata["labels"][c.BOOTSTRAP_LABEL] == "true"
        assert metadata["annotations"][c.ARGOCD_SYNC_OPTIONS] == "Prune=false"
        expected_retain = metadata["name"] == c.SECRET_INFISICAL  # holds ENCRYPTION_KEY
        assert registration.options.get("retainOnDelete", False) is expected_retain, metadata["name"]


def test_infisical_secrets_holds_the_site_url(full_evaluation: Evaluation) -> None:
    data = plain(secret_by_object_name(full_evaluation, c.NS_INFISICAL, c.SECRET_INFISICAL).inputs["stringData"])
    assert data["SITE_URL"] == "https://infisical.test.example.com"
    assert len(data["ENCRYPTION_KEY"]) == 32


def test_namespaces_are_kept_on_delete(full_evaluation: Evaluation) -> None:
    namespaces = full_evaluation.by_type(NAMESPACE)
    assert {r.inputs["metadata"]["name"] for r in namespaces} == {
        "infisical", "external-secrets", "infisical-operator-system", "cert-manager", "argocd", "cnpg-system",
        "monitoring", "n8n"}
    assert all(r.options.get("retainOnDelete") is True for r in namespaces)


# --- dependency order ----------------------------------------------------------------------------------------

def _urn(evaluation: Evaluation, type_token: str, name: str) -> str:
    return evaluation.one(type_token, name).urn


def test_secrets_come_after_their_namespace(full_evaluation: Evaluation) -> None:
    for registration in full_evaluation.by_type(SECRET):
        namespace = registration.inputs["metadata"]["namespace"]
        assert _urn(full_evaluation, NAMESPACE, namespace) in registration.all_dependencies()


def test_releases_come_after_the_secrets_they_read(full_evaluation: Evaluation) -> None:
    infisical = release(full_evaluation, charts.INFISICAL.key)
    assert secret_by_object_name(full_evaluation, c.NS_INFISICAL, c.SECRET_INFISICAL).urn in infisical.dependencies
    argocd = release(full_evaluation, charts.ARGOCD.key)
    assert secret_by_object_name(full_evaluation, c.NS_ARGOCD, c.SECRET_ARGOCD_OIDC).urn in argocd.dependencies
    for registration in full_evaluation.by_type(RELEASE):
        namespace = registration.inputs["namespace"]
        assert _urn(full_evaluation, NAMESPACE, namespace) in registration.dependencies


def test_custom_resources_come_after_their_crds_release(full_evaluation: Evaluation) -> None:
    eso = release(full_evaluation, charts.EXTERNAL_SECRETS.key).urn
    operator = release(full_evaluation, charts.INFISICAL_OPERATOR.key).urn
    identity = secret_by_object_name(full_evaluation, c.NS_EXTERNAL_SECRETS, c.SECRET_MACHINE_IDENTITY).urn
    (store,) = full_evaluation.by_type(STORE)
    assert {eso, identity} <= store.all_dependencies()
    for registration in full_evaluation.by_type(EXTERNAL_SECRET):
        assert eso in registration.all_dependencies()
    (auth,) = full_evaluation.by_type(AUTH)
    operator_identity = next(r for r in full_evaluation.by_type(SECRET)
                             if r.inputs["metadata"]["namespace"] == c.NS_INFISICAL_OPERATOR)
    assert {operator, operator_identity.urn} <= auth.all_dependencies()
    for registration in full_evaluation.by_type(STATIC_SECRET):
        assert operator in registration.all_dependencies()
        namespace = registration.inputs["metadata"]["namespace"]
        assert _urn(full_evaluation, NAMESPACE, namespace) in registration.all_dependencies()
    (issuer,) = full_evaluation.by_type(ISSUER)
    assert release(full_evaluation, charts.CERT_MANAGER.key).urn in issuer.all_dependencies()
    (database,) = full_evaluation.by_type(DATABASE)
    assert release(full_evaluation, charts.CLOUDNATIVE_PG.key).urn in database.all_dependencies()
    infisical = release(full_evaluation, charts.INFISICAL.key)
    assert {database.urn, release(full_evaluation, charts.VALKEY.key).urn} <= infisical.all_dependencies()


def test_registration_order_follows_the_dependencies(full_evaluation: Evaluation) -> None:
    position = {r.urn: index for index, r in enumerate(full_evaluation.registrations)}
    for registration in k8s_registrations(full_evaluation):
        for dependency in registration.all_dependencies():
            assert position[dependency] < position[registration.urn], (registration.name, dependency)


# --- runtime sync --------------------------------------------------------------------------------------------

def test_one_store_and_one_resource_per_catalog_app(full_evaluation: Evaluation) -> None:
    (store,) = full_evaluation.by_type(STORE)
    assert store.inputs["metadata"]["name"] == "infisical"
    assert set(by_name(full_evaluation, EXTERNAL_SECRET)) == {"monitoring-grafana-secret"}
    assert set(by_name(full_evaluation, STATIC_SECRET)) == {"n8n-n8n-db"}
    assert set(by_name(full_evaluation, EXTERNAL_SECRET)["monitoring-grafana-secret"].inputs["metadata"][
        "annotations"]) == {c.CREDENTIALS_DIGEST_ANNOTATION}


EXTERNAL_INFISICAL = {"installInfisical": False, "infisicalApiUrl": "https://infisical.example.com/api"}


def test_an_external_infisical_without_an_identity_syncs_nothing_and_a_step_says_why() -> None:
    config = base_config()
    for key, value in EXTERNAL_INFISICAL.items():
        config.set(key, value)
    evaluation = shared_run(config)
    assert evaluation.error is None, evaluation.error
    for type_token in (STORE, EXTERNAL_SECRET, CONNECTION, AUTH, STATIC_SECRET, JOB):
        assert evaluation.by_type(type_token) == []
    waiting = evaluation.stack_outputs["clusterWaiting"]
    assert "ClusterSecretStore infisical (waits for the machine identity)" in waiting
    assert "InfisicalStaticSecret n8n/n8n-db (waits for the machine identity)" in waiting
    steps = evaluation.stack_outputs["clusterPendingSteps"]
    assert any("machineIdentityClientId" in step for step in steps)
    assert "infisicalAdminPassword" not in evaluation.stack_outputs  # no Job bootstraps an Infisical with it


# --- the provisioner Job ----------------------------------------------------------------------------------------

def test_a_first_deploy_provisions_the_identity_in_the_cluster(first_deploy_evaluation: Evaluation) -> None:
    evaluation = first_deploy_evaluation
    (job,) = evaluation.by_type(JOB)
    assert job.inputs["metadata"]["namespace"] == c.NS_INFISICAL
    assert release(evaluation, charts.INFISICAL.key).urn in job.all_dependencies()
    admin = secret_by_object_name(evaluation, c.NS_INFISICAL, c.SECRET_INFISICAL_ADMIN)
    assert admin.urn in job.all_dependencies() and is_secret_marker(admin.inputs["stringData"])
    assert job.options.get("customTimeouts", {}).get("create") == "20m"
    # Both operators read the Secret the Job fills, and start after it.
    (store,) = evaluation.by_type(STORE)
    (auth,) = evaluation.by_type(AUTH)
    name = f"{c.SECRET_MACHINE_IDENTITY}-g0"
    assert store.inputs["spec"]["provider"]["infisical"]["auth"]["universalAuthCredentials"]["clientId"]["name"] == name
    assert auth.inputs["spec"]["universal"]["clientSecretRef"] == {
        "name": name, "namespace": c.NS_EXTERNAL_SECRETS, "key": c.KEY_CLIENT_SECRET}
    for registration in [store, auth, *evaluation.by_type(EXTERNAL_SECRET), *evaluation.by_type(STATIC_SECRET)]:
        assert job.urn in registration.all_dependencies(), registration.name
    assert evaluation.stack_outputs["clusterWaiting"] == []
    assert is_secret_marker(evaluation.stack_outputs["infisicalAdminPassword"])
    assert find_leaks(evaluation) == []


def test_the_program_never_writes_the_secrets_the_job_fills(first_deploy_evaluation: Evaluation) -> None:
    owned = [r for r in first_deploy_evaluation.by_type(SECRET)
             if r.inputs["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "infisical-bootstrap"]
    assert {r.inputs["metadata"]["name"] for r in owned} == {f"{c.SECRET_MACHINE_IDENTITY}-g0",
                                                             "infisical-bootstrap-state"}
    for registration in owned:
        assert "stringData" not in registration.inputs and "data" not in registration.inputs
        assert set(registration.options["ignoreChanges"]) == {"data", "stringData"}
        assert registration.options.get("retainOnDelete") is True
    state = next(r for r in owned if r.inputs["metadata"]["name"] == "infisical-bootstrap-state")
    assert state.options.get("protect") is True


def test_a_generation_bump_rotates_through_a_new_secret_name(first_deploy_evaluation: Evaluation) -> None:
    config = base_config()
    config.set("machineIdentityGeneration", 1)
    rotated = run(config)
    assert rotated.error is None, rotated.error
    (before,) = first_deploy_evaluation.by_type(JOB)
    (after,) = rotated.by_type(JOB)
    assert before.inputs["metadata"]["name"] != after.inputs["metadata"]["name"]  # the Job runs again
    (auth,) = rotated.by_type(AUTH)
    assert auth.inputs["spec"]["universal"]["clientIdRef"]["name"] == f"{c.SECRET_MACHINE_IDENTITY}-g1"
    for registration in rotated.by_type(EXTERNAL_SECRET):  # ESO re-syncs on the changed annotation
        assert registration.inputs["metadata"]["annotations"][c.CREDENTIALS_DIGEST_ANNOTATION] == "generation-1"
    assert find_leaks(rotated) == []


def test_supplied_credentials_replace_the_provisioner(full_evaluation: Evaluation) -> None:
    assert full_evaluation.by_type(JOB) == []
    (auth,) = full_evaluation.by_type(AUTH)
    assert auth.inputs["spec"]["universal"]["clientIdRef"]["name"].startswith(f"{c.SECRET_OPERATOR_IDENTITY}-")


def _with_app(app: dict[str, Any]) -> Evaluation:
    config = full_config()
    apps = [*config_apps(config), app]
    config.set("apps", apps)
    evaluation = run(config)
    assert evaluation.error is None, evaluation.error
    return evaluation


def config_apps(config: Any) -> list[dict[str, Any]]:
    import json

    loaded: list[dict[str, Any]] = json.loads(config.values["homelab-secrets:apps"])
    return loaded


@pytest.mark.parametrize(("operator", "type_token"), [
    ("external-secrets", EXTERNAL_SECRET), ("infisical-operator", STATIC_SECRET)])
def test_adding_an_app_is_one_catalog_entry(full_evaluation: Evaluation, operator: str, type_token: str) -> None:
    added = _with_app({"name": "paperless", "namespace": "paperless", "target": "paperless-secret",
                       "path": "/paperless", "refreshInterval": "5m", "operator": operator,
                       "keys": {"PAPERLESS_SECRET_KEY": "PAPERLESS_SECRET_KEY"}})
    before, after = by_name(full_evaluation, type_token), by_name(added, type_token)
    assert set(after) - set(before) == {"paperless-paperless-secret"}
    assert len(after) == len(before) + 1
    other = STATIC_SECRET if type_token == EXTERNAL_SECRET else EXTERNAL_SECRET
    assert set(by_name(added, other)) == set(by_name(full_evaluation, other))
    assert "paperless" in by_name(added, NAMESPACE)
    assert added.stack_outputs["clusterSecrets"]["paperless"] == ["paperless-secret"]
    assert checks.run_all(added) == [] and find_leaks(added) == []


def test_an_app_in_a_folder_reads_absolute_keys_through_eso(full_evaluation: Evaluation) -> None:
    added = _with_app({"name": "harbor", "namespace": "harbor", "target": "harbor-admin", "path": "/harbor",
                       "operator": "external-secrets", "keys": {"PASSWORD": "HARBOR_ADMIN_PASSWORD"}})
    spec = by_name(added, EXTERNAL_SECRET)["harbor-harbor-admin"].inputs["spec"]
    assert spec["data"] == [{"secretKey": "PASSWORD", "remoteRef": {"key": "/harbor/HARBOR_ADMIN_PASSWORD"}}]


# --- switches, outputs, determinism ---------------------------------------------------------------------------

@pytest.mark.parametrize(("flag", "releases_off"), [
    ("installExternalSecrets", 1), ("installInfisicalOperator", 1), ("installInfisical", 3), ("installArgocd", 1),
    ("installCertManager", 1), ("installCloudNativePg", 1)])
def test_each_release_switches_off(flag: str, releases_off: int) -> None:
    refs_path("charts-src")
    config = full_config()
    config.set(flag, False)
    if flag == "installInfisical":
        config.set("infisicalApiUrl", "https://infisical.example.com")
    evaluation = shared_run(config)
    assert evaluation.error is None, evaluation.error
    assert len(evaluation.by_type(RELEASE)) == len(charts.ALL) - releases_off
    assert checks.run_all(evaluation) == [] and find_leaks(evaluation) == []


def test_cluster_disabled_registers_nothing_of_it() -> None:
    config = base_config()
    config.set("clusterEnabled", False)
    evaluation = run(config)
    assert evaluation.error is None, evaluation.error
    assert k8s_registrations(evaluation) == [] and evaluation.by_type(PROVIDER) == []
    assert "clusterSecrets" not in evaluation.stack_outputs


def test_outputs_name_every_secret_and_hold_no_value(full_evaluation: Evaluation) -> None:
    outputs = full_evaluation.stack_outputs
    assert outputs["clusterSecrets"] == {
        "argocd": ["argocd-oidc"],
        "cert-manager": ["cloudflare-api-token"],
        "external-secrets": ["infisical-machine-identity"],
        "infisical": ["infisical-db-credentials", "infisical-secrets", "infisical-valkey-users"],
        "infisical-operator-system": ["infisical-operator-identity"],
        "monitoring": ["grafana-secret"],
        "n8n": ["n8n-db"],
    }
    assert outputs["clusterReleases"] == {pin.release_name: f"{pin.chart} {pin.version}" for pin in charts.ALL}
    assert outputs["clusterWaiting"] == []


def test_the_same_config_gives_the_same_cluster_inputs(full_evaluation: Evaluation,
                                                       repeated_evaluation: Evaluation) -> None:
    def inputs(evaluation: Evaluation) -> dict[str, Any]:
        return {r.urn: r.inputs for r in k8s_registrations(evaluation)}

    assert inputs(repeated_evaluation) == inputs(full_evaluation)


def test_a_too_fast_infisical_resync_is_one_clear_error() -> None:
    config = full_config()
    apps = config_apps(config)
    apps[1]["refreshInterval"] = "2s"
    config.set("apps", apps)
    evaluation = run(config)
    assert evaluation.error is not None and "at least 5s" in evaluation.error
    assert find_leaks(evaluation) == []


# --- data keys and rotation ------------------------------------------------------------------------------------

GUARD = "random:index/randomId:RandomId"


def test_the_encryption_key_is_guarded_by_a_protected_resource(full_evaluation: Evaluation) -> None:
    guard = full_evaluation.one(GUARD, "infisical-encryption-key-guard")
    assert guard.options.get("protect") is True
    assert is_secret_marker(guard.inputs["keepers"]) or is_secret_marker(
        guard.inputs["keepers"]["infisicalEncryptionKey"])
    holder = secret_by_object_name(full_evaluation, c.NS_INFISICAL, c.SECRET_INFISICAL)
    assert guard.urn in holder.dependencies
    others = [r for r in full_evaluation.by_type(SECRET) if r.urn != holder.urn]
    assert all(guard.urn not in r.dependencies for r in others)


def test_allow_data_key_change_lifts_the_guard() -> None:
    config = full_config()
    config.set("allowDataKeyChange", True)
    evaluation = run(config)
    assert evaluation.error is None, evaluation.error
    assert not evaluation.one(GUARD, "infisical-encryption-key-guard").options.get("protect", False)


def test_secrets_are_updated_in_place(full_evaluation: Evaluation) -> None:
    (provider,) = full_evaluation.by_type(PROVIDER)
    # Replacing a kept (retainOnDelete), explicitly named Secret would fail with AlreadyExists.
    assert provider.inputs["enableSecretMutable"] == "true"


def test_a_rotated_auth_secret_rolls_the_infisical_pods(overridden_evaluation: Evaluation) -> None:
    from components.secrets_registry import BY_KEY
    from verify.canaries import base64_bytes

    def digest(evaluation: Evaluation) -> Any:
        annotations = release(evaluation, charts.INFISICAL.key).inputs["values"]["infisical"]["podAnnotations"]
        return annotations[c.BOOTSTRAP_DIGEST_ANNOTATION]

    assert is_secret_marker(digest(overridden_evaluation))
    config = full_config(include_generated=True)
    config.set_secret(BY_KEY["infisicalAuthSecret"], base64_bytes("rotated-auth-secret", 32))
    rotated = run(config)
    assert plain(digest(rotated)) != plain(digest(overridden_evaluation))
    assert find_leaks(rotated) == []


def test_releases_with_an_ingress_wait_for_the_cluster_dns_records(full_evaluation: Evaluation) -> None:
    records = {r.urn for r in full_evaluation.registrations if r.type == "cloudflare:index/dnsRecord:DnsRecord"
               and r.inputs.get("name", "").split(".")[0] in ("infisical", "argocd")}
    assert records
    for pin in charts.ALL:
        dependencies = release(full_evaluation, pin.key).all_dependencies()
        assert (records <= dependencies) is pin.serves_hosts, pin.key
