"""The identity provider under the mocks: one value per client secret, in Authentik and at the consumer."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.bifrost import blueprint, render
from components.secrets_registry import ARGOCD_OIDC_CLIENT_SECRET, AUTHENTIK_GITHUB_SECRET, GRAFANA_OAUTH_CLIENT_SECRET
from tests.components.bifrost import compose_dotenv_reader
from tests.components.bifrost.blueprints import env_names, errors, load
from tests.conftest import full_config, run
from verify import PROJECT_ROOT
from verify.evaluate import Evaluation
from verify.leaks import find_leaks
from verify.mocks import is_secret_marker, unwrap
from verify.stackconfig import StackConfig

COMMAND = "command:remote:Command"
BLUEPRINT_WRITER = "bifrost-files-file-authentik-blueprint"
WORKER_ENV_WRITER = "bifrost-files-file-env-authentik-workerenv"
IDENTITY_SECRETS = (ARGOCD_OIDC_CLIENT_SECRET, GRAFANA_OAUTH_CLIENT_SECRET, AUTHENTIK_GITHUB_SECRET)


def identity_config(include_generated: bool = False) -> StackConfig:
    config = full_config(include_generated)
    config.set("grafanaHost", "grafana.test.example.com")
    config.set("githubOauthClientId", "Ov23liExampleClientId")
    return config


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    evaluation = run(identity_config())
    assert evaluation.error is None, evaluation.error
    return evaluation


def stdin_of(evaluation: Evaluation, writer: str) -> str:
    text = unwrap(evaluation.one(COMMAND, writer).inputs["stdin"])
    assert isinstance(text, str)
    return text


def worker_env(evaluation: Evaluation) -> dict[str, str]:
    return compose_dotenv_reader.parse(stdin_of(evaluation, WORKER_ENV_WRITER))


def test_the_delivered_blueprint_validates_strictly(evaluation: Evaluation) -> None:
    assert errors(stdin_of(evaluation, BLUEPRINT_WRITER)) == []


def test_worker_env_and_blueprint_agree_on_every_env_name(evaluation: Evaluation) -> None:
    names = env_names(load(stdin_of(evaluation, BLUEPRINT_WRITER)))
    assert names == {"BIFROST_ARGOCD_CLIENT_SECRET", "BIFROST_GRAFANA_CLIENT_SECRET", "BIFROST_GITHUB_CLIENT_SECRET"}
    assert names <= set(worker_env(evaluation))


def test_no_other_container_gets_the_client_secrets(evaluation: Evaluation) -> None:
    names = set(blueprint.worker_secrets(identity_config_settings()))
    for registration in evaluation.by_type(COMMAND):
        if "-file-env-" in registration.name and registration.name != WORKER_ENV_WRITER:
            text = unwrap(registration.inputs.get("stdin")) or ""
            assert not names & set(compose_dotenv_reader.parse(text)), registration.name


def identity_config_settings() -> Any:
    from components.config.load import load as load_settings
    from components.config.raw import RawConfig

    config = identity_config()
    return load_settings(RawConfig(config.values, frozenset(config.secret_keys)), "test").identity


def test_authentik_and_argocd_get_the_same_client_secret(evaluation: Evaluation) -> None:
    secret = next(r for r in evaluation.by_type("kubernetes:core/v1:Secret")
                  if r.inputs["metadata"]["name"] == "argocd-oidc")
    assert is_secret_marker(secret.inputs["stringData"])
    in_cluster = unwrap(secret.inputs["stringData"])["clientSecret"]
    assert worker_env(evaluation)["BIFROST_ARGOCD_CLIENT_SECRET"] == in_cluster


def test_the_worker_env_values_are_the_generated_and_supplied_secrets(evaluation: Evaluation) -> None:
    env = worker_env(evaluation)
    generated = {c.label.split("::")[-1].split("@")[0]: c.value for c in evaluation.canaries if "#" not in c.label}
    supplied = {c.label: c.value for c in evaluation.canaries}
    expected = {"BIFROST_ARGOCD_CLIENT_SECRET": generated["argocdOidcClientSecret"],
                "BIFROST_GRAFANA_CLIENT_SECRET": generated["grafanaOauthClientSecret"],
                "BIFROST_GITHUB_CLIENT_SECRET": supplied["authentikGithubSecret"]}
    assert {name: env[name] for name in expected} == expected
    for variable, spec in blueprint.worker_secrets(identity_config_settings()).items():
        assert spec.format.accepts(env[variable]), f"{variable} has the format its consumer expects"


def test_every_identity_secret_has_a_canary_and_none_leaks() -> None:
    evaluation = run(identity_config(include_generated=True))
    labels = {c.label for c in evaluation.canaries}
    assert {spec.config_key for spec in IDENTITY_SECRETS} <= labels
    assert find_leaks(evaluation) == []


def test_the_blueprint_holds_no_secret_at_all(evaluation: Evaluation) -> None:
    text = stdin_of(evaluation, BLUEPRINT_WRITER)
    assert [c.label for c in evaluation.canaries if c.marker in text] == []


def test_the_blueprint_writer_is_silent_and_its_stdin_secret(evaluation: Evaluation) -> None:
    writer = evaluation.one(COMMAND, BLUEPRINT_WRITER)
    assert is_secret_marker(writer.inputs["stdin"]), "it carries a keyed digest of the client secrets"
    assert writer.inputs["logging"] == "none" and writer.inputs["addPreviousOutputInEnv"] is False
    bootstrap = evaluation.one(COMMAND, "bifrost-files-bootstrap")
    assert writer.urn in bootstrap.dependencies


def test_rotating_a_client_secret_changes_the_blueprint_file(evaluation: Evaluation) -> None:
    config = identity_config()
    config.set(GRAFANA_OAUTH_CLIENT_SECRET.generation_key, 1)
    rotated = run(config)
    before, after = load(stdin_of(evaluation, BLUEPRINT_WRITER)), load(stdin_of(rotated, BLUEPRINT_WRITER))
    assert before["metadata"]["labels"] != after["metadata"]["labels"]
    assert before["entries"] == after["entries"]
    variable = "BIFROST_GRAFANA_CLIENT_SECRET"
    assert worker_env(evaluation)[variable] != worker_env(rotated)[variable]


def test_the_upload_script_writes_a_readable_file_and_prints_nothing(tmp_path: Path) -> None:
    base = tmp_path / "bifrost"
    base.mkdir(mode=0o700)
    content = blueprint.render_blueprint(identity_config_settings(), "d" * 64)
    result = subprocess.run(["bash", "-c", blueprint.upload_script(str(base))], input=content, capture_output=True,
                            text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    written = base / blueprint.BLUEPRINT_PATH
    assert written.read_text() == content
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert stat.S_IMODE(written.parent.stat().st_mode) == 0o755
    assert [p.name for p in written.parent.iterdir()] == [written.name], "no temporary file is left"
    assert os.access(written, os.R_OK)


def test_compose_mounts_the_blueprint_where_the_worker_reads_it() -> None:
    compose = yaml.safe_load((PROJECT_ROOT / "cloud" / "bifrost" / "docker-compose.yml").read_text())
    folder = blueprint.BLUEPRINT_PATH.rsplit("/", 1)[0]
    mount = f"./{folder}:{blueprint.CONTAINER_DIR}:ro"
    holders = [name for name, service in compose["services"].items() if mount in service.get("volumes", [])]
    assert holders == ["authentik-worker"]
    worker_env_file = next(f for f in render.SECRET_FILES if f.identity_secrets)
    assert compose["services"]["authentik-worker"]["env_file"] == [f"./{worker_env_file.path}"]
    assert blueprint.CONTAINER_DIR.startswith("/blueprints/"), "Authentik discovers blueprints under /blueprints"


@pytest.mark.parametrize(("settings", "unset", "key"), [
    ({"githubOauthClientId": "Ov23liExampleClientId"}, "authentikGithubSecret",
     "homelab-secrets:authentikGithubSecret"),
    ({"argocdAdminGroup": "admins, role:admin"}, None, "homelab-secrets:argocdAdminGroup"),
    ({"githubOauthClientId": "x y"}, None, "homelab-secrets:githubOauthClientId"),
    ({"grafanaHost": "not a host"}, None, "homelab-secrets:grafanaHost"),
])
def test_bad_identity_settings_name_the_key(settings: dict[str, str], unset: str | None, key: str) -> None:
    config = full_config()
    for name, value in settings.items():
        config.set(name, value)
    if unset:
        config.unset(unset)
    evaluation = run(config)
    assert evaluation.error is not None and key in evaluation.error
    assert "fix:" in evaluation.error
    assert not evaluation.registrations
