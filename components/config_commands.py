"""The project's config namespace and the one function that writes a `pulumi config set` command.

Every fix line, pending step and runtime error that tells the operator to set a key builds its command here:
a plain setting, a secret (`--secret`), one entry of a list or mapping (`--path`), or a value read from a
file (a multi-line secret such as a kubeconfig, whose format rule says so).
"""

from __future__ import annotations

import shlex

PROJECT = "homelab-secrets"
FROM_A_FILE = "< <file>"


def full_key(key: str) -> str:
    return f"{PROJECT}:{key}"


def config_set(key: str, value: str = "", *, secret: bool = False, path: bool = False,
               from_file: bool = False) -> str:
    """`pulumi config set [--secret] [--path] <project>:<key> <value>`, as the operator types it.

    `value` is shell text (an example like `1h`, a placeholder like `'<setup-key>'`); `from_file` reads
    the value from a file on stdin instead. A `--path` key such as `apps[3].name` is quoted for the shell.
    """
    if from_file == bool(value):
        raise ValueError(f"config_set({key!r}): give a value or from_file, exactly one")
    flags = [flag for flag, on in (("--secret", secret), ("--path", path)) if on]
    return " ".join(["pulumi config set", *flags, shlex.quote(full_key(key)), FROM_A_FILE if from_file else value])
