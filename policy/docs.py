"""The table of policies in docs/reference.md ("Policy pack"), rendered from the rules.

`python -m verify docs --write` writes it into the page; `python -m verify docs` fails when the page differs.
"""

from __future__ import annotations

from policy.rules import RULES


def policy_table() -> str:
    rows = ["| Policy | Enforces (mandatory) |", "|---|---|"]
    rows += [f"| `{rule.name}` | {rule.description} |" for rule in RULES]
    return "\n".join(rows)


if __name__ == "__main__":
    print(policy_table())
