"""Runtime-sync custom resources and bootstrap Secret metadata, rendered as dicts."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from components.cluster import constants as c
from components.cluster import manifests
from tests.cluster.helpers import ESO_APP, ESO_FOLDER_APP, INFISICAL_APP
from tests.conftest import refs_path


def strict_schema(directory: str, kind: str, group: str, version: str) -> dict[str, Any]:
    path = refs_path("crds", directory, f"{kind.lower()}_{group}_{version}.strict.json")
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def test_a_key_in_the_stores_path_is_a_bare_name() -> None:
    assert manifests.remote_key(ESO_APP, "GRAFANA_ADMIN_PASSWORD") == "GRAFANA_ADMIN_PASSWORD"


def test_a_key_in_another_folder_is_an_absolute_path() -> None:
    # ESO 2.9.0 Infisical provider: a key starting with "/" is <folder>/<name>, the store's path ignored.
    assert manifests.remote_key(ESO_FOLDER_APP, "HARBOR_ADMIN_PASSWORD") == "/harbor/HARBOR_ADMIN_PASSWORD"
    nested = dataclasses.replace(ESO_FOLDER_APP, path="/apps/harbor")
    assert manifests.remote_key(nested, "K") == "/apps/harbor/K"


@given(st.lists(st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True), min_size=1, max_size=4),
       st.from_regex(r"[A-Z_]{1,12}", fullmatch=True))
def test_absolute_keys_split_back_into_folder_and_name(folders: list[str], key: str) -> None:
    app = dataclasses.replace(ESO_FOLDER_APP, path="/" + "/".join(folders))
    remote = manifests.remote_key(app, key)
    folder, _, name = remote.rpartition("/")  # how the provider splits it
    assert (folder, name) == (app.path, key)


@pytest.mark.parametrize(("interval", "expected"), [
    ("60s", "1m"), ("1h", "1h"), ("90s", "90s"), ("1h30m", "90m"), ("5s", "5s"), ("2h0m", "2h"), ("7s", "7s")])
def test_infisical_resync_interval_is_one_number_and_one_unit(interval: str, expected: str) -> None:
    assert manifests.infisical_resync_interval(interval) == expected


@given(st.lists(st.tuples(st.integers(0, 500), st.sampled_from("hms")), min_size=1, max_size=3))
def test_infisical_resync_interval_keeps_the_span(parts: list[tuple[int, str]]) -> None:
    interval = "".join(f"{n}{u}" for n, u in parts)
    total = manifests.seconds(interval)
    if total < manifests.INFISICAL_MIN_RESYNC_SECONDS:
        with pytest.raises(ValueError, match=r"at most every"):
            manifests.infisical_resync_interval(interval)
        return
    normalized = manifests.infisical_resync_interval(interval)
    assert normalized[:-1].isdigit() and normalized[-1] in "hms"
    assert manifests.seconds(normalized) == total


def test_seconds_rejects_what_is_not_a_duration() -> None:
    for bad in ("", "1d", "h", "10", "1h 2m"):
        with pytest.raises(ValueError, match="not a duration"):
            manifests.seconds(bad)


def test_cluster_secret_store_authenticates_with_namespaced_selectors() -> None:
    spec = manifests.cluster_secret_store("homelab", "prod", "infisical.example.com")
    infisical = spec["provider"]["infisical"]
    for key in (c.KEY_CLIENT_ID, c.KEY_CLIENT_SECRET):
        selector = infisical["auth"]["universalAuthCredentials"][key]
        assert selector == {"name": c.SECRET_MACHINE_IDENTITY, "namespace": c.NS_EXTERNAL_SECRETS, "key": key}
    assert infisical["secretsScope"] == {"projectSlug": "homelab", "environmentSlug": "prod", "secretsPath": "/"}
    assert infisical["hostAPI"] == "https://infisical.example.com/api"


def test_cluster_secret_store_matches_the_crd() -> None:
    schema = strict_schema("eso", "ClusterSecretStore", "external-secrets.io", "v1")
    manifest = {"apiVersion": c.ESO_API_VERSION, "kind": "ClusterSecretStore", "metadata": {"name": "infisical"},
                "spec": manifests.cluster_secret_store("homelab", "prod", "infisical.example.com")}
    jsonschema.validate(manifest, schema)


@pytest.mark.parametrize("app", [ESO_APP, ESO_FOLDER_APP])
def test_external_secret_matches_the_crd_and_the_catalog(app: Any) -> None:
    spec = manifests.external_secret(app)
    assert spec["target"] == {"name": app.secret_name, "creationPolicy": "Owner"}
    assert spec["secretStoreRef"] == {"name": "infisical", "kind": "ClusterSecretStore"}
    assert spec["refreshInterval"] == app.refresh_interval
    assert [d["secretKey"] for d in spec["data"]] == [k for k, _ in app.keys]
    schema = strict_schema("eso", "ExternalSecret", "external-secrets.io", "v1")
    jsonschema.validate({"apiVersion": c.ESO_API_VERSION, "kind": "ExternalSecret",
                         "metadata": manifests.sync_metadata(app), "spec": spec}, schema)


def test_infisical_secret_matches_the_crd_and_the_catalog() -> None:
    spec = manifests.infisical_secret(INFISICAL_APP, "homelab", "prod", "infisical.example.com")
    auth = spec["authentication"]["universalAuth"]
    assert auth["credentialsRef"] == {"secretName": c.SECRET_MACHINE_IDENTITY,
                                      "secretNamespace": c.NS_EXTERNAL_SECRETS}
    assert auth["secretsScope"] == {"projectSlug": "homelab", "envSlug": "prod", "secretsPath": "/n8n"}
    (reference,) = spec["managedKubeSecretReferences"]
    assert reference["secretName"] == "n8n-db" and reference["secretNamespace"] == "n8n"
    assert reference["creationPolicy"] == "Owner"
    assert reference["template"]["includeAllSecrets"] is False
    assert set(reference["template"]["data"]) == {"DB_PASSWORD", "N8N_ENCRYPTION_KEY"}
    assert spec["syncConfig"] == {"resyncInterval": "1m"}
    assert spec["hostAPI"] == "https://infisical.example.com/api"
    schema = strict_schema("infisical", "InfisicalSecret", "secrets.infisical.com", "v1alpha1")
    metadata = manifests.sync_metadata(INFISICAL_APP, {c.ARGOCD_SYNC_OPTIONS: c.INFISICAL_SECRET_SYNC_OPTIONS})
    jsonschema.validate({"apiVersion": c.INFISICAL_API_VERSION, "kind": "InfisicalSecret",
                         "metadata": metadata, "spec": spec}, schema)


def test_infisical_template_reads_any_key_by_name() -> None:
    assert manifests.infisical_template_value("DB-PASSWORD.v2") == '{{ (index . "DB-PASSWORD.v2").Value }}'


def test_bootstrap_metadata_carries_the_label_and_the_prune_guard() -> None:
    metadata = manifests.bootstrap_metadata("argocd-oidc", "argocd", {c.ARGOCD_PART_OF_LABEL: "argocd"})
    assert metadata["labels"] == {c.ARGOCD_PART_OF_LABEL: "argocd", c.BOOTSTRAP_LABEL: "true"}
    assert metadata["annotations"] == {c.ARGOCD_SYNC_OPTIONS: "Prune=false"}


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_helm_values_blob_round_trips_any_password(postgres: str, redis: str) -> None:
    document = yaml.safe_load(manifests.infisical_helm_values_blob(postgres, redis))
    assert document == {"postgresql": {"auth": {"password": postgres}}, "redis": {"auth": {"password": redis}}}


