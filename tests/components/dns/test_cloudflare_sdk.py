"""The untyped Cloudflare registrations equal what the typed pulumi-cloudflare SDK registers.

The program avoids `import pulumi_cloudflare` (about 7 s and 380 MB); this test imports it in a child process,
so the rest of the suite does not carry it (its requests are remembered in the check cache under a digest of every
source and SDK version they follow from), and proves the engine would receive the same requests: type
token, properties, secret markers, options and the zone lookup's arguments.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pulumi

from components.dns import cloudflare
from components.secret_output import secret
from tests.components.dns.helpers import ZONE, zone_lookups
from verify import PROJECT_ROOT, cache_files
from verify.evaluate import Evaluation, evaluate

TOKEN = "canary-" + "c" * 40
SKIPPED_OPTIONS = {"stackTrace", "sourcePosition"}  # where in the code each registration was made


def _untyped() -> None:
    provider = cloudflare.Provider("cloudflare", api_token=secret(TOKEN))
    zone = cloudflare.zone_id(ZONE, provider, provider)
    cloudflare.DnsRecord("record", zone_id=zone, record_name="auth.test.example.com", record_type="A",
                         content="203.0.113.10", proxied=False, comment="c",
                         opts=pulumi.ResourceOptions(provider=provider))


def _typed() -> None:
    import pulumi_cloudflare as cf

    provider = cf.Provider("cloudflare", api_token=secret(TOKEN))
    zone = cf.get_zone_output(filter=cf.GetZoneFilterArgs(match="all", name=ZONE),
                              opts=pulumi.InvokeOutputOptions(provider=provider, parent=provider))
    cf.DnsRecord("record", zone_id=zone.id, name="auth.test.example.com", type="A", content="203.0.113.10",
                 proxied=False, ttl=cloudflare.TTL_AUTOMATIC, comment="c",
                 opts=pulumi.ResourceOptions(provider=provider))


def _evaluate(program: Any) -> tuple[Evaluation, list[Any]]:
    with zone_lookups() as lookups:
        evaluation = evaluate({}, set(), [], program=program)
    assert evaluation.crash is None and evaluation.error is None, evaluation.crash or evaluation.error
    return evaluation, lookups.calls


def _request(evaluation: Evaluation) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    return [(r.type, r.name, r.inputs, {k: v for k, v in r.options.items() if k not in SKIPPED_OPTIONS})
            for r in evaluation.registrations]


def requests(program: Any) -> dict[str, Any]:
    evaluation, calls = _evaluate(program)
    return {"registrations": _request(evaluation),
            "calls": [(c.token, c.args, c.provider) for c in calls]}


_CHILD = (
    "import json, sys, warnings\n"
    "warnings.simplefilter('ignore')\n"
    "from tests.components.dns.test_cloudflare_sdk import _typed, requests\n"
    "json.dump(requests(_typed), sys.stdout, sort_keys=True)\n"
)


# Everything the typed side's requests follow from: the SDKs, this program and the harness that records it.
TYPED_SOURCES = ("components", "verify", "tests/components/dns", "tests/conftest.py")
TYPED_PACKAGES = ("pulumi", "pulumi-cloudflare", "protobuf")


def _typed_key() -> str:
    digest = hashlib.sha256(sys.version.encode())
    for package in TYPED_PACKAGES:
        digest.update(f"\0{package}={metadata.version(package)}".encode())
    for source in TYPED_SOURCES:
        root = PROJECT_ROOT / source
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            digest.update(f"\0{path.relative_to(PROJECT_ROOT)}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def typed_requests(cache: Path = cache_files.CHECK_CACHE / "typed-sdk") -> Any:
    """The typed SDK's requests, from a child process (importing pulumi_cloudflare takes about 7 s and 380 MB),
    remembered under a digest of every source and SDK version they follow from: any change runs the child again."""
    stored = cache / f"cloudflare-{_typed_key()}.json"
    try:
        return json.loads(stored.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    child = subprocess.run([sys.executable, "-c", _CHILD], cwd=PROJECT_ROOT, capture_output=True, text=True,
                           check=False, timeout=300)
    assert child.returncode == 0, child.stderr[-2000:]
    typed = json.loads(child.stdout)
    cache_files.write_replacing(stored, child.stdout, "cloudflare-*.json")  # else the child runs again next time
    return typed


def test_provider_record_and_lookup_register_as_the_typed_sdk_does() -> None:
    typed = typed_requests()
    untyped = json.loads(json.dumps(requests(_untyped), sort_keys=True))
    assert untyped == typed
    assert len(untyped["registrations"]) == 2 and len(untyped["calls"]) == 1
    assert "pulumi_cloudflare" not in sys.modules, "the program's path never imports the typed SDK"


def test_the_comparison_sees_a_difference() -> None:
    def different() -> None:
        provider = cloudflare.Provider("cloudflare", api_token=secret(TOKEN))
        zone = cloudflare.zone_id(ZONE, provider, provider)
        cloudflare.DnsRecord("record", zone_id=zone, record_name="auth.test.example.com", record_type="A",
                             content="203.0.113.10", proxied=True, comment="c",
                             opts=pulumi.ResourceOptions(provider=provider))

    assert requests(different) != requests(_untyped)
