"""The pure core: no subprocess, socket, Docker, clock or environment variable in here."""
