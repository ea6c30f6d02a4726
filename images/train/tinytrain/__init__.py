"""tinytrain: the training example envbuild builds, runs and verifies (make demo)."""
