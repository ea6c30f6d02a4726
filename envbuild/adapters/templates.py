"""Load Dockerfile templates: the user's override directory first, then the ones shipped with envbuild."""

from __future__ import annotations

from pathlib import Path

from envbuild.errors import UserError


def builtin_templates_dir() -> Path:
    """Inside an installed wheel: envbuild/templates. In a source checkout: the repository's templates/."""
    package = Path(__file__).resolve().parent.parent
    shipped = package / "templates"
    return shipped if shipped.is_dir() else package.parent / "templates"


def load_templates(override: Path | None = None) -> dict[str, str]:
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(builtin_templates_dir().glob("*.j2"))}
    if override is not None:
        if not override.is_dir():
            raise UserError(f"template directory not found: {override}")
        texts.update({p.name: p.read_text(encoding="utf-8") for p in sorted(override.glob("*.j2"))})
    if not texts:
        raise UserError("no Dockerfile templates found", hint="reinstall envbuild")
    return texts
