"""How the file-write rule reads a remote script: which commands write under /etc/bifrost."""

from __future__ import annotations

import pytest

from policy.shell import files_written

BIFROST = "/etc/bifrost"


@pytest.mark.parametrize(("script", "written"), [
    ("umask 077; cat > /etc/bifrost/a.tmp && mv /etc/bifrost/a.tmp /etc/bifrost/a",
     ["/etc/bifrost/a.tmp", "/etc/bifrost/a"]),
    ("echo x >> /etc/bifrost/log", ["/etc/bifrost/log"]),
    ("echo x &> '/etc/bifrost/out'", ["/etc/bifrost/out"]),
    ("echo x 1>| \"/etc/bifrost/clobber\"", ["/etc/bifrost/clobber"]),
    ("echo hi | sudo tee -a /etc/bifrost/log > /dev/null", ["/etc/bifrost/log"]),
    ("sudo -u root mv /tmp/a /etc/bifrost/a", ["/etc/bifrost/a"]),
    ("install -m 0600 /tmp/a /etc/bifrost/a", ["/etc/bifrost/a"]),
    ("cp -t /etc/bifrost /tmp/a /tmp/b", ["/etc/bifrost"]),
    ("mv --target-directory=/etc/bifrost/env a", ["/etc/bifrost/env"]),
    ("dd if=/dev/stdin of=/etc/bifrost/blob status=none", ["/etc/bifrost/blob"]),
    ("bash -c 'echo x > /etc/bifrost/y'", ["/etc/bifrost/y"]),
    ("if [ -s x ]; then cp x /etc/bifrost/; fi", ["/etc/bifrost"]),
    ("cd /etc/bifrost && umask 077 && cat > x.tmp && mv x.tmp x", ["/etc/bifrost/x.tmp", "/etc/bifrost/x"]),
    ("cd /etc/bifrost/env && cd .. && echo > f", ["/etc/bifrost/f"]),
    ("target=/etc/bifrost/.env\ntmp=$(mktemp \"$target.XXXXXX\")\ncat > \"$tmp\"\nmv -f \"$tmp\" \"$target\"",
     ["/etc/bifrost/.env"]),
    ("export DIR=/etc/bifrost; echo > \"${DIR}/marker\"", ["/etc/bifrost/marker"]),
    ("cat <<'EOF' > /etc/bifrost/c\nit's > /etc/bifrost/not-a-command\nEOF\necho done", ["/etc/bifrost/c"]),
    ("echo 'unbalanced > /etc/bifrost", ["/etc/bifrost"]),  # unreadable: fails closed
])
def test_writes(script: str, written: list[str]) -> None:
    assert files_written(script, BIFROST) == written


@pytest.mark.parametrize("script", [
    "install -d -m 0700 /etc/bifrost /etc/bifrost/env",
    "mkdir -p /etc/bifrost && chmod 0700 /etc/bifrost",
    "cp /etc/bifrost/a /tmp/b",
    "cat /etc/bifrost/.env > /dev/null 2>&1",
    "bash /etc/bifrost/bootstrap.sh --stage-timeout 300 2>&1",
    "cd /etc/bifrost && cd /tmp && echo > f",
    "echo x > /etc/bifrost-old/x",
    "mv a b 2>/dev/null",
    "cloud-init status --wait > /dev/null 2>&1 || [ $? -eq 2 ]",
    "f=$(mktemp); cat > \"$f\"",
    "echo '> /etc/bifrost/x is only text'",
])
def test_does_not_write(script: str) -> None:
    assert files_written(script, BIFROST) == []


@pytest.mark.parametrize(("script", "written"), [
    ("python3 -c \"open('/etc/bifrost/env/a.env', 'w').write(x)\"", ["/etc/bifrost/env/a.env"]),
    ("python3.12 -c 'import pathlib; pathlib.Path(\"/etc/bifrost/x\").write_text(\"v\")'", ["/etc/bifrost/x"]),
    ("python -c \"import os; os.chdir('/etc/bifrost'); open('x', 'w')\"", ["/etc/bifrost"]),
    ("cd /etc/bifrost && python3 -c \"open('x', 'w').write('v')\"", ["/etc/bifrost"]),
    ("target=/etc/bifrost/.env; python3 -c \"open('$target', 'w')\"", ["/etc/bifrost/.env"]),
    ("perl -e 'open(my $f, \">\", \"/etc/bifrost/p\")'", ["/etc/bifrost/p"]),
    ("perl -E 'say 1' > /tmp/x; perl -pi -e 's/a/b/' /etc/bifrost/q", ["/etc/bifrost/q"]),
    ("ruby -e 'File.write(\"/etc/bifrost/r\", STDIN.read)'", ["/etc/bifrost/r"]),
    ("node -e \"require('fs').writeFileSync('/etc/bifrost/n', 'v')\"", ["/etc/bifrost/n"]),
    ("php -r 'file_put_contents(\"/etc/bifrost/php\", \"v\");'", ["/etc/bifrost/php"]),
    ("awk '{ print > \"/etc/bifrost/awk\" }' /tmp/in", ["/etc/bifrost/awk"]),
    ("sed -i 's/a/b/' /etc/bifrost/env/a.env", ["/etc/bifrost/env/a.env"]),
    ("python3 - <<'EOF'\nopen('/etc/bifrost/h', 'w').write('v')\nEOF", ["/etc/bifrost/h"]),
    ("cat <<EOF > /tmp/x\nnot /etc/bifrost/a\nEOF\npython3 <<PY\nopen('/etc/bifrost/b','w')\nPY",
     ["/etc/bifrost/b"]),
])
def test_writes_through_an_interpreter(script: str, written: list[str]) -> None:
    assert files_written(script, BIFROST) == written


@pytest.mark.parametrize("script", [
    "python3 -c \"print(open('/etc/passwd').read())\"",
    "python3 /opt/tool.py /etc/bifrost-old",
    "perl -e 'print 1'",
    "awk '{ print $1 }' /tmp/in",
    "sed 's/a/b/' /etc/bifrost/env/a.env",
    "cat <<'EOF'\nopen('/etc/bifrost/x', 'w')\nEOF",
])
def test_interpreters_that_do_not_touch_the_directory(script: str) -> None:
    assert files_written(script, BIFROST) == []
