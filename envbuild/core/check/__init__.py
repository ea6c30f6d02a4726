"""An environment against what it should be: lock × snapshot findings (pip, conda), files' owners, the
engine's side, CUDA, severities. Pure."""
