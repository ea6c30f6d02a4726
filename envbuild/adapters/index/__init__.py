"""Where packages come from: the index's JSON pages, the resolvers (uv, pip-tools), each pin's files and
sizes, the wheelhouse that fetches and checks them, sdists and git requirements built into wheels,
conda's solvers."""
