"""Signals reach the running docker command at once; the lock file's failure has its own exit code.

The fake `docker compose up` really waits here (scenario `block_on`) until it gets a signal, which it
records; the test sends the signal to bootstrap.sh alone, as `kill PID` or a closing SSH session does.
The waits below are safety bounds for a broken script, not measurements.
"""

from __future__ import annotations

import signal

import pytest

from fakes.bifrost.harness import Stack
from tests.cloud.bifrost.test_bootstrap import HAPPY, check

BOUND = 30  # seconds: far beyond a prompt exit, far below the fake's 120 s wait


@pytest.mark.parametrize(("number", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)])
def test_a_signal_is_forwarded_to_compose_and_the_script_exits_with_its_code(
        stack: Stack, number: signal.Signals, code: int) -> None:
    stack.scenario(block_on="authentik-server")
    process = stack.start()
    stack.wait_until_blocked(process)
    process.send_signal(number)
    out, _err = process.communicate(timeout=BOUND)
    assert process.returncode == code, out
    ups = [c for c in stack.calls() if c.compose_command == "up"]
    # The blocked `up` got the very signal and ended on it.
    assert ups[-1].events == {"signal": number.name}
    assert ups[-1].exit == 128 + number
    assert f"ERROR: interrupted by {number.name} during step authentik" in out
    # The re-run is not kept out by the lock of the interrupted one.
    stack.scenario()
    check(stack.run("--stage-timeout", "300", "--lock-timeout", "0"), stack, 0, HAPPY)


def test_a_signal_during_the_token_retries_ends_the_pause_at_once(stack: Stack) -> None:
    stack.scenario(ak_shell={"fail_times": 1000})
    # A pause of 100 s after the first failed attempt: only a prompt exit ends the run within BOUND.
    process = stack.start(env={"BIFROST_RETRY_DELAY": "100"})
    out_lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        out_lines.append(line)
        if "attempt 1/8 failed" in line:
            break
    process.send_signal(signal.SIGTERM)
    out, _err = process.communicate(timeout=BOUND)
    assert process.returncode == 143, "".join(out_lines) + out
    assert "interrupted by SIGTERM during step token" in out
    assert "attempt 2/8" not in out


def test_an_unwritable_lock_file_exits_6_with_the_fix(stack: Stack) -> None:
    # A directory in its place cannot be opened for writing, even by root (as a read-only file system
    # or a full inode table would refuse it).
    (stack.directory / ".bootstrap.lock").mkdir()
    stack.scenario()
    result = stack.run()
    check(result, stack, 6, [])
    assert "cannot open the lock file" in result.output
    assert f"df -i {stack.directory}" in result.output
    assert "unexpected failure" not in result.output
