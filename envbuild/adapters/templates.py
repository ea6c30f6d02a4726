"""Load Dockerfile templates: the user's override directory first, then the ones shipped with envbuild."""

from __future__ import annotations

from pathlib import Path

from envbuild.errors import UserError


def builtin_templates_dir() -> Path:
    """Inside an installed wheel: envbuild/templates. In a source checkout: the repository's templates/."""
    package = Path(__file__).resolve().parent.parent
    shipped = package / "templates"
    return shipped if shipped.is_dir() else package.parent / "templates"


def load_templates(override: Path | None = None, *, boundary: Path | None = None) -> dict[str, str]:
    """``boundary``: override files must resolve inside it (a link to /etc/shadow named
    cpu.Dockerfile.j2 is refused, not rendered into a Dockerfile)."""
    from envbuild.adapters.files import read_text
    from envbuild.adapters.inputs import confined

    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(builtin_templates_dir().glob("*.j2"))}
    if override is not None:
        if not override.is_dir():
            raise UserError(f"template directory not found: {override}")
        for path in sorted(override.glob("*.j2")):
            if boundary is not None:
                confined(path, boundary, f"templates: {path.name}")
            texts[path.name] = read_text(path, str(path))
    if not texts:
        raise UserError("no Dockerfile templates found", hint="reinstall envbuild")
    return texts
