"""An environment against what it should be: the snapshot's shape, lock × snapshot findings (pip, conda), files' owners, the engine's side, CUDA, severities. Pure."""
