"""cloud-init user-data for the Bifrost server.

It depends on the SSH host key alone, so catalog, secret and service changes never touch it: Hetzner
replaces a server whose user_data changes.
"""

from __future__ import annotations

import yaml

BIFROST_DIR = "/etc/bifrost"
SSHD_HARDENING = (
    "PasswordAuthentication no\n"
    "KbdInteractiveAuthentication no\n"
    "PermitRootLogin prohibit-password\n"
    "PermitUserEnvironment no\n"
    "AcceptEnv LANG\n"
)
HARDENING_PATH = "/etc/ssh/sshd_config.d/50-bifrost.conf"

# Makes sshd serve the installed host key and the hardening above, whether ssh is socket-activated or not.
# Ubuntu 24.04 (openssh-server 1:9.6p1-3ubuntu13) enables ssh.socket and leaves ssh.service disabled: the
# service starts on the first connection, so at runcmd time it may be inactive, and `systemctl reload
# ssh.service` then fails ("ssh.service is not active, cannot reload"), which fails cloud-init.
# try-reload-or-restart reloads a running sshd and does nothing to an inactive one (its first connection
# reads the new files). The package's sshd-socket-generator copies only Port and ListenAddress from
# sshd_config into ssh.socket, and the hardening sets neither, so the socket needs no daemon-reload. A
# connection that came before the host key was written can have failed ssh.service often enough to stop
# the socket (systemd's trigger limit): reset and start it. `sshd -t` first: a bad key or config stops
# here, visibly, instead of locking sshd out.
SSH_RELOAD = """\
set -eu
sshd -t
if systemctl is-enabled --quiet ssh.socket 2>/dev/null; then
  systemctl reset-failed ssh.socket ssh.service 2>/dev/null || true
  systemctl is-active --quiet ssh.socket || systemctl start ssh.socket
  systemctl try-reload-or-restart ssh.service
else
  systemctl reload-or-restart ssh.service
fi
"""


def render_user_data(host_private_key: str, host_public_key: str) -> str:
    document = {
        "package_update": True,
        "package_upgrade": False,
        # Docker from the Ubuntu archive; never mixed with docker-compose-plugin from Docker's repository.
        "packages": ["docker.io", "docker-compose-v2"],
        "ssh_pwauth": False,
        "disable_root": False,
        "ssh_deletekeys": True,
        "ssh_genkeytypes": ["ed25519"],  # the provided key exists, so nothing is generated
        "ssh_keys": {
            "ed25519_private": host_private_key.strip() + "\n",
            "ed25519_public": host_public_key.strip(),
        },
        "write_files": [
            {"path": HARDENING_PATH, "permissions": "0644", "owner": "root:root", "content": SSHD_HARDENING},
        ],
        "runcmd": [
            ["install", "-d", "-m", "0700", "-o", "root", "-g", "root", BIFROST_DIR],
            ["systemctl", "enable", "--now", "docker.service"],
            ["sh", "-c", SSH_RELOAD],
        ],
    }
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False, width=1000)
