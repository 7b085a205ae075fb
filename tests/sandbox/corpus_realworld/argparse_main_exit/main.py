#!/usr/bin/env python
"""Command-line script: options with defaults, a main() and sys.exit(main())."""
import argparse
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--points", type=int, default=120)
    p.add_argument("--out", default="build/scatter.png")
    return p.parse_args(argv)


def main():
    args = parse_args()
    rng = np.random.RandomState(42)
    x, y = rng.randn(2, args.points)
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(x, y, c=np.hypot(x, y), cmap="plasma", s=18, edgecolors="none")
    ax.set_aspect("equal")
    ax.set_title(f"{args.points} points")
    fig.savefig(args.out, dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
