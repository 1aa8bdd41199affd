"""Entry point of the policy pack: `pulumi preview --policy-pack policy` runs this file.

The analyzer runs it with `runpy.run_path(<this folder>)`, which puts this folder (not the project) on
sys.path; the project folder is appended so the pack's modules import as the `policy` package, the same
way the tests import them, without shadowing anything installed in the pack's virtualenv.
"""

import sys
from pathlib import Path

PROJECT_ROOT = str(Path(__file__).resolve().parent.parent)
if PROJECT_ROOT not in sys.path:
    sys.path.append(PROJECT_ROOT)

from pulumi_policy import EnforcementLevel, Policy, PolicyPack  # noqa: E402 - after the sys.path fix

from policy.pack import PACK_DESCRIPTION, PACK_NAME, build_policies  # noqa: E402

policies: list[Policy] = [*build_policies()]

PolicyPack(
    name=PACK_NAME,
    policies=policies,
    enforcement_level=EnforcementLevel.MANDATORY,
    description=PACK_DESCRIPTION,
)
