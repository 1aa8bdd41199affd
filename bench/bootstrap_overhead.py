"""P3: how much time bootstrap.sh adds beyond the time the services themselves take to get ready.

Runs cloud/bifrost/bootstrap.sh against the fake docker in real-time mode: each simulated wait
(a service getting healthy, `ak shell` running) really sleeps, and the fake records how long. The
slowest path is the sum of those waits (the stages run one after another); everything above it is
overhead: bash, the preflight, the lock, the docker CLI calls themselves (here a bash start and a
loopback round trip to the fake docker server, a few milliseconds a call, so the figure is an upper
bound), and any polling.
The old approach polled every 5 s per step; the target is at most 1 s for the whole run.

    python -m bench.bootstrap_overhead
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from fakes.bifrost.harness import Stack

TARGET_SECONDS = 1.0
RUNS = 3
STAGE_TIMEOUT = "60"

# Readiness, in seconds after start, of a fresh stack (scaled down: the overhead does not depend on it).
SCENARIO = {
    "real_time": True,
    "services": {
        "traefik": {"ready_after": 0.3},
        "authentik-postgres": {"ready_after": 0.4},
        "authentik-migrate": {"exit_after": 0.5, "exit_code": 0},
        "authentik-server": {"ready_after": 0.6},
        "authentik-worker": {"ready_after": 0.5},
        "netbird-server": {"ready_after": 0.3},
        "netbird-dashboard": {"ready_after": 0.2},
        "netbird-proxy": {"ready_after": 0.2},
        "netbird-agent": {"ready_after": 0.4},
    },
    "ak_shell": {"seconds": 0.3},
}


def docker_call_cost(stack: Stack, calls: int = 10) -> float:
    """Average wall time of one fake docker call that does nothing (`docker info`)."""
    env = {"FAKE_DOCKER_HOME": str(stack.fake_home), "PATH": "/usr/bin:/bin"}
    started = time.perf_counter()
    for _ in range(calls):
        subprocess.run([str(stack.bin / "docker"), "info"], env=env, capture_output=True, check=True)
    return (time.perf_counter() - started) / calls


def one_run(root: Path) -> tuple[float, float, int, float]:
    """(wall seconds, slowest-path seconds, docker calls, cost of one docker call) of a fresh bootstrap."""
    stack = Stack(root)
    stack.render(proxy=True, agent=True)
    stack.scenario(**SCENARIO)
    started = time.perf_counter()
    result = stack.run("--stage-timeout", STAGE_TIMEOUT)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"bootstrap.sh failed with {result.returncode}:\n{result.output}")
    slowest_path = sum(call.elapsed for call in result.calls)
    stack.scenario()
    return wall, slowest_path, len(result.calls), docker_call_cost(stack)


def main() -> int:
    runs = []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="bifrost-bench-") as root:
            runs.append(one_run(Path(root)))
    overheads = [wall - slowest for wall, slowest, _, _ in runs]
    overhead = statistics.median(overheads)
    wall, slowest, calls, call_cost = runs[overheads.index(overhead)]
    print(f"bootstrap.sh against the fake docker, median of {RUNS} fresh runs: wall {wall:.2f} s, "
          f"slowest path {slowest:.2f} s, {calls} docker calls (about {call_cost * 1000:.0f} ms each "
          f"in the fake, {calls * call_cost:.2f} s in all, counted as overhead)")
    print(f"P3 bootstrap.sh overhead: {overhead:.2f} s (target <= {TARGET_SECONDS:g} s)")
    return 0 if overhead <= TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
