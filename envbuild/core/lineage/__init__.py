"""What a training run records and what is derived from it: the record, SBOMs, provenance, DVC data,
hardware, a reproduction. Pure."""
