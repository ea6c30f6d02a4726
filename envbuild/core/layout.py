"""Where envbuild puts things, in an image directory and in an image, and its label namespace. Pure
constants, cheap to import (verify reads them without loading the renderer and Jinja2)."""

VENV = "/opt/venv"
CONDA_PREFIX = "/opt/conda"
USER, UID, HOME = "app", 10001, "/home/app"
LABEL_PREFIX = "dev.envbuild"
LOCKS_DIR = "locks"  # in the image directory: locks/<target>.txt, locks/<target>.conda-lock.yml
EMBEDDED_DIR = "/etc/envbuild"  # in the image: the lock it was built from, the spec, image.json
EMBEDDED_LOCKS = {"requirements": "lock.txt", "conda-lock": "lock.conda-lock.yml"}  # lock format → file name there
PROBE_LOCK_KEYS = {"requirements": "lock", "conda-lock": "conda_lock"}  # lock format → the probe's key (probe/system.py)
