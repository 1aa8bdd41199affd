"""The provisioner's Kubernetes objects: strictly schema-valid, least privilege, hardened, deterministic,
and a ConfigMap whose sources run on their own with the standard library only."""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from components.infisical_bootstrap import manifests as m
from components.infisical_bootstrap.kube import SecretRef
from components.infisical_bootstrap.provision import ADMIN_PASSWORD_ENV, SETTINGS_ENV, STATE_KEYS, Seed, Settings
from verify.function import core_object_problems

PARAMS = m.BootstrapParams(
    service=m.InfisicalService("infisical-infisical-standalone-infisical", "infisical", 8080),
    organization="Homelab", admin_email="owner@example.com",
    admin_password=m.SecretKey("infisical-admin", "password"), project_slug="homelab", environment_slug="prod")


def objects(params: m.BootstrapParams = PARAMS) -> list[dict[str, Any]]:
    return m.provisioner_objects(params)


def by_kind(kind: str, params: m.BootstrapParams = PARAMS) -> list[dict[str, Any]]:
    return [o for o in objects(params) if o["kind"] == kind]


def the_job(params: m.BootstrapParams = PARAMS) -> dict[str, Any]:
    (job,) = by_kind("Job", params)
    return job


def test_every_object_is_valid_under_strict_kubernetes_schemas() -> None:
    seeded = dataclasses.replace(PARAMS, seeds=(Seed("/grafana", "GRAFANA_ADMIN_PASSWORD", "grafana-admin"),),
                                 seed_secret="infisical-seeds")
    rendered = [*objects(), *objects(seeded), *(s.manifest() for s in m.owned_secrets(PARAMS))]
    assert {o["kind"] for o in rendered} == {"ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Job", "Secret"}
    assert [problem for o in rendered for problem in core_object_problems(o)] == []


def test_the_strict_validation_catches_a_misspelt_field() -> None:
    job = the_job()
    job["spec"]["template"]["spec"]["containers"][0]["securityContex"] = {}
    assert core_object_problems(job) != []


def test_the_api_url_is_the_in_cluster_service() -> None:
    settings = Settings.from_json(_env(the_job())[SETTINGS_ENV]["value"])
    assert settings.api_url == "http://infisical-infisical-standalone-infisical.infisical.svc.cluster.local:8080/api"
    assert settings == PARAMS.settings()


