"""The install, rendered with the real charts, works: and each functional check fails on the defect it names."""

from __future__ import annotations

import copy
import marshal
from collections.abc import Callable
from typing import Any

import pytest

from components.cluster import charts
from components.cluster import constants as c
from tests.conftest import base_config, full_config, refs_path, shared_run
from verify import function, inventory, rendering
from verify.evaluate import Evaluation
from verify.inventory import Inventory, Item

WITH_INGRESS = {"homelab-secrets:ingressClass": "traefik"}


@pytest.fixture(scope="module", autouse=True)
def chart_sources() -> None:
    refs_path("charts-src")


def canary_for(evaluation: Evaluation, config_key: str) -> str:
    return next(canary.value for canary in evaluation.canaries
                if f"::{config_key}@" in canary.label and not canary.label.endswith("#bcrypt"))


def evaluate_with(extra: dict[str, str], full: bool = True) -> Evaluation:
    config = full_config() if full else base_config()
    config.values.update(extra)
    evaluation = shared_run(config)
    assert evaluation.error is None, evaluation.error
    return evaluation


@pytest.fixture(scope="module")
def installed() -> tuple[Inventory, Evaluation]:
    evaluation = evaluate_with(WITH_INGRESS)
    return inventory.build(evaluation), evaluation


def problems_of(built: Inventory, evaluation: Evaluation, check: str) -> list[str]:
    return dict(function.FUNCTION_CHECKS)[check](built, evaluation)


def plain_copy(value: Any) -> Any:
    return marshal.loads(marshal.dumps(value))  # noqa: S302 (bytes this line just wrote)


def mutated(installed: tuple[Inventory, Evaluation], change: Callable[[Inventory], None]) -> Inventory:
    """A copy of the install for one defect: its manifests and values copied (as marshal data: they are plain
    JSON-shaped values, and `copy.deepcopy` of the whole install was most of this file's time). What no test
    edits is shared: the CRDs (most of the bytes; a test may drop one) and the rendered releases (a test may add
    or drop one)."""
    original = installed[0]
    built = Inventory(items=[Item(item.manifest if item.kind == "CustomResourceDefinition"
                                  else plain_copy(item.manifest), item.source) for item in original.items],
                      releases=list(original.releases), release_values=plain_copy(original.release_values))
    change(built)
    return built


def add_upstream(built: Inventory, values: dict[str, Any]) -> None:
    assert charts.INFISICAL.upstream is not None
    for manifest in charts.INFISICAL.upstream(values, charts.INFISICAL.release_name):
        built.add(manifest, "upstream infisical", c.NS_INFISICAL)


def find(built: Inventory, kind: str, name: str) -> Item:
    return next(item for item in built.items if item.kind == kind and item.name.startswith(name))


@pytest.mark.parametrize("extra", [WITH_INGRESS, {}, "first deploy",
                                   {**WITH_INGRESS, "homelab-secrets:installArgocd": "false"},
                                   {"homelab-secrets:installInfisicalOperator": "false"},
                                   {"homelab-secrets:acmeEnvironment": "staging"},
                                   {"homelab-secrets:installCloudNativePg": "false"},
                                   {"homelab-secrets:installExternalSecrets": "false"}])
def test_every_configuration_passes_every_check(extra: dict[str, str] | str) -> None:
    evaluation = evaluate_with({}, full=False) if isinstance(extra, str) else evaluate_with(extra)
    results = function.run(inventory.build(evaluation), evaluation)
    assert results == {name: [] for name, _ in function.FUNCTION_CHECKS}


def test_the_first_deploy_passes_and_checks_the_waiting_objects_shape() -> None:
    from components.cluster.plan import make_plan
    from tests.components.cluster.helpers import cluster_settings

    external = {"homelab-secrets:installInfisical": "false",
                "homelab-secrets:infisicalApiUrl": "https://infisical.example.com/api"}
    evaluation = evaluate_with(external, full=False)
    settings = cluster_settings(install_infisical=False, infisical_api_url="https://infisical.example.com/api")
    waiting = make_plan(settings, "auth.example.com", frozenset()).waiting
    assert {item.kind for item in waiting} == {"ClusterSecretStore", "ExternalSecret", "InfisicalConnection",
                                               "InfisicalAuth", "InfisicalStaticSecret"}
    built = inventory.build(evaluation, waiting)
    assert function.run(built, evaluation) == {name: [] for name, _ in function.FUNCTION_CHECKS}
    broken = copy.deepcopy(waiting[0].manifest())
    broken["spec"]["provider"]["infisical"]["hostAPi"] = "typo"
    built.items.append(Item(broken, "waiting"))
    assert any("hostAPi" in problem for problem in function.schemas_valid(built, evaluation))


