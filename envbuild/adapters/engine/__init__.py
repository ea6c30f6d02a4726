"""The container engine and what runs on it: Docker's API, the builders (BuildKit, classic), image archives
and exports, the engine's side of a verdict, registries, base images, build manifests, a training kept
for its record."""
