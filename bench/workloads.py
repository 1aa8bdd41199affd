"""The workloads the benchmark runs, each in a fresh process: `python -m bench.workloads <name> ...`.

    evaluate-only --stack prod   the program alone under the mock providers: the SDK's own mock monitor,
                                 nothing recorded, no check, no output (the baseline of P1b)
    cold-check --stack prod      `python -m verify check` with an empty check cache (a fresh
                                 HOMELAB_CHECK_CACHE): every chart rendered by Helm, every schema checked
    check --apps N               the whole offline check (`python -m verify check`) of the prod stack with
                                 every operator secret set, so that the catalog syncs, and N catalog apps
    phases --apps N [--trace]    the same check phase by phase: CPU seconds and resident memory after each
                                 phase; with --trace, the Python memory each phase keeps (tracemalloc), by file
    bare --resources N           N bare `CustomResource`s under the SDK's default mocks (the baseline of P2)
    bare --resources N --shape app
                                 the same, each with the exact inputs the check's catalog app N registers
                                 (its planned manifest), and nothing else of the program: the SDK's own cost
                                 for these resources (P2 memory's floor)

`check`, `phases` and `bare` print one JSON line: the seconds (wall and CPU) spent after the imports.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import runpy
import sys
import time
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime import stack as runtime_stack

from components import sdk_internals
from components.secrets_registry import PROJECT
from verify.process_exit import run_and_exit

OPERATORS = ("external-secrets", "infisical-operator")
NAMESPACES = 10


def catalog(size: int) -> list[dict[str, Any]]:
    """A catalog of `size` apps, half of them on each sync operator, over the same namespaces at every size
    from 10 on (so that the cost per app holds only what an app adds)."""
    return [
        {"name": f"app{i}", "namespace": f"ns{i % NAMESPACES}", "target": f"app{i}-secret", "path": f"/app{i}",
         "refreshInterval": "1h", "operator": OPERATORS[i % 2], "keys": {"PASSWORD": f"APP{i}_PASSWORD"}}
        for i in range(size)
    ]


class EchoMocks(sdk_mocks.Mocks):
    """The plainest mock providers: every resource's outputs are its inputs."""

    def new_resource(self, args: sdk_mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: sdk_mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return {}, []


def _run_under_sdk_mocks(mocks: sdk_mocks.Mocks, stack: str, program: Callable[[], None],
                         config: dict[str, str] | None = None, secret_keys: list[str] | None = None) -> None:
    sdk_mocks.set_mocks(mocks, project=PROJECT, stack=stack, preview=False)
    runtime_settings.ROOT.set(None)  # set_mocks leaves its own finished root stack behind
    runtime_config.set_all_config(config or {}, secret_keys or [])
    sdk_internals.sync_await(runtime_stack.run_in_stack(program))


def _report(started_wall: float, started_cpu: float, **extra: Any) -> None:
    print(json.dumps({"seconds": time.perf_counter() - started_wall, "cpu": time.process_time() - started_cpu,
                      **extra}))


def evaluate_only(stack: str) -> None:
    from verify import stackconfig
    from verify.evaluate import PROGRAM
    from verify.mocks import CanaryProviders

    def program() -> None:
        runpy.run_path(str(PROGRAM), run_name="__main__")

    config = stackconfig.load_stack(stack)
    _run_under_sdk_mocks(CanaryProviders(), stack, program, dict(config.values), sorted(config.secret_keys))


def check(apps: int) -> int:
    from verify import stackconfig
    from verify.__main__ import EXIT_OK, run_check

    started_wall, started_cpu = time.perf_counter(), time.process_time()
    config = stackconfig.with_all_secrets(stackconfig.load_stack("prod"), include_generated=False)
    config.set("apps", catalog(apps))
    with open(os.devnull, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink), \
            contextlib.redirect_stderr(sink):
        code = run_check(config, "prod", process_ends=True)
    if code != EXIT_OK:
        print(f"the offline check with {apps} apps exited {code}", file=sys.stderr)
        return code
    _report(started_wall, started_cpu, apps=apps)
    return 0


def cold_check(stack: str) -> int:
    import shutil
    import tempfile

    scratch = tempfile.mkdtemp(prefix="check-cache-")
    # Read when verify.cache_files is first imported (by verify.__main__, below).
    os.environ["HOMELAB_CHECK_CACHE"] = scratch
    try:
        from verify.__main__ import main as verify_main

        with open(os.devnull, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
            return verify_main(["check", "--stack", stack])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _resident_kib() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def phases(apps: int, trace: bool) -> int:
    """The check's phases as `verify check` runs them, each measured."""
    import gc
    import tracemalloc

    from components.config.load import validate
    from components.config.raw import RawConfig
    from verify import checks, function, inventory, leaks, stackconfig, tree
    from verify.__main__ import planned_waiting
    from verify.evaluate import evaluate, long_lived

    config = stackconfig.with_all_secrets(stackconfig.load_stack("prod"), include_generated=False)
    config.set("apps", catalog(apps))
    report: dict[str, Any] = {"apps": apps, "cpu": {}, "rss_kib": {"start": _resident_kib()}, "traced": {}}
    if trace:
        tracemalloc.start()
    kept: list[Any] = []

    def phase(name: str, work: Callable[[], Any]) -> Any:
        started = time.process_time()
        result = work()
        report["cpu"][name] = time.process_time() - started
        report["rss_kib"][name] = _resident_kib()
        if trace:
            gc.collect()
            snapshot = tracemalloc.take_snapshot()
            report["traced"][name] = {stat.traceback[0].filename: stat.size
                                      for stat in snapshot.statistics("filename")[:40]}
        kept.append(result)
        return result

    evaluation = phase("evaluate", lambda: evaluate(config.values, config.secret_keys, config.canaries,
                                                    stack="prod"))
    with long_lived():  # as the check reads it (verify/__main__.py run_check)
        phase("tree", lambda: list(tree.render(evaluation)))
        loaded, _ = validate(RawConfig(dict(config.values), frozenset(config.secret_keys)), "prod")
        assert loaded is not None
        built = phase("inventory", lambda: inventory.build(evaluation, planned_waiting(loaded)))
        phase("functional checks", lambda: function.run(built, evaluation))
        phase("leak scan", lambda: leaks.find_leaks(evaluation))
        phase("other checks", lambda: checks.run_all(evaluation, built))
    print(json.dumps(report))
    return 0


def app_manifests(apps: int) -> list[dict[str, Any]]:
    """The manifests the check's catalog apps register (`check --apps`), from the program's own plan."""
    from components.cluster.plan import make_plan
    from components.config.load import validate
    from components.config.raw import RawConfig
    from components.secrets_registry import SECRETS
    from verify import stackconfig

    config = stackconfig.with_all_secrets(stackconfig.load_stack("prod"), include_generated=False)
    config.set("apps", catalog(apps))
    loaded, _ = validate(RawConfig(dict(config.values), frozenset(config.secret_keys)), "prod")
    assert loaded is not None
    available = frozenset(spec for spec in SECRETS if spec.generated or spec in loaded.supplied)
    plan = make_plan(loaded.cluster, loaded.cluster.authentik_host, available)
    targets = {f"app{index}-secret" for index in range(apps)}
    manifests = [item.manifest() for item in plan.objects + plan.waiting if item.name in targets]
    assert len(manifests) == apps, f"{len(manifests)} planned objects for {apps} apps"
    return manifests


def bare(resources: int, shape: str) -> None:
    manifests = app_manifests(resources) if shape == "app" else []

    def program() -> None:
        for index in range(resources):
            if manifests:
                manifest = manifests[index]
                pulumi.CustomResource(f"kubernetes:{manifest['apiVersion']}:{manifest['kind']}", f"thing{index}",
                                      {key: manifest[key] for key in ("apiVersion", "kind", "metadata", "spec")})
            else:
                pulumi.CustomResource("bench:index:Thing", f"thing{index}", {"value": f"value-{index}"})

    started_wall, started_cpu = time.perf_counter(), time.process_time()
    _run_under_sdk_mocks(EchoMocks(), "bench", program)
    _report(started_wall, started_cpu, resources=resources)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.workloads", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="workload", required=True)
    commands.add_parser("evaluate-only").add_argument("--stack", default="prod")
    commands.add_parser("cold-check").add_argument("--stack", default="prod")
    commands.add_parser("check").add_argument("--apps", type=int, required=True)
    phases_parser = commands.add_parser("phases")
    phases_parser.add_argument("--apps", type=int, required=True)
    phases_parser.add_argument("--trace", action="store_true")
    bare_parser = commands.add_parser("bare")
    bare_parser.add_argument("--resources", type=int, required=True)
    bare_parser.add_argument("--shape", choices=("plain", "app"), default="plain")
    args = parser.parse_args(argv)
    if args.workload == "evaluate-only":
        evaluate_only(args.stack)
        return 0
    if args.workload == "cold-check":
        return cold_check(args.stack)
    if args.workload == "check":
        return check(args.apps)
    if args.workload == "phases":
        return phases(args.apps, args.trace)
    bare(args.resources, args.shape)
    return 0


if __name__ == "__main__":
    # Each workload ends as `python -m verify` does, without the interpreter's teardown (the check's own command
    # skips it, so the baselines must too); the SDK's mock monitor also leaves its executor threads' loops to a
    # noisy garbage collection at exit.
    run_and_exit(main)
