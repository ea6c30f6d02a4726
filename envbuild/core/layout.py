"""Where envbuild puts things, in an image directory and in an image, and its label namespace. Pure
constants, cheap to import (verify reads them without loading the renderer and Jinja2)."""

VENV = "/opt/venv"
CONDA_PREFIX = "/opt/conda"
USER, UID, HOME = "app", 10001, "/home/app"
LABEL_PREFIX = "dev.envbuild"
OCI_PREFIX = "org.opencontainers.image"


class Labels:
    """Every image label envbuild writes (core/image/render.py) and reads (sbom, provenance, lineage, image checks,
    project, reproduce): each key written once, here."""

    INPUTS_DIGEST = f"{LABEL_PREFIX}.inputs-digest"  # what the tag digest covers
    LOCK_SHA256 = f"{LABEL_PREFIX}.lock.sha256"  # the embedded lock's sha256: out of reach of root in a container
    PROJECT = f"{LABEL_PREFIX}.project"  # "NAME VERSION sha256:<the project's wheel>"
    TARGET = f"{LABEL_PREFIX}.target"
    PLATFORM = f"{LABEL_PREFIX}.platform"
    PYTHON = f"{LABEL_PREFIX}.python"
    SPEC_VERSION = f"{LABEL_PREFIX}.spec-version"
    CUDA = f"{LABEL_PREFIX}.cuda"
    CONDA_PREFIX = f"{LABEL_PREFIX}.conda-prefix"
    STAGE = f"{LABEL_PREFIX}.stage"  # on build stages (templates write it too), so that prune finds them
    RUN = f"{LABEL_PREFIX}.run"  # on the containers envbuild run and reproduce start
    SOURCE = f"{OCI_PREFIX}.source"
    REVISION = f"{OCI_PREFIX}.revision"
    CREATED = f"{OCI_PREFIX}.created"
    TITLE = f"{OCI_PREFIX}.title"
    DESCRIPTION = f"{OCI_PREFIX}.description"
    LICENSES = f"{OCI_PREFIX}.licenses"
    VERSION = f"{OCI_PREFIX}.version"
    BASE_NAME = f"{OCI_PREFIX}.base.name"
    BASE_DIGEST = f"{OCI_PREFIX}.base.digest"
LOCKS_DIR = "locks"  # in the image directory: locks/<target>.txt, locks/<target>.conda-lock.yml
EMBEDDED_DIR = "/etc/envbuild"  # in the image: the lock it was built from, the spec, image.json
EMBEDDED_LOCKS = {"requirements": "lock.txt", "conda-lock": "lock.conda-lock.yml"}  # lock format → file name there