def test_every_release_with_a_source_is_rendered(installed: tuple[Inventory, Evaluation]) -> None:
    built, _ = installed
    statuses = {release.pin.key: release.status for release in built.releases}
    assert statuses == {pin.key: "rendered" if pin.source_offline or rendering.locate(pin) else "unavailable"
                        for pin in charts.ALL}


def test_a_chart_missing_from_the_cache_fails_the_check(installed: tuple[Inventory, Evaluation],
                                                        tmp_path: Any) -> None:
    release = rendering.render(charts.VALKEY, {}, directories=[tmp_path])
    assert release.status == "missing" and "python -m verify charts fetch" in release.detail
    built = mutated(installed, lambda b: b.releases.append(release))
    assert problems_of(built, installed[1], "rendered")


def test_a_cached_chart_of_another_version_is_not_used(tmp_path: Any) -> None:
    import shutil

    source = rendering.locate(charts.VALKEY)
    assert source is not None
    copied = tmp_path / charts.VALKEY.source_name
    shutil.copytree(source, copied)
    text = (copied / "Chart.yaml").read_text().replace(f"version: {charts.VALKEY.version}", "version: 0.0.1")
    (copied / "Chart.yaml").write_text(text)
    assert rendering.locate(charts.VALKEY, [tmp_path]) is None


def test_a_misspelt_custom_resource_field_fails(installed: tuple[Inventory, Evaluation]) -> None:
    built = mutated(installed, lambda b: find(b, "ClusterIssuer", "letsencrypt").manifest["spec"]["acme"]
                    .__setitem__("emial", "x"))
    assert any("emial" in problem for problem in problems_of(built, installed[1], "schemas"))


def test_a_custom_resource_without_its_crd_fails(installed: tuple[Inventory, Evaluation]) -> None:
    built = mutated(installed, lambda b: setattr(b, "items", [item for item in b.items if not (
        item.kind == "CustomResourceDefinition" and item.name == "clusterissuers.cert-manager.io")]))
    assert any("no installed CRD serves cert-manager.io/v1 ClusterIssuer" in problem
               for problem in problems_of(built, installed[1], "schemas"))


def test_a_core_object_with_an_unknown_field_fails(installed: tuple[Inventory, Evaluation]) -> None:
    built = mutated(installed, lambda b: find(b, "Deployment", "argocd-server").manifest["spec"]
                    .__setitem__("replica", 2))
    assert any("replica" in problem for problem in problems_of(built, installed[1], "schemas"))


def test_a_password_in_a_rendered_env_fails(installed: tuple[Inventory, Evaluation]) -> None:
    canary = canary_for(installed[1], "infisicalPostgresPassword")

    def leak(built: Inventory) -> None:
        container = find(built, "Deployment", "infisical-valkey").manifest["spec"]["template"]["spec"]["containers"][0]
        container.setdefault("env", []).append({"name": "PASSWORD", "value": canary})

    assert problems_of(mutated(installed, leak), installed[1], "plaintext")


def test_the_bundled_database_path_would_put_its_password_in_plain_env(installed: tuple[Inventory, Evaluation]) -> None:
    """The old values (bundled PostgreSQL with `postgresql.auth.password`) fail through the cited templates."""
    canary = canary_for(installed[1], "infisicalPostgresPassword")
    values = {**installed[0].release_values[charts.INFISICAL.key], "postgresql": {"auth": {"password": canary}}}
    built = mutated(installed, lambda b: add_upstream(b, values))
    assert problems_of(built, installed[1], "plaintext")


