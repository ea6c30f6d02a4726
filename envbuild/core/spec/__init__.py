"""envbuild.yaml: its model, the key-path reader, the runtime, layer and reproduce sections, tolerances, its
JSON Schema, init's starter. Pure."""
