"""Benchmarks: `python -m bench` (or `make bench`) prints the figures. Not tests: nothing here asserts.

Every figure is a ratio of medians of runs taken side by side, in turns, in one run of this command, so
that all sides see the same machine load. Each run is a fresh process; CPU time (user + system) is shown
beside the wall time, since it moves far less on a shared machine.

P1   `python -m verify check --stack prod`, whole, against a bare import of the SDKs ending as the check ends,
     without the interpreter's teardown (target <= 2.5x; also shown against the import with its teardown),
     with the check's peak memory; warm (its cache of rendered charts and schema results filled, as every
     check after the first finds it) and cold (an empty cache: Helm renders every chart)
P1b  the same check against the evaluation of the program alone (target <= 1.25x)
P2   added cost per catalog app of the whole check, 10 to 3000 apps, against the SDK's cost of one bare
     CustomResource at the same counts (target <= 2.5x, linear; memory <= 50 KB per app), and where an app's
     time and memory go, phase by phase (resident memory, and Python's own allocations by tracemalloc)
P3   bootstrap.sh overhead against the fake docker, beyond the slowest readiness path (target <= 1 s)
P4   two evaluations of the same config: resources whose inputs differ (target 0)
P6   `make test` from a warm venv (target <= 30 s), also as a multiple of the bare import beside it and at the
     speed of the issue's own measurements, then where its CPU goes (bench/suite_cpu.py)
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import suite_cpu
from bench.measure import Series, interleaved, run
from verify import PROJECT_ROOT

PYTHON = sys.executable
BARE_IMPORT = "import pulumi, pulumi_kubernetes, pulumi_hcloud, pulumi_command, pulumi_random, pulumi_tls"
# The same import ending as `python -m verify` ends (verify/process_exit.py), without the interpreter's teardown:
# a quarter of the bare import's own time is its teardown. P1's verdict is taken against this one, like with like.
BARE_IMPORT_ENDED = BARE_IMPORT + "\nimport os\nos._exit(0)"
CHECK = [PYTHON, "-m", "verify", "check", "--stack", "prod"]
SIZES = (10, 100, 1000, 3000)
KB = 1000 / 1024  # KiB -> KB


def _workload(*args: str) -> list[str]:
    return [PYTHON, "-m", "bench.workloads", *args]


def _verdict(ok: bool) -> str:
    return "on target" if ok else "OFF TARGET"


def _both(series: Series) -> str:
    return f"{series.wall:.2f} s (CPU {series.cpu:.2f} s)"


def p1_offline_check(runs: int) -> None:
    found = interleaved({"check": CHECK, "cold": _workload("cold-check", "--stack", "prod"),
                         "bare": [PYTHON, "-c", BARE_IMPORT], "bare ended": [PYTHON, "-c", BARE_IMPORT_ENDED],
                         "evaluation": _workload("evaluate-only", "--stack", "prod")}, runs)
    check, cold, bare, evaluation = found["check"], found["cold"], found["bare"], found["evaluation"]
    ended = found["bare ended"]
    for label, series in (("warm", check), ("cold", cold)):
        ratio, cpu_ratio = series.wall / ended.wall, series.cpu / ended.cpu
        print(f"P1  offline check (prod, {label} cache) {_both(series)}; bare SDK import {_both(ended)} ending "
              f"as the check does (without teardown): ratio {ratio:.2f}x (CPU {cpu_ratio:.2f}x; target <= 2.5x) "
              f"{_verdict(ratio <= 2.5)}; against the bare import with its teardown ({_both(bare)}) "
              f"{series.wall / bare.wall:.2f}x")
    print(f"    peak memory of the check {check.peak_kib / 1024:.0f} MiB warm, {cold.peak_kib / 1024:.0f} MiB cold "
          f"(the bare import {bare.peak_kib / 1024:.0f} MiB, the evaluation alone "
          f"{evaluation.peak_kib / 1024:.0f} MiB)")
    for label, series in (("warm", check), ("cold", cold)):
        ratio, cpu_ratio = series.wall / evaluation.wall, series.cpu / evaluation.cpu
        print(f"P1b the check ({label}) against the evaluation alone {_both(evaluation)}: ratio {ratio:.2f}x "
              f"(CPU {cpu_ratio:.2f}x; target <= 1.25x) {_verdict(ratio <= 1.25)}")


def _slopes(values: dict[int, float]) -> list[float]:
    """Per added unit between consecutive sizes."""
    sizes = sorted(values)
    return [(values[b] - values[a]) / (b - a) for a, b in itertools.pairwise(sizes)]


def p2_per_app(runs: int, sizes: tuple[int, ...]) -> None:
    checks: dict[int, Series] = {}
    bares: dict[int, Series] = {}
    same: dict[int, Series] = {}
    for size in sizes:
        workloads = {"check": _workload("check", "--apps", str(size)),
                     "bare": _workload("bare", "--resources", str(size))}
        if size in (sizes[0], sizes[-1]):
            workloads["same"] = _workload("bare", "--resources", str(size), "--shape", "app")
        found = interleaved(workloads, runs, warm_up=False)
        checks[size], bares[size] = found["check"], found["bare"]
        if "same" in found:
            same[size] = found["same"]
    low, high = sizes[0], sizes[-1]
    span = high - low

    def per_unit(series: dict[int, Series], key: str) -> float:
        return (series[high].reported(key) - series[low].reported(key)) / span * 1000

    app_ms, bare_ms = per_unit(checks, "seconds"), per_unit(bares, "seconds")
    app_cpu, bare_cpu = per_unit(checks, "cpu"), per_unit(bares, "cpu")
    print("P2  whole check by catalog size: " + ", ".join(
        f"{size} apps {checks[size].reported('seconds'):.2f} s" for size in sizes))
    print("    bare CustomResources:         " + ", ".join(
        f"{size} {bares[size].reported('seconds'):.2f} s" for size in sizes))
    app_slopes = [s * 1000 for s in _slopes({n: checks[n].reported("seconds") for n in sizes})]
    bare_slopes = [s * 1000 for s in _slopes({n: bares[n].reported("seconds") for n in sizes})]
    ratio = app_ms / bare_ms
    print(f"    per added app {app_ms:.2f} ms (CPU {app_cpu:.2f} ms); per bare CustomResource {bare_ms:.2f} ms "
          f"(CPU {bare_cpu:.2f} ms): ratio {ratio:.2f}x (CPU {app_cpu / bare_cpu:.2f}x; target <= 2.5x) "
          f"{_verdict(ratio <= 2.5)}")
    spread = max(app_slopes) / min(app_slopes) if min(app_slopes) > 0 else float("inf")
    print("    linearity, ms per app between sizes: " + ", ".join(f"{s:.2f}" for s in app_slopes)
          + f" (max/min {spread:.2f}); bare: " + ", ".join(f"{s:.2f}" for s in bare_slopes))
    memory = (checks[high].peak_kib - checks[low].peak_kib) / span / KB
    floor = (same[high].peak_kib - same[low].peak_kib) / span / KB
    same_ms = per_unit(same, "seconds")
    print(f"    memory per app {memory:.1f} KB (peak {checks[low].peak_kib / 1024:.0f} MiB at {low} apps, "
          f"{checks[high].peak_kib / 1024:.0f} MiB at {high}; target <= 50 KB) {_verdict(memory <= 50)}")
    print(f"    the SDK alone, each app's exact inputs as a bare CustomResource: {floor:.1f} KB and {same_ms:.2f} ms "
          f"per resource; the check per app is {memory / floor:.2f}x that memory and {app_ms / same_ms:.2f}x "
          f"that time" + (" (the 50 KB target is below the SDK's own floor)" if floor > 50 else ""))
    p2_phases(low, min(high, 1000))


def p2_phases(low: int, high: int) -> None:
    """Per added app, phase by phase: CPU, resident memory kept, and the Python allocations kept (by file)."""
    plain = {size: run(_workload("phases", "--apps", str(size))).report for size in (low, high)}
    traced = {size: run(_workload("phases", "--apps", str(size), "--trace")).report for size in (low, high)}
    span = high - low
    names = list(plain[low]["cpu"])
    print(f"    per added app, by phase ({low} to {high} apps; CPU ms, resident KB kept after the phase):")
    previous = "start"
    for name in names:
        cpu = (plain[high]["cpu"][name] - plain[low]["cpu"][name]) / span * 1000
        kept = ((plain[high]["rss_kib"][name] - plain[high]["rss_kib"][previous])
                - (plain[low]["rss_kib"][name] - plain[low]["rss_kib"][previous])) / span / KB
        print(f"      {name:<18} {cpu:6.3f} ms  {kept:6.1f} KB")
        previous = name
    last = names[-1]
    files = traced[high]["traced"][last]
    growth = {path: (size - traced[low]["traced"][last].get(path, 0)) / span / 1000
              for path, size in files.items()}
    total = sum(growth.values())
    top = sorted(growth.items(), key=lambda item: -item[1])[:6]
    print(f"    Python allocations kept per app at the end (tracemalloc): {total:.1f} KB; most from "
          + ", ".join(f"{_short(path)} {kb:.1f} KB" for path, kb in top))


def _short(path: str) -> str:
    parts = Path(path).parts
    for anchor in ("site-packages", "verify", "components"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) + (anchor == "site-packages"):])
    return Path(path).name


def p3_bootstrap_overhead() -> None:
    result = subprocess.run([PYTHON, "-m", "bench.bootstrap_overhead"], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, check=False)
    for line in result.stdout.splitlines():
        print(f"    {line}" if not line.startswith("P3") else line)
    if result.returncode not in (0, 1):
        print(f"P3  failed ({result.returncode}): {result.stderr.strip()[-500:]}")


def p4_differing_resources() -> None:
    from verify import stackconfig
    from verify.evaluate import evaluate
    from verify.mocks import unwrap

    config = stackconfig.with_all_secrets(stackconfig.load_stack("prod"), include_generated=False)
    first = evaluate(config.values, config.secret_keys, config.canaries, stack="prod")
    second = evaluate(config.values, config.secret_keys, config.canaries, stack="prod")
    inputs_a = {(r.type, r.name): unwrap(r.inputs) for r in first.registrations}
    inputs_b = {(r.type, r.name): unwrap(r.inputs) for r in second.registrations}
    differing = {key for key in inputs_a.keys() | inputs_b.keys() if inputs_a.get(key) != inputs_b.get(key)}
    print(f"P4  determinism: {len(differing)} of {len(inputs_a)} resources differ between two evaluations "
          f"(target 0) {_verdict(not differing)}")


# P6's target is a time, not a ratio, while this machine's speed moves by almost 2x in a day. So the suite is also
# shown as a multiple of the bare SDK import measured beside it, and at the speed of the issue's own measurements:
# its table has the bare import at 0.42 s (1.34 s / 0.42 s), and its P1 range of 2.6-3.1x for that 1.34 s puts
# it at 0.43-0.52 s. Information only: the target itself is the 30 s.
P6_TARGET_SECONDS = 30.0
ISSUE_BARE_IMPORT = (0.42, 0.52)


def p6_test_suite() -> None:
    run(["make", "--no-print-directory", "setup"])  # a warm venv: its time is not the suite's
    bare = [run([PYTHON, "-c", BARE_IMPORT]) for _ in range(3)]
    sample = run(["make", "--no-print-directory", "test"])
    bare += [run([PYTHON, "-c", BARE_IMPORT]) for _ in range(3)]
    print(f"P6  make test {sample.wall:.1f} s (CPU {sample.cpu:.1f} s over all its processes; target <= "
          f"{P6_TARGET_SECONDS:.0f} s) {_verdict(sample.wall <= P6_TARGET_SECONDS)}")
    import_seconds = statistics.median(b.wall for b in bare)
    units = sample.wall / import_seconds
    fast, slow = ISSUE_BARE_IMPORT
    print(f"    the bare SDK import beside it took {import_seconds:.2f} s (median of 6): the suite took {units:.0f}x "
          f"that, {fast * units:.0f}-{slow * units:.0f} s at the speed of the issue's own measurements (the bare "
          f"import at {fast}-{slow} s)")
    with tempfile.TemporaryDirectory() as directory:
        run(["make", "--no-print-directory", "test"],
            {"PYTEST_ADDOPTS": "-p bench.suite_cpu", suite_cpu.DIRECTORY_VARIABLE: directory})
        for line in suite_cpu.lines(suite_cpu.read(Path(directory)), P6_TARGET_SECONDS, os.cpu_count() or 1):
            print(line)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = ", load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}{load}"


def _bytecode_note() -> str:
    compiled = any(Path(sys.prefix).glob("lib/python*/site-packages/pulumi/__pycache__/__init__.*.pyc"))
    return "SDKs compiled to bytecode" if compiled else "SDKs NOT compiled to bytecode: run `make setup` first"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per figure, taken in turns (median reported)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="catalog sizes for P2")
    parser.add_argument("--skip-tests", action="store_true", help="leave out P6 (the test suite)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"machine: {machine()}; {_bytecode_note()}")
    p1_offline_check(args.runs)
    p2_per_app(max(1, args.runs // 2), tuple(sorted(args.sizes)))
    p3_bootstrap_overhead()
    p4_differing_resources()
    if not args.skip_tests:
        p6_test_suite()
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
