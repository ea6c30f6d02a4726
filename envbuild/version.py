"""The version of envbuild (one place: the package, the CLI, the SBOM and provenance documents read it)."""

__version__ = "0.1.0"