def _env(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_the_admin_password_comes_from_a_secret_key_ref_only() -> None:
    env = _env(the_job())
    assert env[ADMIN_PASSWORD_ENV] == {"name": ADMIN_PASSWORD_ENV, "valueFrom": {
        "secretKeyRef": {"name": "infisical-admin", "key": "password"}}}
    assert all("valueFrom" in e or e["name"] != ADMIN_PASSWORD_ENV for e in env.values())


# --- RBAC ----------------------------------------------------------------------------------------------------

def test_rbac_is_get_and_patch_on_exactly_the_owned_secrets() -> None:
    owned = {(s.ref.namespace, s.ref.name) for s in m.owned_secrets(PARAMS)}
    granted = set()
    for role in by_kind("Role"):
        (rule,) = role["rules"]
        assert rule["apiGroups"] == [""] and rule["resources"] == ["secrets"]
        assert rule["verbs"] == ["get", "patch"]  # no list/watch (would read every Secret), no create/delete
        assert rule["resourceNames"]
        granted |= {(role["metadata"]["namespace"], name) for name in rule["resourceNames"]}
    assert granted == owned
    assert not [o for o in objects() if o["kind"] in ("ClusterRole", "ClusterRoleBinding")]


def test_each_role_is_bound_to_the_job_service_account_across_namespaces() -> None:
    bindings = by_kind("RoleBinding")
    assert {b["metadata"]["namespace"] for b in bindings} == {"infisical", "external-secrets"}
    for binding in bindings:
        assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": m.NAME}
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": m.NAME, "namespace": "infisical"}]


def test_one_role_when_the_credentials_live_beside_the_job() -> None:
    same = dataclasses.replace(PARAMS, credentials=SecretRef("infisical", "machine-identity"))
    (role,) = by_kind("Role", same)
    assert role["rules"][0]["resourceNames"] == ["infisical-bootstrap-state", "machine-identity"]


def test_the_service_account_token_is_mounted_only_into_the_job() -> None:
    (account,) = by_kind("ServiceAccount")
    assert account["automountServiceAccountToken"] is False
    assert the_job()["spec"]["template"]["spec"]["automountServiceAccountToken"] is True


# --- the Job -------------------------------------------------------------------------------------------------

def test_the_job_is_hardened() -> None:
    pod = the_job()["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["runAsNonRoot"] and security["runAsUser"] != 0
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["enableServiceLinks"] is False
    assert pod["restartPolicy"] == "Never"
    assert all(mount["readOnly"] for mount in container["volumeMounts"])
    spec = the_job()["spec"]
    assert spec["backoffLimit"] == m.BACKOFF_LIMIT and spec["activeDeadlineSeconds"] == m.ACTIVE_DEADLINE_SECONDS


def test_the_image_is_pinned_to_a_patch_release() -> None:
    image = the_job()["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == m.PYTHON_IMAGE
    name, _, tag = image.partition(":")
    assert name == "docker.io/library/python" and tag.count(".") == 2
    assert tag.startswith(f"{sys.version_info[0]}.{sys.version_info[1]}.")


def test_the_job_name_is_stable_and_changes_exactly_with_its_inputs() -> None:
    name = the_job()["metadata"]["name"]
    assert name == the_job()["metadata"]["name"]
    assert len(name) <= 63 and name.startswith(m.NAME + "-")
    for change in ({"generation": 1}, {"project_slug": "other"}, {"image": "python:3.11.15-slim-trixie"},
                   {"admin_password": m.SecretKey("infisical-admin", "other")}):
        assert the_job(dataclasses.replace(PARAMS, **change))["metadata"]["name"] != name, change


def test_the_config_map_is_immutable_and_named_by_its_content() -> None:
    (config_map,) = by_kind("ConfigMap")
    assert config_map["immutable"] is True
    assert set(config_map["data"]) == set(m.RUNTIME_MODULES)
    volumes = the_job()["spec"]["template"]["spec"]["volumes"]
    assert {"name": "sources", "configMap": {"name": config_map["metadata"]["name"], "defaultMode": 0o444}} in volumes


def test_seeds_mount_their_secret_read_only() -> None:
    seeded = dataclasses.replace(PARAMS, seeds=(Seed("/grafana", "GRAFANA_ADMIN_PASSWORD", "grafana-admin"),),
                                 seed_secret="infisical-seeds")
    pod = the_job(seeded)["spec"]["template"]["spec"]
    assert {"name": "seeds", "secret": {"secretName": "infisical-seeds", "defaultMode": 0o400}} in pod["volumes"]
    with pytest.raises(ValueError, match="seed_secret"):
        objects(dataclasses.replace(seeded, seed_secret=""))


# --- the owned Secrets ---------------------------------------------------------------------------------------

def test_the_owned_secrets_are_created_empty_kept_on_delete_and_ignored_by_pulumi() -> None:
    state, credentials = m.owned_secrets(PARAMS)
    assert state.ref == SecretRef("infisical", "infisical-bootstrap-state") and state.keys == STATE_KEYS
    assert credentials.ref == m.MACHINE_IDENTITY_SECRET
    assert credentials.keys == ("clientId", "clientSecret")
    for owned in (state, credentials):
        assert owned.retain_on_delete
        assert "data" not in owned.manifest() and "stringData" not in owned.manifest()
    assert m.IGNORE_CHANGES == ("data", "stringData")


# --- the runtime sources -------------------------------------------------------------------------------------

def test_the_runtime_modules_import_the_standard_library_only() -> None:
    shipped = {path.name for path in m.SOURCE_DIR.glob("*.py")} - {"manifests.py"}
    assert shipped == set(m.RUNTIME_MODULES), "every runtime module is shipped, and only those"
    for module in m.RUNTIME_MODULES:
        tree = ast.parse((m.SOURCE_DIR / module).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # a relative import: a sibling shipped beside it
                    siblings = [node.module] if node.module else [alias.name for alias in node.names]
                    assert all(f"{name}.py" in m.RUNTIME_MODULES for name in siblings), (module, siblings)
                    continue
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in sys.stdlib_module_names or name == "__future__", (module, name)


def test_the_shipped_sources_run_on_their_own(tmp_path: Path) -> None:
    """The ConfigMap's files, laid out as the Job mounts them, run with `python -m` and nothing else on the path."""
    (config_map,) = by_kind("ConfigMap")
    package = tmp_path / m.PACKAGE
    package.mkdir()
    for name, text in config_map["data"].items():
        (package / name).write_text(text)
    result = subprocess.run([sys.executable, "-I", "-c", "import runpy, sys; sys.path.insert(0, '.');"
                             f" runpy.run_module('{m.PACKAGE}', run_name='__main__')"],
                            cwd=tmp_path, capture_output=True, text=True, env={}, check=False)
    assert result.returncode == 2, result.stderr  # EXIT_BAD_SETTINGS: it imported and ran
    assert f"{SETTINGS_ENV} is missing" in result.stderr
    assert json.dumps(config_map["data"], sort_keys=True)  # plain text, JSON-serialisable


def test_the_settings_round_trip_through_the_job_env_with_seeds() -> None:
    seeded = dataclasses.replace(PARAMS, seeds=(Seed("/grafana", "GRAFANA_ADMIN_PASSWORD", "grafana-admin", 2),),
                                 seed_secret="infisical-seeds", generation=3, folders=("/a", "/grafana", "/a/b"))
    assert Settings.from_json(_env(the_job(seeded))[SETTINGS_ENV]["value"]) == seeded.settings()


def test_the_rendered_job_settings_carry_the_folders() -> None:
    foldered = dataclasses.replace(PARAMS, folders=("/a", "/n8n", "/a/b"))
    rendered = json.loads(_env(the_job(foldered))[SETTINGS_ENV]["value"])
    assert rendered["folders"] == ["/a", "/n8n", "/a/b"]
    assert Settings.from_json(json.dumps(rendered)).folders == ("/a", "/n8n", "/a/b")
    # A new folder in the catalog changes the Job's digest, so the Job runs again and creates it.
    assert the_job(foldered)["metadata"]["name"] != the_job(PARAMS)["metadata"]["name"]
