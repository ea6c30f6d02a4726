"""Train a logistic regression; write metrics.json.

    train [--epochs N] [--config FILE] [--data CSV] [--out DIR]

The data is a CSV of four features and a 0/1 label per row (--data), or, without one, generated from
the seed (TINYTRAIN_SEED), which also orders the rows: same image, same seed, same data, same metrics;
another seed or other data moves them. The image's entry point; its settings file is
/etc/tinytrain/train.json.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="train")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--config", type=Path, default=Path("/etc/tinytrain/train.json"))
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text()) if args.config.is_file() else {}
    epochs = args.epochs or int(config.get("epochs", 100))
    rate = float(config.get("learning_rate", 0.5))
    rng = np.random.default_rng(int(os.environ.get("TINYTRAIN_SEED", "0")))
    if args.data is not None:
        rows = np.loadtxt(args.data, delimiter=",", ndmin=2)
        rows = rows[rng.permutation(len(rows))]
        features, labels = rows[:, :4], rows[:, 4]
    else:
        features = rng.normal(size=(512, 4))
        truth = np.array([1.5, -2.0, 0.5, 1.0])
        labels = (features @ truth + rng.normal(scale=0.1, size=512) > 0).astype(float)
    weights = np.zeros(4)
    for _ in range(epochs):
        predicted = 1 / (1 + np.exp(-(features @ weights)))
        weights -= rate * features.T @ (predicted - labels) / len(labels)
    predicted = 1 / (1 + np.exp(-(features @ weights)))
    loss = float(-np.mean(labels * np.log(predicted + 1e-9) + (1 - labels) * np.log(1 - predicted + 1e-9)))
    accuracy = float(np.mean((predicted > 0.5) == labels))
    metrics = {"epochs": epochs, "loss": round(loss, 6), "accuracy": round(accuracy, 4), "numpy": np.__version__}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "metrics.json").write_text(json.dumps(metrics, sort_keys=True) + "\n")
    print(json.dumps(metrics, sort_keys=True))


if __name__ == "__main__":
    main()
