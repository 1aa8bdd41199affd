"""Generated app secrets: catalog keys marked `generate` are made by the program and written by the Job."""

from __future__ import annotations

import json
from typing import Any

from components.cluster.plan import SEEDS_SECRET
from components.infisical_bootstrap.provision import SETTINGS_ENV
from tests.components.cluster.conftest import JOB, SECRET, plain, secret_by_object_name
from tests.conftest import base_config, shared_run
from verify.evaluate import Evaluation
from verify.leaks import find_leaks
from verify.mocks import is_secret_marker

GRAFANA = {"name": "grafana", "namespace": "monitoring", "target": "grafana-secret", "path": "/",
           "keys": {"ADMIN_PASSWORD": "GRAFANA_ADMIN_PASSWORD", "SMTP_PASSWORD": "GRAFANA_SMTP_PASSWORD"},
           "generate": {"GRAFANA_ADMIN_PASSWORD": {"length": 40}}}


def evaluate_apps(*apps: dict[str, Any], **settings: Any) -> Evaluation:
    config = base_config()
    config.set("apps", list(apps))
    for key, value in settings.items():
        config.set(key, value)
    return shared_run(config)  # only read; a test that compares two evaluations builds two configs


def job_settings(evaluation: Evaluation) -> dict[str, Any]:
    (job,) = evaluation.by_type(JOB)
    (container,) = job.inputs["spec"]["template"]["spec"]["containers"]
    env = {entry["name"]: entry.get("value") for entry in container["env"]}
    loaded: dict[str, Any] = json.loads(env[SETTINGS_ENV])
    return loaded


def test_a_generated_key_reaches_the_job_as_a_mounted_secret_and_nothing_else() -> None:
    evaluation = evaluate_apps(GRAFANA)
    assert evaluation.error is None, evaluation.error
    (password,) = [r for r in evaluation.registrations if r.name == "app-monitoring.grafana.GRAFANA_ADMIN_PASSWORD"]
    assert password.inputs["length"] == 40 and password.inputs["special"] is False
    seeds = secret_by_object_name(evaluation, "infisical", SEEDS_SECRET)
    assert is_secret_marker(seeds.inputs["stringData"])
    assert set(plain(seeds.inputs["stringData"])) == {"monitoring.grafana.GRAFANA_ADMIN_PASSWORD"}
    assert job_settings(evaluation)["seeds"] == [{"path": "/", "name": "GRAFANA_ADMIN_PASSWORD",
                                                  "file": "monitoring.grafana.GRAFANA_ADMIN_PASSWORD",
                                                  "generation": 0}]
    (job,) = evaluation.by_type(JOB)
    volumes = job.inputs["spec"]["template"]["spec"]["volumes"]
    assert {"name": "seeds", "secret": {"secretName": SEEDS_SECRET, "defaultMode": 0o400}} in volumes
    assert seeds.urn in job.all_dependencies()
    assert find_leaks(evaluation) == []


def test_a_key_only_a_person_has_is_a_pending_step_with_its_command() -> None:
    evaluation = evaluate_apps(GRAFANA)
    steps = evaluation.stack_outputs["clusterPendingSteps"]
    person = [step for step in steps if "supplied by a person" in step]
    assert len(person) == 1
    assert "GRAFANA_SMTP_PASSWORD at / " in person[0]
    assert "infisical secrets set" in person[0] and "--path / GRAFANA_SMTP_PASSWORD='<value>'" in person[0]


def test_a_generation_bump_regenerates_that_key_and_reruns_the_job() -> None:
    before = evaluate_apps(GRAFANA)
    bumped = dict(GRAFANA, generate={"GRAFANA_ADMIN_PASSWORD": {"length": 40, "generation": 1}})
    after = evaluate_apps(bumped)

    def value(evaluation: Evaluation) -> str:
        seeds = secret_by_object_name(evaluation, "infisical", SEEDS_SECRET)
        result: str = plain(seeds.inputs["stringData"])["monitoring.grafana.GRAFANA_ADMIN_PASSWORD"]
        return result

    assert value(before) != value(after)
    (job_before,), (job_after,) = before.by_type(JOB), after.by_type(JOB)
    assert job_before.inputs["metadata"]["name"] != job_after.inputs["metadata"]["name"]
    assert find_leaks(after) == []


