"""The probe's entry point: collect everything into one JSON object, bounded by a deadline. Standard library only; Python >= 3.8."""

import json
import os
import sys

from .common import PROBE_VERSION
from .dists import distributions, pth_owners
from .facts import own_facts
from .hashing import Tally, active_records, check_files, check_presence, total_size
from .manifest import Walk
from .paths import customize, interpreter, os_release, search_path, shadowing
from .system import conda_packages, conda_prefix, cpu, determinism_env, embedded, gpu


def collect(files=False, root=None, conda=None, facts=None, tally=None):
    """``facts``: the interpreter described (facts.own_facts() of another one); default this one.
    ``tally``: counts the files hashed (hashing.Tally), for progress on stderr."""
    facts = facts or own_facts()
    root = root or os.environ.get("ENVBUILD_PROBE_ROOT") or "/"
    problems = []
    path, sites, pth = search_path(problems, facts)
    dists = distributions(problems, path)
    pth_owners(pth, dists)
    manifest, hashed, stale = None, {}, []
    if files:
        walk = Walk(sites, tally=tally, pycs=True)  # hashing on every core from here
        rows = active_records(dists, problems)
        if tally is not None:
            tally.expect(sum(len(entries) for entries in rows.values()), total_size(rows))  # what RECORD says
        manifest, hashed, stale = walk.result(problems)
        check_files(dists, rows, known=hashed, tally=tally)
    else:
        check_presence(dists, problems)
    found = embedded(root)
    snapshot = {
        "schema": 1,
        "probe": PROBE_VERSION,
        "interpreter": interpreter(facts),
        "os": os_release(root),
        "path": path,
        "site_dirs": sites,
        "pth": pth,
        "shadowing": shadowing(path, facts),
        "customize": customize(path),
        "distributions": dists,
        "gpu": gpu(root, dists),
        "cpu": cpu(root),
        "files_checked": bool(files),
        "problems": problems,
    }
    if files:
        snapshot["site_files"] = manifest
        snapshot["stale_pyc"] = stale
    if found:
        snapshot["envbuild"] = found
    snapshot["environment"] = determinism_env(found.get("image"))
    prefix = conda_prefix(conda, found.get("image"), facts)
    if prefix:
        snapshot["conda"] = {"prefix": prefix, "packages": conda_packages(prefix, problems, files, tally=tally)
                             if os.path.isdir(os.path.join(prefix, "conda-meta")) else None}
    return snapshot


def _deadline(argv):
    """--deadline=SECONDS: end this process then, whatever it is doing (SIGALRM's default action).
    envbuild's side stops waiting too, but killing `docker exec` or `ssh` there leaves this process
    running here."""
    import signal

    value = next((a.split("=", 1)[1] for a in argv if a.startswith("--deadline=")), None)
    if value and value.isdigit() and hasattr(signal, "alarm"):
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(int(value))


def _seconds(value):
    """--progress=SECONDS: how often to tell what was hashed (None: never)."""
    try:
        return max(0.05, float(value)) if value else None
    except ValueError:
        return None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    _deadline(argv)
    if "--facts" in argv:  # only what describes the interpreter (cached by envbuild: adapters/interpreters.py)
        sys.stdout.write(json.dumps(own_facts(), sort_keys=True) + "\n")
        sys.stdout.flush()
        return
    conda = next((a.split("=", 1)[1] for a in argv if a.startswith("--conda-prefix=")), None)
    every = _seconds(next((a.split("=", 1)[1] for a in argv if a.startswith("--progress=")), None))
    tally = Tally(sys.stderr, every) if every else None
    answer = json.dumps(collect(files="--files" in argv, conda=conda, tally=tally), sort_keys=True)
    if tally is not None:
        tally.tell()
    sys.stdout.write(answer + "\n")  # dumps, not dump: only the one-shot encoder is the C one
    sys.stdout.flush()
