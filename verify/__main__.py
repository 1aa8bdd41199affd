"""The offline check: `python -m verify check --stack prod`.

Evaluates a stack's program under the mock runtime with canaries for every secret, prints the resource
tree, the stack outputs (never cut) and the operator secrets still missing, warns on example values the
stack file still holds, and fails on invalid config, a leak or a failed check. It needs no account,
credentials, network or Pulumi CLI. `flow` prints a stack's secrets flow (Mermaid), `docs` checks or
rewrites the generated parts of the docs, `charts` manages the local chart cache.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

import yaml

from components.cluster.objects import PlannedObject
from components.cluster.plan import make_plan
from components.config.model import Settings
from components.config.secrets import missing_later_secrets
from components.secrets_registry import SECRETS, SecretSpec
from verify import PROJECT_ROOT, checks, examples, function, inventory, leaks, stackconfig, tree
from verify.evaluate import Evaluation, evaluate, long_lived
from verify.process_exit import run_and_exit

EXIT_OK, EXIT_FAILED_CHECK, EXIT_BAD_CONFIG, EXIT_CRASH = 0, 1, 2, 3


def _missing_lines(placeholders: list[SecretSpec], later: list[SecretSpec]) -> list[str]:
    lines = []
    for spec in placeholders:
        lines.append(f"  required  {spec.full_key}  ({spec.title})\n            {spec.set_command()}")
    for spec in later:
        lines.append(f"  later     {spec.full_key}  ({spec.title}, issued after the first deploy)\n"
                     f"            {spec.set_command()}")
    return lines


def _outputs_lines(evaluation: Evaluation) -> list[str]:
    return [f"  {line}" for key, value in sorted(evaluation.stack_outputs.items())
            for line in tree.output_lines(key, value)]


def planned_waiting(loaded: Settings) -> tuple[PlannedObject, ...]:
    """The plan's objects that wait for a secret, from the same settings the program read."""
    available = frozenset(spec for spec in SECRETS if spec.generated or spec in loaded.supplied)
    return make_plan(loaded.cluster, loaded.cluster.authentik_host, available).waiting


def release_lines(built: inventory.Inventory, evaluation: Evaluation) -> list[str]:
    """One line per release: chart, version, objects rendered, checks passed (or why it was not rendered)."""
    results = function.run(built, evaluation)
    lines = []
    for release in built.releases:
        pin = release.pin
        head = f"  {pin.key:<17} {pin.chart} {pin.version}"
        if release.status == "unavailable":
            lines.append(f"{head}: not rendered: {release.detail}; checked against its cited templates")
            continue
        if not release.rendered:
            lines.append(f"{head}: could not render: {release.detail}")
            continue
        marker = f"(release {pin.key})"
        failed = [name for name, problems in results.items() if any(marker in problem for problem in problems)]
        verdict = f"{len(results) - len(failed)}/{len(results)} checks passed"
        if failed:
            verdict += f", failed: {', '.join(failed)}"
        lines.append(f"{head}: {len(release.objects)} objects rendered, {verdict}")
    return lines


