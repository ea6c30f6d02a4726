"""py-rattler in a child process: ``python -m envbuild.adapters.index.rattler_worker`` reads one JSON
request on stdin and writes one JSON answer on stdout.

Why a child: py-rattler can crash while the interpreter shuts down after its async calls (10–35 %
of runs measured here), which would turn a good solve into a bad exit code. The child writes its
answer, flushes, and leaves with ``os._exit`` — no interpreter shutdown, so no crash — and the
parent trusts the JSON answer, not the exit status alone.

Exit codes: 0 answer written · 2 bad spec · 3 unsolvable · 5 a channel is unreachable.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import sys


def solve(request: dict) -> dict:
    import rattler
    from rattler import BuildString, GenericVirtualPackage, PackageName, Version

    virtual = [GenericVirtualPackage(PackageName(n), Version(v), BuildString(b)) for n, v, b in request["virtual"]]
    exclude_newer = None
    if request.get("exclude_newer"):
        exclude_newer = datetime.datetime.fromisoformat(request["exclude_newer"].replace("Z", "+00:00"))
    # conda's lenient spec syntax, as environment files use it ('libtiny=1.1=h0_0', 'python=3.11')
    specs = [rattler.MatchSpec(text, strict=False) for text in request["specs"]]
    records = asyncio.run(rattler.solve(
        request["channels"], specs, platforms=[request["platform"], "noarch"],
        virtual_packages=virtual, exclude_newer=exclude_newer, timeout=datetime.timedelta(seconds=request["timeout"]),
        # a channel without upload times (a hand-made or mirrored one) is still usable with exclude-newer
        timestamp_policy="allow-missing" if exclude_newer else "require-timestamp",
    ))
    return {"records": [json.loads(r.to_json()) for r in records]}


def _classify(exc: BaseException) -> tuple[int, str]:
    from rattler import exceptions as e

    if isinstance(exc, (e.InvalidMatchSpecError, e.InvalidPackageNameError, e.InvalidVersionSpecError,
                        e.InvalidVersionError, e.InvalidChannelError, e.InvalidUrlError)):
        return 2, "invalid"
    if isinstance(exc, (e.GatewayError, e.FetchRepoDataError)):
        return 5, "unreachable"
    if isinstance(exc, e.SolverError):
        return 3, "unsolvable"
    return 70, "internal"


def main() -> None:
    request = json.loads(sys.stdin.read())
    try:
        answer, code = solve(request), 0
    except Exception as exc:  # noqa: BLE001 - every failure becomes an answer the parent can read
        try:
            code, kind = _classify(exc)
        except Exception:  # noqa: BLE001 - rattler itself failed to import
            code, kind = 70, "internal"
        answer = {"error": kind, "message": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
