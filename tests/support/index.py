"""A PEP 503 / PEP 691 package index on 127.0.0.1, with PEP 700 upload times, for hermetic tests."""

from __future__ import annotations

import hashlib
import html
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from packaging.utils import canonicalize_name

from tests.support.wheels import WheelSpec, build_sdist, build_wheel

JSON_TYPE = "application/vnd.pypi.simple.v1+json"


class LocalIndex:
    def __init__(self, directory: Path, packages: tuple[WheelSpec, ...]) -> None:
        self.directory = directory
        self.files: dict[str, list[dict]] = {}
        self.paths: dict[str, Path] = {}
        self.requests: Counter[str] = Counter()
        self.ranges = True  # answer Range requests (False: the whole file, as a plain server does)
        self.ranged = 0  # how many were answered
        for spec in packages:
            self.add(spec)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def add(self, spec: WheelSpec) -> None:
        path = (build_sdist if spec.sdist_only else build_wheel)(spec, self.directory)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        entry = {"filename": path.name, "sha256": digest, "upload-time": spec.upload_time,
                 "requires-python": spec.requires_python}
        self.files.setdefault(canonicalize_name(spec.name), []).append(entry)
        self.paths[path.name] = path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/simple"

    def sha256(self, filename: str) -> str:
        return next(f["sha256"] for files in self.files.values() for f in files if f["filename"] == filename)

    def start(self) -> "LocalIndex":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        index = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_HEAD(self) -> None:
                self.do_GET(head=True)

            def do_GET(self, head: bool = False) -> None:
                self._head = head
                index.requests[self.path] += 1
                parts = [p for p in self.path.split("?")[0].split("/") if p]
                if parts[:1] == ["files"] and len(parts) == 2 and parts[1] in index.paths:
                    data = index.paths[parts[1]].read_bytes()
                    wanted = self.headers.get("Range", "")
                    if wanted.startswith("bytes=") and index.ranges:  # as PyPI's CDN answers: 206, that span
                        start, _, end = wanted[6:].partition("-")
                        index.ranged += 1
                        return self._send(data[int(start):int(end) + 1], "application/octet-stream", status=206)
                    return self._send(data, "application/octet-stream")
                if parts == ["simple"]:
                    links = "".join(f'<a href="{n}/">{n}</a>\n' for n in sorted(index.files))
                    return self._send(f"<html><body>{links}</body></html>".encode(), "text/html")
                if len(parts) == 2 and parts[0] == "simple":
                    name = canonicalize_name(parts[1])
                    if name not in index.files:
                        return self.send_error(404)
                    if JSON_TYPE in self.headers.get("Accept", ""):
                        return self._send(json.dumps(self._json(name)).encode(), JSON_TYPE)
                    return self._send(self._html(name).encode(), "text/html")
                self.send_error(404)

            def _json(self, name: str) -> dict:
                files = [{"filename": f["filename"], "url": f"../../files/{f['filename']}",
                          "hashes": {"sha256": f["sha256"]}, "upload-time": f["upload-time"],
                          "size": index.paths[f["filename"]].stat().st_size,
                          **({"requires-python": f["requires-python"]} if f["requires-python"] else {})}
                         for f in index.files[name]]
                return {"meta": {"api-version": "1.1"}, "name": name, "files": files}

            def _html(self, name: str) -> str:
                links = []
                for f in index.files[name]:
                    rp = f' data-requires-python="{html.escape(f["requires-python"])}"' if f["requires-python"] else ""
                    links.append(f'<a href="../../files/{f["filename"]}#sha256={f["sha256"]}"{rp}>{f["filename"]}</a>')
                return "<html><body>\n" + "<br>\n".join(links) + "\n</body></html>"

            def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not self._head:
                    self.wfile.write(body)

        return Handler
