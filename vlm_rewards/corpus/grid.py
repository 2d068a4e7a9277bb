"""A picture grid of one corpus batch, each image with its caption, for the documentation.

python -m vlm_rewards.corpus.grid --out=docs/corpus.png [--count=48 --cols=8 --seed=0]
"""

import argparse
import textwrap

import numpy as np

from vlm_rewards.corpus import stream


def save_grid(batch: dict, out: str, cols: int = 8, scale: int = 2) -> None:
  """Images in kind order, each with its caption wrapped below it."""
  import matplotlib

  matplotlib.use("Agg")
  import matplotlib.pyplot as plt

  order = np.argsort(batch["kinds"], kind="stable")
  rows = -(-len(order) // cols)
  size = batch["frames"].shape[1] * scale / 100
  fig, axes = plt.subplots(rows, cols, figsize=(cols * size * 1.1, rows * size * 1.6), dpi=100)
  for ax in np.ravel(axes):
    ax.axis("off")
  for ax, i in zip(np.ravel(axes), order, strict=False):
    ax.imshow(batch["frames"][i], interpolation="nearest")
    caption = "\n".join(textwrap.wrap(batch["captions"][i], 24)[:3])
    ax.set_title(caption, fontsize=6.5, y=-0.04, va="top")
  fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.04, wspace=0.08, hspace=0.62)
  fig.savefig(out)
  plt.close(fig)


def main(argv=None) -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--out", default="docs/corpus.png")
  parser.add_argument("--count", type=int, default=48)
  parser.add_argument("--cols", type=int, default=8)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--size", type=int, default=64)
  args = parser.parse_args(argv)
  config = stream.CorpusConfig(image_size=args.size)
  save_grid(stream.sample(config, args.seed, 0, args.count), args.out, args.cols)
  print(f"wrote {args.out}")


if __name__ == "__main__":
  main()
