"""What a project already has, read as lock inputs: requirements files, pyproject.toml, environment.yml,
MLproject. Pure."""
