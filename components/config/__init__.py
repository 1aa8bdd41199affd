"""The config model: stack config in, immutable validated settings and opaque secret handles out.

Pure: nothing here creates a resource. `load.validate` reads the raw config (what the Pulumi CLI hands the
program) once, and returns every problem at once; the modules below it each hold one concern:
`raw` (the config as passed, and its reading rule), `schema` (each setting once, with its single default),
`fields` (pure validators), `reader` (typed reads that record problems), `problems` (problems and fix lines),
`model` (the typed settings), the area readers (`bifrost`, `cluster`, `apps`, `identity`, `dns`, `shared`),
`secrets` (secret checks and handles) and `load` (the composition with its cross-checks).
"""
