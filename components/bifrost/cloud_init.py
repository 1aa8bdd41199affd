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
            {"path": "/etc/ssh/sshd_config.d/50-bifrost.conf", "permissions": "0644", "owner": "root:root",
             "content": SSHD_HARDENING},
        ],
        "runcmd": [
            ["install", "-d", "-m", "0700", "-o", "root", "-g", "root", BIFROST_DIR],
            ["systemctl", "enable", "--now", "docker.service"],
            ["systemctl", "reload", "ssh.service"],
        ],
    }
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False, width=1000)