def test_the_bundled_ingress_controller_would_be_extra(installed: tuple[Inventory, Evaluation]) -> None:
    values = {**installed[0].release_values[charts.INFISICAL.key], "ingress": {"enabled": False}}
    built = mutated(installed, lambda b: add_upstream(b, values))
    assert any("ingress controller" in problem for problem in problems_of(built, installed[1], "nothing extra"))


def test_a_reference_to_a_missing_secret_or_key_fails(installed: tuple[Inventory, Evaluation]) -> None:
    def rename(built: Inventory) -> None:
        find(built, "Cluster", c.DATABASE_CLUSTER).manifest["spec"]["bootstrap"]["initdb"]["secret"]["name"] = "nope"

    assert any("nothing creates" in p for p in problems_of(mutated(installed, rename), installed[1], "references"))

    def rekey(built: Inventory) -> None:
        find(built, "ClusterIssuer", "letsencrypt").manifest["spec"]["acme"]["solvers"][0]["dns01"][
            "cloudflare"]["apiTokenSecretRef"]["key"] = "token"

    assert any("key 'token'" in p for p in problems_of(mutated(installed, rekey), installed[1], "references"))


def test_argocd_reads_only_a_labelled_secret(installed: tuple[Inventory, Evaluation]) -> None:
    def unlabel(built: Inventory) -> None:
        find(built, "Secret", c.SECRET_ARGOCD_OIDC).manifest["metadata"]["labels"].pop(c.ARGOCD_PART_OF_LABEL)

    assert any("part-of" in p for p in problems_of(mutated(installed, unlabel), installed[1], "references"))


def test_a_bootstrap_secret_nobody_reads_fails(installed: tuple[Inventory, Evaluation]) -> None:
    def orphan(built: Inventory) -> None:
        secret = copy.deepcopy(find(built, "Secret", c.SECRET_CLOUDFLARE).manifest)
        secret["metadata"]["name"] = "infisical-helm-secrets"
        built.add(secret, "program")

    assert any("infisical-helm-secrets" in p for p in problems_of(mutated(installed, orphan), installed[1],
                                                                   "consumers"))


def test_an_ingress_without_issuer_or_tls_fails(installed: tuple[Inventory, Evaluation]) -> None:
    def strip(built: Inventory) -> None:
        ingress = find(built, "Ingress", "argocd-server").manifest
        ingress["metadata"]["annotations"].pop(c.CLUSTER_ISSUER_ANNOTATION)
        ingress["spec"].pop("tls")

    problems = problems_of(mutated(installed, strip), installed[1], "certificates")
    assert len(problems) == 2


def test_a_public_host_or_an_unknown_service_fails(installed: tuple[Inventory, Evaluation]) -> None:
    def public(built: Inventory) -> None:
        find(built, "InfisicalConnection", c.INFISICAL_CONNECTION).manifest["spec"]["address"] = (
            "https://infisical.example.com")

    assert any("not an in-cluster Service URL" in p
               for p in problems_of(mutated(installed, public), installed[1], "in-cluster URLs"))

    def wrong_port(built: Inventory) -> None:
        find(built, "ClusterSecretStore", c.STORE_NAME).manifest["spec"]["provider"]["infisical"]["hostAPI"] = (
            "http://infisical-infisical-standalone-infisical.infisical.svc.cluster.local:80/api")

    assert any("has no port 80" in p
               for p in problems_of(mutated(installed, wrong_port), installed[1], "in-cluster URLs"))


def test_an_unhardened_container_fails(installed: tuple[Inventory, Evaluation]) -> None:
    def soften(built: Inventory) -> None:
        container = find(built, "Deployment", "cert-manager-webhook").manifest["spec"]["template"]["spec"][
            "containers"][0]
        container["securityContext"]["readOnlyRootFilesystem"] = False

    assert any("readOnlyRootFilesystem" in p for p in problems_of(mutated(installed, soften), installed[1],
                                                                   "hardening"))


def test_an_unlisted_workload_fails(installed: tuple[Inventory, Evaluation]) -> None:
    def dex(built: Inventory) -> None:
        server = copy.deepcopy(find(built, "Deployment", "argocd-server").manifest)
        server["metadata"]["name"] = "argocd-dex-server"
        built.add(server, "release argo-cd")

    assert any("argocd-dex-server" in p for p in problems_of(mutated(installed, dex), installed[1], "nothing extra"))


