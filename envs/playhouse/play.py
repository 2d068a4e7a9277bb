"""Write a GIF of one Playhouse episode: egocentric view beside the top-down map, with the
goal text and ground-truth success.

  python -m envs.playhouse.play --policy=oracle --out=episode.gif [--seed=0] [--png=still.png]
"""

import argparse

import imageio.v2 as imageio
import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image, ImageDraw

from envs.playhouse import Playhouse, PlayhouseConfig
from envs.playhouse.oracle import make_oracle

PANEL = 256  # pixels of each panel


def rollout(env: Playhouse, policy: str, seed: int, heldout: bool = False):
  """([(ego, map, success, objects in view)] per step, goal text); stops at success."""
  oracle = jax.jit(make_oracle(env))
  reset = jax.jit(lambda k: env.reset_state(k, int(heldout)))
  step = jax.jit(env.step_state)
  draw = jax.jit(
    lambda s: (env.render(s), env.render_map(s), env.success(s, s.goal), env.visible(s).sum())
  )
  key = jax.random.PRNGKey(seed)
  state = reset(key)
  frames = []
  for t in range(env.config.max_steps + 1):
    ego, top, ok, seen = draw(state)
    frames.append((np.asarray(ego), np.asarray(top), bool(ok), int(seen)))
    if ok or t == env.config.max_steps:
      break
    key, k = jax.random.split(key)
    if policy == "oracle":
      action = oracle(k, state, state.goal)
    else:
      action = jax.random.randint(k, (), 0, env.num_actions)
    state = step(k, state, jnp.int32(action))
  return frames, env.goals[int(state.goal)]


def compose(ego: np.ndarray, top: np.ndarray, goal: str, success: bool, t: int) -> np.ndarray:
  canvas = Image.new("RGB", (2 * PANEL + 24, PANEL + 56), (24, 24, 28))
  canvas.paste(Image.fromarray(ego).resize((PANEL, PANEL), Image.NEAREST), (8, 48))
  canvas.paste(Image.fromarray(top).resize((PANEL, PANEL), Image.NEAREST), (PANEL + 16, 48))
  d = ImageDraw.Draw(canvas)
  d.text((8, 6), goal, fill=(255, 255, 255))
  colour = (90, 230, 90) if success else (230, 120, 90)
  d.text((8, 26), f"t={t}  success={success}", fill=colour)
  return np.asarray(canvas)


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--policy", choices=("oracle", "random"), default="oracle")
  parser.add_argument("--out", default="playhouse.gif")
  parser.add_argument("--png", default=None, help="also save the still showing most objects")
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--size", type=int, default=64)
  parser.add_argument("--heldout", action="store_true", help="sample a held-out goal")
  args = parser.parse_args()
  env = Playhouse(PlayhouseConfig(height=args.size, width=args.size))
  frames, goal = rollout(env, args.policy, args.seed, args.heldout)
  images = [compose(e, m, goal, ok, t) for t, (e, m, ok, _) in enumerate(frames)]
  images += [images[-1]] * 8  # linger on the last frame
  imageio.mimsave(args.out, images, duration=0.12, loop=0)
  if args.png:
    best = int(np.argmax([seen for *_, seen in frames]))
    Image.fromarray(images[best]).save(args.png)
  print(f"{args.out}: {len(frames)} frames, goal {goal!r}, success {frames[-1][2]}")


if __name__ == "__main__":
  main()
