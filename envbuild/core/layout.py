"""Where envbuild puts things in an image, and its label namespace. Pure constants, cheap to import
(verify reads them without loading the renderer and Jinja2)."""

VENV = "/opt/venv"
CONDA_PREFIX = "/opt/conda"
USER, UID, HOME = "app", 10001, "/home/app"
LABEL_PREFIX = "dev.envbuild"
