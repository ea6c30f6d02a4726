"""envbuild: lock, build and verify ML environments."""

__version__ = "0.1.0"
