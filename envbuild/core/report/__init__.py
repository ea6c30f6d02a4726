"""Findings and reproductions shown: table, JSON, JUnit, Markdown; the exit code. Pure."""