def test_without_the_provisioner_generated_keys_are_a_pending_step() -> None:
    evaluation = evaluate_apps(GRAFANA, installInfisical=False, infisicalApiUrl="https://infisical.example.com/api")
    assert evaluation.error is None, evaluation.error
    assert evaluation.by_type(JOB) == []
    assert not [r for r in evaluation.by_type(SECRET) if r.inputs["metadata"]["name"] == SEEDS_SECRET]
    steps = evaluation.stack_outputs["clusterPendingSteps"]
    assert any("Generated app secrets are written to Infisical by the provisioner Job" in step for step in steps)
    assert any("GRAFANA_ADMIN_PASSWORD at / is supplied by a person" in step for step in steps)


def test_bad_generate_entries_are_named_with_their_fix() -> None:
    cases = {
        "apps[0].generate.NOT_SYNCED": {"NOT_SYNCED": {"length": 32}},
        "apps[0].generate.GRAFANA_ADMIN_PASSWORD.length": {"GRAFANA_ADMIN_PASSWORD": {"length": 8}},
        "apps[0].generate.GRAFANA_ADMIN_PASSWORD.format": {"GRAFANA_ADMIN_PASSWORD": {"format": "emoji"}},
    }
    for where, generate in cases.items():
        evaluation = evaluate_apps(dict(GRAFANA, generate=generate))
        assert evaluation.error is not None and where in evaluation.error, (where, evaluation.error)
        assert "fix:" in evaluation.error


def test_two_entries_cannot_generate_the_same_key() -> None:
    twin = dict(GRAFANA, name="grafana-two", namespace="grafana", target="grafana-two")
    evaluation = evaluate_apps(GRAFANA, twin)
    assert evaluation.error is not None and "both generate GRAFANA_ADMIN_PASSWORD at /" in evaluation.error


def test_a_generated_key_in_a_folder_reaches_the_job_with_the_catalogs_folders() -> None:
    """The Job creates every folder an app reads (not only those it writes into), parents first."""
    n8n = {"name": "n8n", "namespace": "n8n", "target": "n8n-secret", "path": "/apps/n8n",
           "keys": {"N8N_ENCRYPTION_KEY": "N8N_ENCRYPTION_KEY"}}
    evaluation = evaluate_apps(dict(GRAFANA, path="/grafana"), n8n)
    assert evaluation.error is None, evaluation.error
    settings = job_settings(evaluation)
    assert settings["folders"] == ["/apps", "/grafana", "/apps/n8n"]
    assert [seed["path"] for seed in settings["seeds"]] == ["/grafana"]


def test_rotating_grafanas_oauth_client_secret_rewrites_it_in_infisical() -> None:
    """Authentik gets the new client secret from the worker's env; Grafana reads it from Infisical, so the Job runs
    again and writes it there: the seed's generation is the secret's rotation counter."""
    host = "grafana." + base_config().values["homelab-secrets:authentikHost"].split(".", 1)[1]
    before = evaluate_apps(grafanaHost=host)
    after = evaluate_apps(grafanaHost=host, grafanaOauthClientSecretGeneration=1)
    assert before.error is None and after.error is None, (before.error, after.error)

    def grafana_seed(evaluation: Evaluation) -> dict[str, Any]:
        seeds: list[dict[str, Any]] = job_settings(evaluation)["seeds"]
        (seed,) = [s for s in seeds if s["name"] == "GRAFANA_OAUTH_CLIENT_SECRET"]
        return seed

    assert (grafana_seed(before)["generation"], grafana_seed(after)["generation"]) == (0, 1)
    (job_before,), (job_after,) = before.by_type(JOB), after.by_type(JOB)
    assert job_before.inputs["metadata"]["name"] != job_after.inputs["metadata"]["name"]
    assert find_leaks(after) == []


def test_a_generated_key_whose_secret_keys_would_be_too_long_is_refused() -> None:
    """Its generation is recorded under `seed.<n>.<folders>.<key>` and its value kept under `<namespace>.<name>.<key>`:
    the API server refuses a Secret data key over 253 characters, and the Job would fail on every run."""
    long_key = "K" * 60
    deep = dict(GRAFANA, path="/" + "p" * 200, keys={"ADMIN_PASSWORD": long_key}, generate={long_key: {}})
    named = "N" * 130
    wide = dict(GRAFANA, name="g" * 63, namespace="m" * 60, keys={"ADMIN_PASSWORD": named}, generate={named: {}})
    for entry, key in ((deep, long_key), (wide, named)):
        evaluation = evaluate_apps(entry)
        assert evaluation.error is not None and f"apps[0].generate.{key}" in evaluation.error, evaluation.error
        assert "at most 253" in evaluation.error and "fix:" in evaluation.error
    assert evaluate_apps(dict(deep, path="/" + "p" * 150)).error is None  # 4 + 1 + 150 + 1 + 60 + ... fits
