"""Shell scripts the remote commands run. They carry no secret: secrets arrive on stdin only."""

from __future__ import annotations

import shlex

from components.bifrost.cloud_init import BIFROST_DIR

EXIT_KEY_CHANGE_REFUSED = 3

_STORE_KEY_GUARD = """\
if [ -s "$target" ]; then
  old_key=$(grep -m1 -E '^[[:space:]]+encryptionKey:' "$target" || true)
  new_key=$(grep -m1 -E '^[[:space:]]+encryptionKey:' "$tmp" || true)
  if [ -n "$old_key" ] && [ "$old_key" != "$new_key" ]; then
    echo "refusing to replace the NetBird store encryption key in $target: NetBird's database is encrypted \
with the current key and every peer would be lost. Keep the key (pulumi config set --secret \
homelab-secrets:netbirdStoreKey '<current NB_DATA_STORE_KEY>'), or set homelab-secrets:allowDataKeyChange \
true to replace it on purpose." >&2
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
        guard = _STORE_KEY_GUARD.replace("{code}", str(EXIT_KEY_CHANGE_REFUSED))
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


def wait_for_cloud_init() -> str:
    # Exit 2 means cloud-init finished with recoverable warnings; the docker check below still has to pass.
    return (
        "set -eu\n"
        "cloud-init status --wait > /dev/null 2>&1 || [ $? -eq 2 ]\n"
        f"install -d -m 0700 {BIFROST_DIR}\n"
        "docker compose version > /dev/null\n"
    )


def make_directories(relative_dirs: list[str]) -> str:
    paths = " ".join(shlex.quote(f"{BIFROST_DIR}/{d}") for d in relative_dirs)
    return f"set -eu\ninstall -d -m 0700 {BIFROST_DIR} {paths}\n"


def run_bootstrap(stage_timeout: int) -> str:
    return f"bash {BIFROST_DIR}/bootstrap.sh --stage-timeout {int(stage_timeout)}"
