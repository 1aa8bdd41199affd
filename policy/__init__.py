"""CrossGuard policy pack for homelab-secrets: `pulumi preview --policy-pack policy`.

The rules are plain functions over the engine's view of a resource (type token, camelCase inputs,
secrets unwrapped) in `policy.rules`; `policy.pack` adapts them to `pulumi_policy` policies and
`policy/__main__.py` serves them to the engine.
"""
