"""A resolver that answers what a test says (adapters/index/resolvers.Resolver): for envbuild's own
handling of a resolver's answer — one it cannot read, the requests it sends — where uv and
pip-tools, which are tested for real against a local index and PyPI, would never answer that way."""

from __future__ import annotations

from dataclasses import dataclass, field

from envbuild.adapters.index.resolvers import ResolveRequest
from envbuild.core.progress import Progress


@dataclass
class FakeResolver:
    output: str  # what compile() answers, as a resolver's output file
    name: str = "fake"
    requests: list[ResolveRequest] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # each request's requirements file, read when asked

    def check_host(self, request: ResolveRequest) -> None:
        """Any host resolves anything here."""

    def compile(self, request: ResolveRequest, progress: Progress) -> str:
        self.requests.append(request)
        self.inputs.append(request.requirements_file.read_text(encoding="utf-8"))
        return self.output


def installed(monkeypatch, resolver: FakeResolver) -> FakeResolver:
    """``resolver`` as the one `lock --resolver fake` gets."""
    from envbuild.adapters.index import resolvers

    monkeypatch.setitem(resolvers.RESOLVERS, "fake", lambda environ=None: resolver)
    return resolver