def check(stack: str, root: Path = PROJECT_ROOT, show_flow: bool = False, *, process_ends: bool = False) -> int:
    try:
        config = stackconfig.load_stack(stack, root)
    except (FileNotFoundError, ValueError, yaml.YAMLError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    code = run_check(config, stack, process_ends=process_ends)
    if show_flow and code != EXIT_BAD_CONFIG:
        return max(code, print_flow(stack, root))
    return code


def print_flow(stack: str, root: Path = PROJECT_ROOT) -> int:
    """The stack's secrets flow as a Mermaid flowchart (docs/secrets-flow.md holds the prod one)."""
    from verify import flow

    try:
        chart = flow.stack_flow(stack, root).mermaid()
    except (FileNotFoundError, ValueError, yaml.YAMLError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    print(f"\nsecrets flow of stack {stack} (Mermaid):\n{chart}")
    return EXIT_OK


def example_lines(config: stackconfig.StackConfig, stack: str) -> list[str]:
    return [found.render(stack) for found in examples.find(config.values, config.secret_keys)]


def run_check(config: stackconfig.StackConfig, stack: str, *, process_ends: bool = False) -> int:
    """`process_ends`: the process exits after the report (`python -m verify check`), so the evaluation may be set
    aside from the garbage collector while the checks read it (see `long_lived`)."""
    started = time.perf_counter()
    evaluation = evaluate(config.values, config.secret_keys, config.canaries, stack=stack)
    if evaluation.error is not None:
        print(f"error: {evaluation.error}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    if evaluation.crash is not None:
        traceback.print_exception(evaluation.crash)
        return EXIT_CRASH
    if not process_ends:
        return _report(config, stack, evaluation, started)
    with long_lived():
        return _report(config, stack, evaluation, started)


def _report(config: stackconfig.StackConfig, stack: str, evaluation: Evaluation, started: float) -> int:
    print(f"stack {stack}: {len(evaluation.registrations)} resources")
    for line in tree.render(evaluation):
        print(f"  {line}")
    print("\nstack outputs:")
    print("\n".join(_outputs_lines(evaluation)) or "  (none)")

    from components.config import load as config_load
    from components.config.raw import RawConfig

    raw = RawConfig(dict(config.values), frozenset(config.secret_keys))
    loaded, _ = config_load.validate(raw, stack)
    later = missing_later_secrets(loaded) if loaded is not None else []
    missing = _missing_lines(config.placeholders, later)
    print("\noperator secrets not in the stack file (checked here with placeholders):" if missing
          else "\nno operator secret is missing")
    print("\n".join(missing))

    cluster_inventory = None
    if loaded is not None and loaded.cluster.enabled:
        cluster_inventory = inventory.build(evaluation, planned_waiting(loaded))
        print("\nhelm releases (rendered with their pinned charts, checked for function):")
        print("\n".join(release_lines(cluster_inventory, evaluation)))
        if cluster_inventory.items and any(item.source == "waiting" for item in cluster_inventory.items):
            print("\nplanned, waiting for the Infisical machine identity (shape checked, not applied yet):")
            print("\n".join(f"  {item.kind} {item.namespace + '/' if item.namespace else ''}{item.name}"
                             for item in cluster_inventory.items if item.source == "waiting"))

    warnings = example_lines(config, stack)
    if warnings:
        print("\nexample values still in the stack file (the check passes; a real deploy needs your own):")
        print("\n".join(f"  {line}" for line in warnings))

    found = leaks.find_leaks(evaluation)
    problems = checks.run_all(evaluation, cluster_inventory)
    for leak in found:
        print(f"LEAK: {leak.render()}", file=sys.stderr)
    for problem in problems:
        print(f"CHECK FAILED: {problem}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    verdict = "FAILED" if found or problems else "ok"
    print(f"\noffline check {verdict}: {len(evaluation.canaries)} canaries, {len(found)} leaks, "
          f"{len(problems)} failed checks ({elapsed:.2f}s)")
    return EXIT_FAILED_CHECK if found or problems else EXIT_OK


def _stack_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--stack", default="prod", help="stack name (reads Pulumi.<stack>.yaml)")
    command.add_argument("--root", type=Path, default=PROJECT_ROOT,
                         help="folder holding Pulumi.yaml and the stack file (default: this project)")


def parser() -> argparse.ArgumentParser:
    """The command line (the doc tests parse every `python -m verify` line of the docs with it)."""
    top = argparse.ArgumentParser(prog="python -m verify", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="evaluate a stack offline and check it")
    _stack_arguments(check_parser)
    check_parser.add_argument("--flow", action="store_true", help="also print the stack's secrets flow (Mermaid)")
    flow_parser = commands.add_parser("flow", help="print a stack's secrets flow as a Mermaid flowchart")
    _stack_arguments(flow_parser)
    docs_parser = commands.add_parser("docs", help="the generated parts of the docs (tables, secrets flow)")
    docs_parser.add_argument("--write", action="store_true", help="rewrite the stale parts (default: list them)")
    charts_parser = commands.add_parser("charts", help="the local chart cache the offline check renders from")
    charts_parser.add_argument("action", choices=("fetch", "status"),
                               help="fetch: pull every pinned chart from its repository; status: where each is")
    charts_parser.add_argument("--quiet", action="store_true", help="fetch: say nothing about cached charts")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "charts":
        from verify import chart_cache

        return chart_cache.fetch(quiet=args.quiet) if args.action == "fetch" else chart_cache.status()
    if args.command == "flow":
        return print_flow(args.stack, args.root)
    if args.command == "docs":
        from verify import docs

        return docs.run(PROJECT_ROOT, write=args.write)
    return check(args.stack, args.root, show_flow=args.flow, process_ends=True)


if __name__ == "__main__":
    run_and_exit(main)
