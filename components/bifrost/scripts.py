"""Shell scripts the remote commands run. They carry no secret: secrets arrive on stdin only."""

from __future__ import annotations

import shlex

from components.bifrost.cloud_init import BIFROST_DIR, HARDENING_PATH
from components.config_commands import config_set, full_key
from components.secrets_registry import NETBIRD_STORE_KEY

EXIT_KEY_CHANGE_REFUSED = 3

_STORE_KEY_GUARD = """\
if [ -s "$target" ]; then
  old_key=$(grep -m1 -E '^[[:space:]]+encryptionKey:' "$target" || true)
  new_key=$(grep -m1 -E '^[[:space:]]+encryptionKey:' "$tmp" || true)
  if [ -n "$old_key" ] && [ "$old_key" != "$new_key" ]; then
    echo "refusing to replace the NetBird store encryption key in $target: NetBird's database is encrypted \
with the current key and every peer would be lost. Keep the key ({keep}), or set {allow} true to replace it \
on purpose." >&2
    exit {code}
  fi
fi
"""


def write_file(relative_path: str, guard_store_key: bool = False, allow_key_change: bool = False,
               base_dir: str = BIFROST_DIR) -> str:
    """Writes stdin to a 0600 root file atomically (temp file, then mv); prints nothing."""
    target = f"{base_dir}/{relative_path}"
    guard = ""
    if guard_store_key and not allow_key_change:
        keep = config_set(NETBIRD_STORE_KEY.config_key, "'<current NB_DATA_STORE_KEY>'", secret=True)
        guard = (_STORE_KEY_GUARD.replace("{code}", str(EXIT_KEY_CHANGE_REFUSED)).replace("{keep}", keep)
                 .replace("{allow}", full_key("allowDataKeyChange")))
    return (
        "set -eu\n"
        "umask 077\n"
        f"target={shlex.quote(target)}\n"
        f"install -d -m 0700 {shlex.quote(base_dir)} \"$(dirname \"$target\")\"\n"
        "tmp=$(mktemp \"$target.XXXXXX\")\n"
        "trap 'rm -f \"$tmp\"' EXIT\n"
        "cat > \"$tmp\"\n"
        "chmod 0600 \"$tmp\"\n"
        "if [ \"$(id -u)\" = 0 ]; then chown 0:0 \"$tmp\"; fi\n"
        f"{guard}"
        "mv -f \"$tmp\" \"$target\"\n"
        "trap - EXIT\n"
    )


EXIT_CLOUD_INIT_FAILED = 3
EXIT_CLOUD_INIT_INCOMPLETE = 4


def wait_for_cloud_init(base_dir: str = BIFROST_DIR, hardening_path: str = HARDENING_PATH) -> str:
    """Waits for cloud-init, then checks what it had to do, whatever it reported.

    `cloud-init status --wait` exits 0 when done, 2 when done with recoverable errors (deprecations,
    warnings), 1 on an unrecoverable error. 1 fails here with the next step; 2 is reported and goes on
    only when the checks below pass: hardened sshd, docker running with compose, /etc/bifrost private.
    The host key needs no check: this command's connection pins it. Prints fixed messages only.
    """
    return (
        "set -eu\n"
        "rc=0\n"
        "cloud-init status --wait > /dev/null 2>&1 || rc=$?\n"
        'case "$rc" in\n'
        "  0) ;;\n"
        '  2) echo "warning: cloud-init finished with recoverable errors; on the VPS: '
        'cloud-init status --long" >&2 ;;\n'
        '  *) echo "cloud-init failed (exit $rc): on the VPS read cloud-init status --long and '
        '/var/log/cloud-init-output.log, fix the cause, then replace the server '
        '(docs/runbook.md: Replacing the server on purpose)" >&2\n'
        f"     exit {EXIT_CLOUD_INIT_FAILED} ;;\n"
        "esac\n"
        "incomplete() {\n"
        '  echo "cloud-init did not finish its work: $1" >&2\n'
        f"  exit {EXIT_CLOUD_INIT_INCOMPLETE}\n"
        "}\n"
        f"[ -f {shlex.quote(hardening_path)} ] || incomplete \"{hardening_path} is missing\"\n"
        "sshd -T 2>/dev/null | grep -qx 'passwordauthentication no' "
        "|| incomplete \"sshd still allows passwords (sshd -T)\"\n"
        "systemctl is-active --quiet docker.service || incomplete \"docker.service is not running\"\n"
        "docker compose version > /dev/null 2>&1 || incomplete \"docker compose is missing (docker-compose-v2)\"\n"
        f"install -d -m 0700 {shlex.quote(base_dir)}\n"
    )


def make_directories(relative_dirs: list[str]) -> str:
    paths = " ".join(shlex.quote(f"{BIFROST_DIR}/{d}") for d in relative_dirs)
    return f"set -eu\ninstall -d -m 0700 {BIFROST_DIR} {paths}\n"


def run_bootstrap(stage_timeout: int) -> str:
    return f"bash {BIFROST_DIR}/bootstrap.sh --stage-timeout {int(stage_timeout)}"
