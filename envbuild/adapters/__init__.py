"""Thin adapters around the outside world: files, subprocesses, resolvers, Docker."""