def test_separators_split_as_helm_splits() -> None:
    text = "a: 1\n---# Source: x\nb: 2\n---\n\n---\nc: 3\n"
    assert rendering.split_manifests(text) == [{"a": 1}, {"b": 2}, {"c": 3}]


def test_a_valid_object_is_remembered_by_digest_and_a_changed_one_is_validated_again(
        installed: tuple[Inventory, Evaluation], tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(function, "VALID_CACHE", tmp_path)
    # A chart's Deployment (core schema) and a custom resource with its CRD (CRD schema): validating the whole
    # install uncached would only repeat the same two paths.
    def sample() -> Inventory:
        crd = next(item for item in installed[0].of_kind("CustomResourceDefinition")
                   if item.manifest["spec"]["names"]["kind"] == "ExternalSecret")
        return Inventory([copy.deepcopy(item) for item in (find(installed[0], "Deployment", "argocd-server"), crd,
                                                           next(installed[0].of_kind("ExternalSecret")))])
    built = sample()
    assert function.schemas_valid(built, installed[1]) == []
    markers = list(tmp_path.rglob("*"))
    assert len(markers) >= len(built.items), "each valid object leaves a marker"
    assert all(item.name not in str(marker) for marker in markers for item in built.items)  # digests only
    validated: list[str] = []
    core_validator = function._core_validator

    def counting_validator(kind: str, api_version: str) -> Any:
        validated.append(kind)
        return core_validator(kind, api_version)

    monkeypatch.setattr(function, "_core_validator", counting_validator)
    assert function.schemas_valid(sample(), installed[1]) == []
    assert validated == [], "a valid object already seen is not validated again"
    broken = sample()
    find(broken, "Deployment", "argocd-server").manifest["spec"]["replica"] = 2
    assert any("replica" in problem for problem in function.schemas_valid(broken, installed[1]))


def test_a_secret_is_remembered_by_its_shape_only_and_a_wrong_value_type_still_fails(
        installed: tuple[Inventory, Evaluation], tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(function, "VALID_CACHE", tmp_path)
    secret: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"},
                              "stringData": {"password": "first-secret-value"}}
    other = copy.deepcopy(secret)
    other["stringData"]["password"] = "another-secret-value"
    assert function.known_valid("id", secret)[1] == function.known_valid("id", other)[1], "no value in the digest"
    assert function.schemas_valid(Inventory([Item(copy.deepcopy(secret), "program")]), installed[1]) == []
    assert function.known_valid(f"kubernetes-validate-{function._validator_version()}-strict-"
                                f"{function.KUBERNETES_VERSION}-v1-Secret", secret)[0]
    wrong = copy.deepcopy(secret)
    wrong["stringData"]["password"] = 5
    problems = function.schemas_valid(Inventory([Item(wrong, "program")]), installed[1])
    assert any("stringData.password" in problem for problem in problems)


def test_the_render_cache_is_forbidden_every_canary_and_the_base64_of_its_whole_value(
        installed: tuple[Inventory, Evaluation], monkeypatch: pytest.MonkeyPatch) -> None:
    """A multi-line canary's base64 (a template's `b64enc` of a kubeconfig) holds no base64 of its marker."""
    import base64

    seen: list[list[str]] = []
    real = rendering.render

    def recording(pin: Any, values: Any, **kwargs: Any) -> Any:
        seen.append(list(kwargs.get("forbidden", ())))
        return real(pin, values, **kwargs)

    monkeypatch.setattr(rendering, "render", recording)
    evaluation = installed[1]
    inventory.build(evaluation)
    multi_line = [canary for canary in evaluation.canaries if "\n" in canary.value.strip()]
    assert multi_line, "the full config holds multi-line canaries (a kubeconfig, SSH keys)"
    for canary in multi_line:
        whole = base64.b64encode(canary.value.encode()).decode()
        assert all(canary.marker in forbidden and whole in forbidden for forbidden in seen if forbidden)
    assert any(seen)
