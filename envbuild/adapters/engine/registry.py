"""Attach documents (provenance, SBOM) to a pushed image in its registry, over the OCI distribution API.

Each document is an OCI artifact: a manifest whose ``subject`` is the image's manifest, one layer
(the document) and the empty config. A registry that implements the referrers API says so with an
``OCI-Subject`` header when the manifest is put by digest, and lists the artifact for the image;
for one that does not (Debian's docker-registry, Docker Hub's older API), the manifest is also
tagged ``sha256-<hex>.att`` / ``.sbom`` — the tag scheme cosign and the OCI 1.1 fallback use, so
`cosign download attestation`-style tools and `crane` find it. envbuild does not sign: sign with
your own signer afterwards, e.g. ``cosign attest --predicate provenance.json --type slsaprovenance1 IMAGE@DIGEST``.

Credentials come from the Docker client's config (``auths`` in ~/.docker/config.json or
DOCKER_CONFIG): basic auth, or the registry's bearer-token challenge answered with them. They go
in headers only, never in a URL or a message.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from envbuild.errors import ToolUnavailable

EMPTY = "application/vnd.oci.empty.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
_ACCEPT = ", ".join([MANIFEST, "application/vnd.oci.image.index.v1+json",
                     "application/vnd.docker.distribution.manifest.v2+json",
                     "application/vnd.docker.distribution.manifest.list.v2+json"])


@dataclass(frozen=True, kw_only=True)
class Document:
    artifact_type: str  # e.g. application/vnd.in-toto+json
    text: str
    suffix: str  # the fallback tag's: "att", "sbom"


def registry_and_repository(ref: str) -> tuple[str, str]:
    """(registry host, repository) of an image reference (tag or digest dropped)."""
    name = ref.split("@", 1)[0]
    if re.search(r":[^/]+$", name):
        name = name.rsplit(":", 1)[0]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return "registry-1.docker.io", name if "/" in name else f"library/{name}"


class _Session:
    def __init__(self, host: str, repository: str, environ: Mapping[str, str]) -> None:
        local = host.split(":")[0] in ("127.0.0.1", "localhost", "::1")
        self.base = f"{'http' if local else 'https'}://{host}/v2/{repository}"
        self.host, self.repository = host, repository
        self.basic = _docker_auth(host, environ)
        self.token: str | None = None

    def request(self, method: str, url: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None,
                retry: bool = True) -> tuple[int, Mapping[str, str], bytes]:
        all_headers = dict(headers or {})
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        elif self.basic:
            all_headers["Authorization"] = f"Basic {self.basic}"
        request = urllib.request.Request(url, data=body, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 401 and retry and self._challenge(exc.headers.get("WWW-Authenticate", "")):
                return self.request(method, url, body=body, headers=headers, retry=False)
            return exc.code, dict(exc.headers), exc.read()
        except OSError as exc:
            raise ToolUnavailable(f"registry {self.host}: cannot be reached: {getattr(exc, 'reason', exc)}") from None

    def _challenge(self, header: str) -> bool:
        if not header.lower().startswith("bearer "):
            return False
        fields = dict(re.findall(r'(\w+)="([^"]*)"', header))
        if "realm" not in fields:
            return False
        query = urllib.parse.urlencode({"service": fields.get("service", ""),
                                        "scope": f"repository:{self.repository}:pull,push"})
        request = urllib.request.Request(f"{fields['realm']}?{query}",
                                         headers={"Authorization": f"Basic {self.basic}"} if self.basic else {})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                found = json.loads(answer.read())
        except (OSError, ValueError):
            return False
        self.token = found.get("token") or found.get("access_token")
        return bool(self.token)


def _docker_auth(host: str, environ: Mapping[str, str]) -> str | None:
    folder = Path(environ["DOCKER_CONFIG"]) if environ.get("DOCKER_CONFIG") else Path(environ.get("HOME", "~")).expanduser() / ".docker"
    try:
        auths = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("auths") or {}
    except (OSError, ValueError):
        return None
    for key in (host, f"https://{host}", f"http://{host}", *(["https://index.docker.io/v1/"] if "docker.io" in host else [])):
        entry = auths.get(key)
        if isinstance(entry, dict) and isinstance(entry.get("auth"), str):
            return entry["auth"]
        if isinstance(entry, dict) and entry.get("username") and entry.get("password"):
            return base64.b64encode(f"{entry['username']}:{entry['password']}".encode()).decode()
    return None


def attach(ref: str, digest: str, documents: Sequence[Document], *, environ: Mapping[str, str]) -> list[str]:
    """Attach each document to the image ``ref``'s manifest ``digest``; the references written."""
    host, repository = registry_and_repository(ref)
    session = _Session(host, repository, environ)
    status, headers, _ = session.request("HEAD", f"{session.base}/manifests/{digest}", headers={"Accept": _ACCEPT})
    if status != 200:
        raise ToolUnavailable(f"registry {host}: the pushed manifest {digest} is not there (HTTP {status})")
    subject = {"mediaType": headers.get("Content-Type", MANIFEST).split(";")[0], "digest": digest,
               "size": int(headers.get("Content-Length", "0"))}
    _blob(session, b"{}")
    written = []
    for document in documents:
        body = document.text.encode("utf-8")
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": MANIFEST, "artifactType": document.artifact_type,
            "config": {"mediaType": EMPTY, "digest": _digest(b"{}"), "size": 2},
            "layers": [{"mediaType": document.artifact_type, "digest": _blob(session, body), "size": len(body)}],
            "subject": subject,
        }, sort_keys=True, separators=(",", ":")).encode()
        own = _digest(manifest)
        status, answer, text = session.request("PUT", f"{session.base}/manifests/{own}", body=manifest,
                                               headers={"Content-Type": MANIFEST})
        if status not in (200, 201):
            raise ToolUnavailable(f"registry {host}: refused the {document.suffix} manifest (HTTP {status}): "
                                  f"{text[:200].decode('utf-8', 'replace')}")
        written.append(f"{host}/{repository}@{own}")
        if not any(k.lower() == "oci-subject" for k in answer):  # no referrers API: the tag scheme as well
            tag = f"{digest.replace(':', '-')}.{document.suffix}"
            status, _, text = session.request("PUT", f"{session.base}/manifests/{tag}", body=manifest,
                                              headers={"Content-Type": MANIFEST})
            if status not in (200, 201):
                raise ToolUnavailable(f"registry {host}: refused the tag {tag} (HTTP {status})")
            written.append(f"{host}/{repository}:{tag}")
    return written


def _digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _blob(session: _Session, body: bytes) -> str:
    digest = _digest(body)
    status, _, _ = session.request("HEAD", f"{session.base}/blobs/{digest}")
    if status == 200:
        return digest
    status, headers, text = session.request("POST", f"{session.base}/blobs/uploads/", body=b"")
    location = next((v for k, v in headers.items() if k.lower() == "location"), None)
    if status != 202 or not location:
        raise ToolUnavailable(f"registry {session.host}: cannot upload (HTTP {status})")
    if location.startswith("/"):
        location = session.base.split("/v2/")[0] + location
    joiner = "&" if "?" in location else "?"
    status, _, text = session.request("PUT", f"{location}{joiner}digest={digest}", body=body,
                                      headers={"Content-Type": "application/octet-stream"})
    if status not in (201, 204):
        raise ToolUnavailable(f"registry {session.host}: refused a blob (HTTP {status})")
    return digest
