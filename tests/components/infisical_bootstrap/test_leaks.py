"""No secret reaches the Job's output: every secret in play is a canary, and stdout, stderr and every
progress or error line are searched for each of them, through a first run, a rotation and failures."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from components.infisical_bootstrap import __main__ as entry
from components.infisical_bootstrap.kube import KubeClient
from components.infisical_bootstrap.logs import REDACTED, Log
from components.infisical_bootstrap.provision import ADMIN_PASSWORD_ENV, RERUN, SEED_DIR_ENV, SETTINGS_ENV, Seed
from tests.components.infisical_bootstrap.conftest import ADMIN_PASSWORD, CREDENTIALS, FAST, Harness, settings
from tests.components.infisical_bootstrap.fake_kube import TOKEN


def leaks(text: str, secrets: list[str]) -> list[str]:
    """The secrets found in text, in plain or base64 form (by position, never by value)."""
    found = []
    for index, value in enumerate(secrets):
        if value in text or base64.b64encode(value.encode()).decode() in text:
            found.append(f"secret #{index}")
    return found


def run_job(harness: Harness, generation: int = 0) -> int:
    environ = {SETTINGS_ENV: settings(harness.infisical_url + "/api", generation=generation).to_json(),
               ADMIN_PASSWORD_ENV: ADMIN_PASSWORD}
    return entry.run(environ, Log(entry._stderr),
                     lambda log: KubeClient(harness.kube_url, TOKEN, log, retry=FAST, sleep=harness.sleeps.append))


def test_a_first_run_and_a_rotation_print_no_secret(harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_job(harness) == entry.EXIT_OK
    assert run_job(harness, generation=1) == entry.EXIT_OK
    assert run_job(harness, generation=1) == entry.EXIT_OK
    out = capsys.readouterr()
    secrets = harness.secrets_seen()
    assert len(secrets) == 4  # password, admin token, two client secrets: all in play, none printed
    assert leaks(out.out + out.err, secrets) == []
    assert out.out == ""
    assert "infisical-bootstrap: nothing to change" in out.err
    # ...while they did reach the Secrets they belong in.
    assert harness.kube.decoded(CREDENTIALS.namespace, CREDENTIALS.name)["clientSecret"] == secrets[-1]


def test_an_error_that_echoes_a_secret_is_printed_redacted(harness: Harness,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    harness.infisical.fault("POST", "/api/v1/admin/bootstrap", 400, message=f"bad password {ADMIN_PASSWORD}")
    assert run_job(harness) == entry.EXIT_FAILED
    err = capsys.readouterr().err
    assert leaks(err, [ADMIN_PASSWORD]) == []
    assert f"bad password {REDACTED}" in err


def test_a_stored_token_rejected_later_is_never_printed(harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_job(harness) == entry.EXIT_OK
    token = harness.infisical.state.admin_token
    harness.infisical.fault("GET", r"/api/v1/projects/slug/.*", 403, message=f"token {token} lacks permission")
    assert run_job(harness) == entry.EXIT_FAILED
    err = capsys.readouterr().err
    assert leaks(err, harness.secrets_seen()) == []
    assert "key adminToken" in err


def test_bad_settings_exit_2_and_name_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.run({}, Log(entry._stderr), lambda log: pytest.fail("no kube client without settings")) == 2
    assert SETTINGS_ENV in capsys.readouterr().err


def test_the_leak_search_finds_a_planted_secret() -> None:
    # The check itself can fail: an unredacted line with a canary, plain or base64, is found.
    assert leaks(f"oops {ADMIN_PASSWORD}", [ADMIN_PASSWORD]) == ["secret #0"]
    assert leaks(base64.b64encode(ADMIN_PASSWORD.encode()).decode(), [ADMIN_PASSWORD]) == ["secret #0"]


def test_the_redactor_replaces_every_registered_secret_and_nothing_else() -> None:
    lines: list[str] = []
    log = Log(lines.append)
    log.secret("abc")  # too short to be a secret here: left alone rather than redacting words
    log.secret("s3cr3t-value")
    log.secret("s3cr3t-value-longer")
    log("x s3cr3t-value-longer y s3cr3t-value z abc")
    assert lines == [f"x {REDACTED} y {REDACTED} z abc"]


GRAFANA_SEED = Seed("/grafana", "GRAFANA_ADMIN_PASSWORD", "grafana-admin")
SEED_VALUE = "seed-canary-" + "q" * 32


def run_seeding_job(harness: Harness, seed_dir: Path, generation: int = 0) -> int:
    seed = Seed(GRAFANA_SEED.path, GRAFANA_SEED.name, GRAFANA_SEED.file, generation=generation)
    environ = {SETTINGS_ENV: settings(harness.infisical_url + "/api", seeds=(seed,)).to_json(),
               ADMIN_PASSWORD_ENV: ADMIN_PASSWORD, SEED_DIR_ENV: str(seed_dir)}
    return entry.run(environ, Log(entry._stderr),
                     lambda log: KubeClient(harness.kube_url, TOKEN, log, retry=FAST, sleep=harness.sleeps.append))


def test_a_seeded_value_is_written_and_never_printed(harness: Harness, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Through the Job's own entry point, the seed read from its mounted file as the Job reads it."""
    (tmp_path / GRAFANA_SEED.file).write_text(SEED_VALUE)
    assert run_seeding_job(harness, tmp_path) == entry.EXIT_OK
    rotated = SEED_VALUE.replace("q", "r")
    (tmp_path / GRAFANA_SEED.file).write_text(rotated)
    assert run_seeding_job(harness, tmp_path, generation=1) == entry.EXIT_OK  # a rotation overwrites it
    out = capsys.readouterr()
    (project,) = harness.infisical.state.projects.values()
    assert harness.infisical.state.secrets[(project["id"], "prod", GRAFANA_SEED.path, GRAFANA_SEED.name)] == rotated
    assert leaks(out.out + out.err, [SEED_VALUE, rotated, *harness.secrets_seen()]) == []
    assert GRAFANA_SEED.name in out.err  # the key is named; its value is not


def test_an_error_that_echoes_a_seed_is_printed_redacted(harness: Harness, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / GRAFANA_SEED.file).write_text(SEED_VALUE)
    harness.infisical.fault("POST", f"/api/v4/secrets/{GRAFANA_SEED.name}", 400,
                            message=f"value {SEED_VALUE} is not allowed")
    assert run_seeding_job(harness, tmp_path) == entry.EXIT_FAILED
    err = capsys.readouterr().err
    assert leaks(err, [SEED_VALUE]) == []
    assert f"value {REDACTED} is not allowed" in err


def test_a_missing_seed_file_names_the_file_and_the_fix(harness: Harness, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert run_seeding_job(harness, tmp_path) == entry.EXIT_FAILED
    err = capsys.readouterr().err
    assert f"seed file {GRAFANA_SEED.file} cannot be read" in err
    assert RERUN in err and "pulumi up --refresh" in err
