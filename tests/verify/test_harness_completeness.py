"""The offline harness never loses a registration or a stack output, even on a busy machine.

An evaluation that misses a stack output would also hide any leak in it from the leak scan. The SDK's
`set_mocks` used to queue a second, empty RegisterResourceOutputs for the stack's URN from another executor
thread; under load it could land last and erase every export (see verify/evaluate.py).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_random as random
import pytest

import verify.evaluate
from verify.evaluate import Evaluation, IncompleteEvaluation, evaluate
from verify.mocks import RecordingMonitor, is_secret_marker, unwrap

PASSWORDS = 4
EVALUATIONS = 20
BUSY = "while True:\n    pass\n"


class Group(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("test:index:Group", name)
        self.passwords = [random.RandomPassword(f"{name}-pw{i}", length=20, opts=pulumi.ResourceOptions(parent=self))
                          for i in range(PASSWORDS)]
        self.register_outputs({})


def program() -> None:
    group = Group("group")
    for index, password in enumerate(group.passwords):
        pulumi.export(f"password{index}", password.result)
    pulumi.export("count", len(group.passwords))
    pulumi.export("joined", pulumi.Output.all(*[p.length for p in group.passwords]).apply(sum))


def constants_program() -> None:
    """No resource to wait for: the stack's outputs are registered at once, the most race-prone case."""
    pulumi.export("count", PASSWORDS)


def evaluate_once() -> Evaluation:
    return evaluate({}, set(), [], program=program)


def completeness_problems(evaluation: Evaluation) -> list[str]:
    problems = []
    if evaluation.crash is not None or evaluation.error is not None:
        problems.append(f"failed: {evaluation.error or evaluation.crash!r}")
    expected_outputs = {f"password{i}" for i in range(PASSWORDS)} | {"count", "joined"}
    if set(evaluation.stack_outputs) != expected_outputs:
        problems.append(f"stack outputs {sorted(evaluation.stack_outputs)}")
    names = sorted(r.name for r in evaluation.registrations)
    if names != sorted(["group", *(f"group-pw{i}" for i in range(PASSWORDS))]):
        problems.append(f"registrations {names}")
    generated = {c.label.split("::")[-1]: c.value for c in evaluation.canaries}
    for index in range(PASSWORDS):
        output = evaluation.stack_outputs.get(f"password{index}")
        if not is_secret_marker(output) or unwrap(output) != generated.get(f"group-pw{index}"):
            problems.append(f"password{index} is not its generated secret")
    if evaluation.stack_outputs.get("joined") != 20 * PASSWORDS:
        problems.append(f"joined = {evaluation.stack_outputs.get('joined')!r}")
    return problems


@pytest.fixture
def busy_machine() -> Iterator[None]:
    """One spinning process per core, so the evaluations' executor threads get preempted at random points."""
    spinners = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(os.cpu_count() or 2)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def test_every_evaluation_under_cpu_load_is_complete(busy_machine: None) -> None:
    incomplete: dict[str, list[str]] = {}
    for run in range(EVALUATIONS):
        problems = completeness_problems(evaluate_once())
        constants = evaluate({}, set(), [], program=constants_program)
        if constants.crash is not None or constants.stack_outputs != {"count": PASSWORDS}:
            problems.append(f"constants only: {constants.stack_outputs} {constants.crash!r}")
        if problems:
            incomplete[f"run {run}"] = problems
    assert incomplete == {}


def test_a_second_stack_registration_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old set-up (the SDK's set_mocks with its extra root stack) is caught on every run, not by chance."""
    from pulumi.runtime import mocks as sdk_mocks
    from pulumi.runtime import settings as runtime_settings

    def set_mocks_with_its_own_stack(monitor: RecordingMonitor, engine: Any, project: str, stack: str) -> None:
        sdk_mocks.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)
        runtime_settings.ROOT.set(None)

    monkeypatch.setattr(verify.evaluate, "_install_mock_runtime", set_mocks_with_its_own_stack)
    evaluation = evaluate_once()
    assert isinstance(evaluation.crash, IncompleteEvaluation)
    assert "registered 2 time(s)" in str(evaluation.crash)
    # The offline check treats it as a crash: exit 3, never "ok".
    from verify import stackconfig
    from verify.__main__ import EXIT_CRASH, run_check

    assert run_check(stackconfig.load_stack("prod"), "prod") == EXIT_CRASH


