"""docs/infisical-bootstrap.md states the values the code uses."""

from __future__ import annotations

import re

from components.infisical_bootstrap import __main__ as entry
from components.infisical_bootstrap import manifests as m
from components.infisical_bootstrap import provision as p
from components.infisical_bootstrap.transport import RETRIED_STATUSES, RetryPolicy
from verify import PROJECT_ROOT
from verify.evaluate import Evaluation

DOC = (PROJECT_ROOT / "docs" / "infisical-bootstrap.md").read_text()


def test_the_doc_names_the_image_limits_and_retry_budget() -> None:
    assert f"`{m.PYTHON_IMAGE}`" in DOC
    assert f"`activeDeadlineSeconds: {m.ACTIVE_DEADLINE_SECONDS}`" in DOC
    assert f"`backoffLimit: {m.BACKOFF_LIMIT}`" in DOC
    policy = RetryPolicy()
    assert f"{policy.attempts} attempts per call" in DOC
    assert f"from {policy.base_delay:g} s up to a cap of {policy.max_delay:g} s" in DOC
    retried = ", ".join(str(code) for code in sorted(RETRIED_STATUSES))
    assert retried.replace(", 504", " and 504") in DOC


def test_the_doc_lists_every_state_key_and_the_description_marker() -> None:
    state = m.BootstrapParams.__dataclass_fields__["state_secret"].default
    row = next(line for line in DOC.splitlines() if line.startswith(f"| `infisical/{state}`"))
    assert re.findall(r"`(\w+)`", row.split("|")[2]) == list(p.STATE_KEYS)
    assert f"`{p.CLIENT_SECRET_DESCRIPTION} generation <n>`" in DOC


def test_the_doc_states_every_exit_code() -> None:
    table = {int(code): text for code, text in re.findall(r"^\| (\d) \| (.+) \|$", DOC, re.MULTILINE)}
    assert set(table) == {entry.EXIT_OK, entry.EXIT_FAILED, entry.EXIT_BAD_SETTINGS, entry.EXIT_UNREACHABLE}
    assert "unreachable" in table[entry.EXIT_UNREACHABLE]
    assert p.SETTINGS_ENV in table[entry.EXIT_BAD_SETTINGS]


def test_the_rerun_advice_points_at_a_runbook_section_that_deletes_the_real_job(base_evaluation: Evaluation) -> None:
    runbook = (PROJECT_ROOT / "docs" / "runbook.md").read_text()
    section = p.RERUN.split("docs/runbook.md: ", 1)[1].rstrip(")")
    assert f"## {section}\n" in runbook
    body = runbook.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    (job,) = base_evaluation.by_type("kubernetes:batch/v1:Job")
    metadata = job.inputs["metadata"]
    selector = ",".join(f"{key}={value}" for key, value in metadata["labels"].items()
                        if key == "app.kubernetes.io/name")
    assert f"kubectl delete job -n {metadata['namespace']} -l {selector}\n" in body
    assert "pulumi up --refresh" in body
