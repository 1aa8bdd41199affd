"""The composition: read every area once, cross-check them, and return settings or every problem at once.

This module sits above the cluster's pure records (`components.cluster.charts`, `components.cluster.plan`):
the namespaces and Secrets the program owns are derived from them, so that no catalog entry takes one over.
The cluster package imports only the model, never this module (a test keeps it so).
"""

from __future__ import annotations

import dataclasses
import difflib

from components.cluster import charts, plan
from components.config import schema
from components.config.apps import Owned
from components.config.bifrost import read_bifrost
from components.config.cluster import read_cluster, read_installs
from components.config.dns import read_dns
from components.config.identity import read_identity
from components.config.model import Settings
from components.config.problems import ConfigError, Problem, remove_command
from components.config.raw import RawConfig
from components.config.reader import Reader
from components.config.secrets import read_secrets
from components.config.shared import read_areas, read_shared
from components.config_commands import full_key
from components.secrets_registry import PROJECT, SECRETS


def owned_by_the_program() -> Owned:
    """The namespaces the charts install into and the bootstrap Secrets, from their records."""
    bootstrap = list(plan.BOOTSTRAP_SECRETS)
    return Owned(
        namespaces=frozenset(pin.namespace for pin in charts.ALL) | frozenset(s.namespace for s in bootstrap),
        secrets=frozenset((s.namespace, s.name) for s in bootstrap if not s.versioned),
        secret_prefixes=frozenset((s.namespace, s.name) for s in bootstrap if s.versioned),
    )


def validate(raw: RawConfig, stack: str) -> tuple[Settings | None, list[Problem]]:
    """Read and check the whole config; return settings only when there is no problem at all."""
    r = Reader(raw, stack)
    check_keys(r)
    switches = read_areas(r)
    installs = read_installs(r) if switches.cluster else None
    areas = dataclasses.replace(switches, cert_manager=bool(installs and installs.cert_manager),
                                infisical=bool(installs and installs.infisical))
    shared = read_shared(r, areas)
    bifrost = read_bifrost(r, areas.bifrost, shared)
    cluster = read_cluster(r, installs, shared, owned_by_the_program())
    identity = read_identity(r, shared)
    generations = {spec: r.integer(spec.generation_key) for spec in SECRETS if spec.generated}
    cluster = dataclasses.replace(cluster, argocd_admin_group=identity.argocd_admin_group,
                                  grafana_oauth=bool(identity.grafana_host), generations=generations)
    secret_values = read_secrets(r, areas.bifrost, areas.cluster)
    names = {"authentikHost": shared.authentik_host, "netbirdHost": bifrost.netbird_host,
             "infisicalHost": cluster.infisical_host, "argocdHost": shared.argocd_host,
             "grafanaHost": identity.grafana_host}
    dns = read_dns(r, names, areas.bifrost, areas.cluster)
    settings = Settings(
        stack=stack,
        bifrost=bifrost,
        cluster=cluster,
        identity=identity,
        dns=dns,
        allow_data_key_change=r.boolean("allowDataKeyChange"),
        generations=generations,
        secret_values=secret_values,
    )
    return (None, r.problems) if r.problems else (settings, [])


def load(raw: RawConfig, stack: str) -> Settings:
    settings, problems = validate(raw, stack)
    if settings is None:
        raise ConfigError(problems)
    return settings


def check_keys(r: Reader) -> None:
    """Every key of the project namespace is one the program reads; none of its keys sits in another namespace.

    Only the keys are looked at, never the values.
    """
    known = schema.known_keys()
    ordered = sorted(known)
    for key in r.raw.project_keys():
        if key in known:
            continue
        close = difflib.get_close_matches(key, ordered, n=1, cutoff=0.6)
        if close:
            r.misplaced.add(close[0])  # a required key set under this typo is reported once, here
            r.problem(key, f"is not a setting of this program: did you mean {close[0]}?",
                      f"rename it to {full_key(close[0])} in {r.stack_file}")
        else:
            r.problem(key, "is not a setting of this program", remove_command(key))
    for key in r.raw.foreign_keys():
        namespace, colon, name = key.rpartition(":")
        if not colon:
            r.problems.append(Problem(key, "has no namespace: the Pulumi CLI reads only <namespace>:<name> keys",
                                      f"write it as {full_key(key)} in {r.stack_file}" if key in known
                                      else f"remove it from {r.stack_file}"))
            r.misplaced.add(key)
        elif name in known or difflib.SequenceMatcher(None, namespace, PROJECT).ratio() >= 0.8:
            r.misplaced.add(name)
            target = full_key(name) if name in known else f"{PROJECT}:<key>"
            r.problems.append(Problem(key, f"is under namespace {namespace}, which this program does not read "
                                      f"(its settings are {PROJECT}:<key>)",
                                      f"write it as {target} in {r.stack_file}"))
