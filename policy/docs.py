"""The README's table of policies, rendered from the rules (a test keeps the README equal to it)."""

from __future__ import annotations

from policy.rules import RULES


def policy_table() -> str:
    rows = ["| Policy | Enforces (mandatory) |", "|---|---|"]
    rows += [f"| `{rule.name}` | {rule.description} |" for rule in RULES]
    return "\n".join(rows)


if __name__ == "__main__":
    print(policy_table())
