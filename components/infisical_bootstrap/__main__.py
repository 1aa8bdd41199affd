"""Entry point of the Job: `python -m infisical_bootstrap` (stdlib only).

Reads its settings (JSON, nothing secret) from INFISICAL_BOOTSTRAP_SETTINGS and the admin password from
INFISICAL_ADMIN_PASSWORD (a secretKeyRef), each seed's value from its file in INFISICAL_BOOTSTRAP_SEED_DIR (a
mounted Secret), talks to Infisical through its in-cluster Service and to the
Kubernetes API with the pod's service account. Everything it prints passes through the redactor.

Exit codes:
  0  provisioned (or nothing to change)
  1  a state the Job cannot resolve by itself, or an API error: the line printed names the object and the fix
  2  the Job's settings are missing or invalid
  3  Infisical or the Kubernetes API stayed unreachable through every retry
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from . import api
from .kube import KubeClient, KubeError
from .logs import Log
from .provision import ADMIN_PASSWORD_ENV, RERUN, SEED_DIR_ENV, SETTINGS_ENV, ProvisionError, Settings, provision
from .transport import Unreachable

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_SETTINGS = 2
EXIT_UNREACHABLE = 3


def _stderr(line: str) -> None:
    print(f"infisical-bootstrap: {line}", file=sys.stderr, flush=True)


def run(environ: Mapping[str, str], log: Log, kube_factory: Callable[[Log], KubeClient]) -> int:
    try:
        settings = Settings.from_json(environ[SETTINGS_ENV])
    except (KeyError, ValueError, TypeError) as error:
        log(f"{SETTINGS_ENV} is missing or invalid ({type(error).__name__}): re-render the Job from the program")
        return EXIT_BAD_SETTINGS
    seed_dir = environ.get(SEED_DIR_ENV, "")

    def read_seed(name: str) -> str:
        try:
            return (Path(seed_dir) / name).read_text()
        except OSError as error:  # the file's name only: never what it holds
            reason = error.strerror or type(error).__name__
            raise ProvisionError(f"seed file {name} cannot be read from {seed_dir} ({reason}): the mounted seed "
                                 f"Secret lacks that key; {RERUN}, whose `pulumi up --refresh` writes it "
                                 "again") from None

    try:
        kube = kube_factory(log)
        client = api.InfisicalClient(settings.api_url, log)
        outcome = provision(settings, kube, client, log, lambda: environ.get(ADMIN_PASSWORD_ENV, ""),
                            read_seed if seed_dir else None)
    except Unreachable as error:
        log(f"{error}: is Infisical running and its Service ready?")
        return EXIT_UNREACHABLE
    except (ProvisionError, api.ApiError, KubeError) as error:
        log(f"failed: {error}")
        return EXIT_FAILED
    log(outcome.summary())
    return EXIT_OK


def main() -> int:
    log = Log(_stderr)
    return run(os.environ, log, KubeClient.in_cluster)


if __name__ == "__main__":
    sys.exit(main())