def test_a_late_empty_stack_output_registration_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lost-output race itself, forced: a second RegisterResourceOutputs for the stack erases the exports."""
    original = RecordingMonitor.RegisterResourceOutputs

    def register_twice(self: RecordingMonitor, request: Any) -> Any:
        response = original(self, request)
        if request.urn == self.stack_urn:
            empty = type(request)(urn=request.urn)
            original(self, empty)
        return response

    monkeypatch.setattr(RecordingMonitor, "RegisterResourceOutputs", register_twice)
    evaluation = evaluate_once()
    assert evaluation.stack_outputs == {}, "the defect this guards against: every export erased"
    assert isinstance(evaluation.crash, IncompleteEvaluation)
    assert "outputs 2 time(s)" in str(evaluation.crash)


def test_a_task_left_pending_is_cancelled_and_reported() -> None:
    started: list[asyncio.Task[None]] = []

    async def forever() -> None:
        await asyncio.Event().wait()

    def leaves_a_task() -> None:
        program()
        started.append(asyncio.ensure_future(forever()))

    evaluation = evaluate({}, set(), [], program=leaves_a_task)
    assert isinstance(evaluation.crash, IncompleteEvaluation)
    assert "1 task(s) were still pending" in str(evaluation.crash)
    assert started and started[0].cancelled()
    assert completeness_problems(evaluate_once()) == [], "the next evaluation starts clean"


def test_the_collector_thresholds_are_restored_after_an_evaluation() -> None:
    import gc

    def crashes() -> None:
        raise ValueError("boom")

    before = gc.get_threshold()
    assert evaluate({}, set(), [], program=constants_program).crash is None
    assert isinstance(evaluate({}, set(), [], program=crashes).crash, ValueError)
    assert gc.get_threshold() == before


def test_a_log_line_attached_to_a_resource_is_kept_and_the_evaluation_complete() -> None:
    def logs_on_a_resource() -> None:
        password = random.RandomPassword("pw", length=8)
        pulumi.log.warn("rotate me soon", resource=password)
        pulumi.export("count", 1)

    evaluation = evaluate({}, set(), [], program=logs_on_a_resource)
    assert evaluation.crash is None, evaluation.crash
    assert "rotate me soon" in evaluation.log_lines


def test_a_thread_still_inside_a_call_keeps_its_loop_when_the_evaluation_ends() -> None:
    """A failed program ends the evaluation while executor threads may still be inside a monitor call: closing
    their loop under them fails with "Cannot close a running event loop" and leaves the loop half closed."""
    import threading

    from verify.mocks import CanaryProviders, RecordingMonitor

    monitor = RecordingMonitor(CanaryProviders())
    inside, release = threading.Event(), threading.Event()
    loops: list[asyncio.AbstractEventLoop] = []

    def busy_call() -> None:
        with monitor._call():
            loops.append(asyncio.get_event_loop_policy().get_event_loop())
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=busy_call)
    worker.start()
    assert inside.wait(5)
    monitor.close_thread_loops()
    assert not loops[0].is_closed(), "a busy thread's loop must not be closed under it"
    release.set()
    worker.join(5)
    monitor.close_thread_loops()
    assert loops[0].is_closed(), "once the thread is out of its call, its loop is closed"


def test_an_error_nobody_retrieved_is_logged_without_formatting_a_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    """Formatting a traceback calls ast.parse in Python 3.11, whose bookkeeping every thread shares: the handler
    the harness installs logs the message and the error's type only."""
    import gc

    from verify.mocks import without_traceback

    evaluate({}, set(), [], program=lambda: None)
    assert asyncio.get_event_loop().get_exception_handler() is without_traceback
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(without_traceback)
    future = loop.create_future()
    future.set_exception(ValueError("left behind"))
    del future
    gc.collect()
    loop.close()
    (record,) = [r for r in caplog.records if r.name == "asyncio"]
    assert record.exc_info is None and "ValueError" in record.getMessage()


def test_a_requests_replacement_trigger_reaches_only_its_own_resource() -> None:
    """The monitor sets a request's trigger, then the SDK's mock calls new_resource, on one executor thread while
    others register theirs: another thread's trigger must not reach this resource's label (generated value)."""
    import threading

    from pulumi.runtime.mocks import MockResourceArgs

    from verify.mocks import CanaryProviders

    providers = CanaryProviders()
    providers.replacement_trigger = "0"
    providers.ignore_changes = ["data"]
    other = threading.Thread(target=lambda: setattr(providers, "replacement_trigger", "1"))
    other.start()
    other.join()
    assert (providers.replacement_trigger, providers.ignore_changes) == ("0", ["data"])
    key = MockResourceArgs("tls:index/privateKey:PrivateKey", "deploy", {"algorithm": "ED25519"})
    providers.new_resource(key)
    alone = CanaryProviders()
    alone.replacement_trigger = "0"
    alone.new_resource(key)
    assert providers.generated == alone.generated
