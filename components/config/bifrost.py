"""The Bifrost VPS settings: Hetzner server, SSH access, public hosts, replacement mode."""

from __future__ import annotations

from components.config import fields
from components.config.model import BifrostSettings
from components.config.problems import path_command, quote_plain, set_command
from components.config.reader import Reader
from components.config.schema import LOCATIONS
from components.config.shared import Shared

SERVER_REPLACEMENT_MODES = ("off", "unprotect", "replace")
RETIRED_SERVER_TYPES = frozenset(
    {"cx11", "cx21", "cx22", "cx31", "cx32", "cx41", "cx42", "cx51", "cx52",
     "cpx11", "cpx21", "cpx31", "cpx41", "cpx51"})
RANGE_EXAMPLE = "203.0.113.7/32"


def read_bifrost(r: Reader, enabled: bool, shared: Shared) -> BifrostSettings:
    if not enabled:
        return BifrostSettings(enabled=False)
    server_name = r.text("serverName", "bifrost")
    if not fields.is_dns_label(server_name):
        r.problem("serverName", f"must be a lowercase DNS label ({quote_plain(server_name)})",
                  set_command("serverName", "bifrost"))
    location = r.choice("location", LOCATIONS)
    server_type = r.text("serverType", "cx23")
    if server_type in RETIRED_SERVER_TYPES:
        r.problem("serverType", f"{server_type} is no longer offered by Hetzner", set_command("serverType", "cx23"))
    elif not fields.SERVER_TYPE.fullmatch(server_type):
        r.problem("serverType", f"is not a Hetzner server type ({quote_plain(server_type)})",
                  set_command("serverType", "cx23"))
    image = r.text("image", "ubuntu-24.04")
    public_key = r.raw_text("sshPublicKey").strip()
    if public_key and not fields.SSH_ED25519_PUBLIC.fullmatch(public_key):
        r.problem("sshPublicKey", "must be one OpenSSH ed25519 public key line (ssh-ed25519 AAAA...)",
                  set_command("sshPublicKey", '"$(cat ~/.ssh/id_ed25519.pub)"'))
    netbird_host = r.domain("netbirdHost", "netbird.example.com")
    if shared.authentik_host and shared.authentik_host == netbird_host:
        r.problem("netbirdHost", "must differ from authentikHost", set_command("netbirdHost", "netbird.example.com"))
    return BifrostSettings(
        enabled=True,
        server_name=server_name,
        location=location,
        server_type=server_type,
        image=image,
        ssh_source_ranges=_ssh_source_ranges(r),
        ssh_public_key=public_key,
        authentik_host=shared.authentik_host,
        netbird_host=netbird_host,
        acme_email=shared.acme_email,
        admin_email=shared.admin_email,
        server_replacement=r.choice("serverReplacement", SERVER_REPLACEMENT_MODES),
        stage_timeout=r.integer("bootstrapStageTimeout", minimum=10, maximum=3600),
    )


def _ssh_source_ranges(r: Reader) -> tuple[str, ...]:
    """At least one CIDR network: a firewall rule without a source admits nobody, Pulumi's SSH included."""
    ranges = r.string_list("sshSourceRanges", RANGE_EXAMPLE, non_empty=True)
    for index, cidr in enumerate(ranges):
        if fields.network(cidr) is None:
            reason = "an IPv6 zone id (%...) has no meaning in a firewall rule" if "%" in cidr else \
                "host bits must be zero, e.g. 203.0.113.7/32 or 2001:db8::/48"
            r.problem("sshSourceRanges", f"entry {index} is not a CIDR network ({quote_plain(cidr)}): {reason}",
                      path_command(f"sshSourceRanges[{index}]", RANGE_EXAMPLE))
    return ranges
