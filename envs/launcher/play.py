"""Write a GIF of one launcher episode (the phone screen, the goal, ground truth per step).

python -m envs.launcher.play --policy=oracle --out=launcher.gif [--seed=0] [--task=diverse]
"""

import argparse

import imageio.v2 as imageio
import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image, ImageDraw

from envs.launcher import Launcher, LauncherConfig
from envs.launcher.env import ACTION_NAMES
from envs.launcher.oracle import make_oracle

ZOOM = 3


def rollout(env: Launcher, policy: str, seed: int, heldout: bool = False):
  """[(frame, success, action name)] per step (stops at success), and the goal text."""
  oracle = jax.jit(make_oracle(env))
  state = jax.jit(lambda k: env.reset_state(k, int(heldout)))(jax.random.key(seed))
  step, render = jax.jit(env.step_state), jax.jit(env.render)
  key, frames, action = jax.random.key(seed + 1), [], None
  for t in range(env.max_steps + 1):
    ok = bool(env.success(state, state.goal))
    frames.append((np.asarray(render(state)), ok, action))
    if ok or t == env.max_steps:
      break
    key, k = jax.random.split(key)
    a = (
      oracle(k, state, state.goal)
      if policy == "oracle"
      else jax.random.randint(k, (), 0, env.num_actions)
    )
    action = ACTION_NAMES[int(a)]
    state = step(k, state, jnp.int32(a))
  return frames, env.goals[int(state.goal)]


def compose(frame: np.ndarray, goal: str, success: bool, action: str | None, t: int) -> np.ndarray:
  h, w = frame.shape[0] * ZOOM, frame.shape[1] * ZOOM
  canvas = Image.new("RGB", (w + 16, h + 52), (24, 24, 28))
  canvas.paste(Image.fromarray(frame).resize((w, h), Image.NEAREST), (8, 44))
  d = ImageDraw.Draw(canvas)
  d.text((8, 4), f"Open {goal}", fill=(255, 255, 255))
  d.text((8, 18), f"t={t} {action or ''}", fill=(200, 200, 200))
  d.text((8, 30), f"success={success}", fill=(90, 230, 90) if success else (230, 120, 90))
  return np.asarray(canvas)


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--policy", choices=("oracle", "random"), default="oracle")
  parser.add_argument("--task", choices=("common", "diverse"), default="common")
  parser.add_argument("--out", default="launcher.gif")
  parser.add_argument("--png", default=None, help="also save the episode's frames as a strip")
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--heldout", action="store_true", help="held-out wallpapers")
  args = parser.parse_args()
  env = Launcher(LauncherConfig(task=args.task))
  frames, goal = rollout(env, args.policy, args.seed, args.heldout)
  images = [compose(f, goal, ok, a, t) for t, (f, ok, a) in enumerate(frames)]
  imageio.mimsave(args.out, images, duration=0.8, loop=0)
  if args.png:
    Image.fromarray(np.concatenate(images, axis=1)).save(args.png)
  print(f"{args.out}: {len(images)} frames, goal 'Open {goal}', success={frames[-1][1]}")


if __name__ == "__main__":
  main()
