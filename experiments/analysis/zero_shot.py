"""Zero-shot rewards of CLIPs that never saw an environment: offline AP per model, per task,
per source of frames, against the image tower's size.

  python -m experiments.analysis.zero_shot --models=web-XXS,web-XS,web-S,web-M \
      --agent_run=runs/playhouse_find --out=runs/zero_shot

Frames (no web model saw any), each labelled with ground-truth success of its episode's goal:
  Playhouse, default house, one goal family at a time (find, lift, place), both goal pools:
    random_walk (uniform random actions) and oracle (the scripted oracle, 15% random actions);
  the main job's one-room house, Find: the same two, and agent (the policy of --agent_run,
    acting as in training; skipped without it);
  the launcher, "Open common apps", goal pool "heldout" (wallpapers and app-screen drawings
    that no training frame showed, the agent's or a CLIP's): random_walk and oracle.

Each model scores each frame with Eq. 1 at its learned temperature, the goal against
K = min(N - 1, 32) other goals of the task, plus on the launcher the other installed apps,
the home screen and drawer, and OPEN_WORLD prompts (so the negatives are not the task's
closed world). The threshold beta comes from the corpus alone (`corpus.calibration`); the
best-F1 beta on the frames' own labels is reported beside it, only to show what an
environment-labelled beta would have changed. Nothing here trains or tunes a model.
Writes <out>/zero_shot.json and <out>/zero_shot.png (AP against image-tower parameters).
"""

import json
import pathlib
import types

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
from absl import app, flags, logging

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import envs.launcher as envs_launcher  # noqa: E402
import envs.playhouse as envs_playhouse  # noqa: E402
from envs.launcher import Launcher, LauncherConfig  # noqa: E402
from envs.launcher.oracle import make_oracle  # noqa: E402
from envs.playhouse import Playhouse, PlayhouseConfig  # noqa: E402
from experiments import run_io  # noqa: E402
from experiments.analysis import runs  # noqa: E402
from experiments.configs import launcher_common  # noqa: E402
from experiments.pretraining import clip_data  # noqa: E402
from vlm_rewards import evaluation  # noqa: E402
from vlm_rewards.clip import load_clip  # noqa: E402
from vlm_rewards.corpus import calibration  # noqa: E402
from vlm_rewards.reward_model import RewardModel  # noqa: E402

_MIN_POSITIVES = 10  # fewer success frames than this: AP is not reported

# Prompts of things a phone may show that are neither a goal nor this launcher's screens.
OPEN_WORLD = ("a lock screen", "a web page", "a photo", "a video game", "a text message")
SOURCES = {"random_walk": 0.0, "oracle": 1.0}


def _cell(goals, frames, goal, success, template="plain", extra=()) -> dict:
  return {
    "goals": tuple(goals),
    "template": template,
    "extra_negatives": tuple(extra),
    "frames": np.asarray(frames),
    "goal": np.asarray(goal, np.int32),
    "success": np.asarray(success, bool),
  }


def _pooled(env, seed: int, oracle_fraction: float, num_envs: int) -> dict:
  parts = [
    clip_data.policy_frames(env, num_envs, 1, seed + pool, pool == 1, oracle_fraction)
    for pool in (0, 1)
  ]
  return {k: np.concatenate([getattr(p, k) for p in parts]) for k in ("frames", "goal", "success")}


def playhouse_cells(seed: int, num_envs: int) -> dict:
  cells = {}
  houses = {f"playhouse/{f}": PlayhouseConfig(families=(f,)) for f in ("find", "lift", "place")}
  houses["main_house/find"] = PlayhouseConfig(families=("find",), **clip_data.SMALL_HOUSE)
  for i, (name, config) in enumerate(houses.items()):
    env = Playhouse(config)
    for j, (source, oracle_fraction) in enumerate(SOURCES.items()):
      d = _pooled(env, seed + 100 * i + 10 * j, oracle_fraction, num_envs)
      cells[f"{name}/{source}"] = _cell(env.goals, d["frames"], d["goal"], d["success"])
  return cells


def agent_cell(run_dir: str, seed: int, num_envs: int) -> dict:
  """Frames of a trained run's policy (both goal pools), acting as in training."""
  run, params = runs.load_policy(pathlib.Path(run_dir))
  trainer = run.trainer
  frames, goals, success = [], [], []
  for pool in (0, 1):
    key = jax.random.fold_in(jax.random.key(seed), pool)
    f, g, s = jax.device_get(
      runs.policy_rollout(trainer, params, run.reward_params, key, num_envs, pool, False, "pixels")
    )
    frames.append(f)
    goals.append(g)
    success.append(s)
  return _cell(trainer.env.goals, *(np.concatenate(x) for x in (frames, goals, success)))


def launcher_frames(env: Launcher, seed: int, num_envs: int, oracle_fraction: float) -> dict:
  """One episode per phone of the held-out pool, `oracle_fraction` of them by the oracle
  (15% random actions), the rest uniformly random; no reset on success (the oracle goes Back
  and opens the app again)."""
  act = clip_data.epsilon_oracle(make_oracle(env), env.num_actions, epsilon=0.15)

  def episode(key, is_oracle):
    k_reset, k_steps = jax.random.split(key)
    state = env.reset_state(k_reset, 1)

    def step(state, k):
      state = env.step_state(k, state, act(k, state, is_oracle))
      return state, (env.render(state), state.goal, env.success(state, state.goal))

    return jax.lax.scan(step, state, jax.random.split(k_steps, env.max_steps))[1]

  keys = jax.random.split(jax.random.key(seed), num_envs)
  is_oracle = jnp.arange(num_envs) < round(oracle_fraction * num_envs)
  f, g, s = jax.device_get(jax.jit(jax.vmap(episode))(keys, is_oracle))
  return {"frames": f.reshape(-1, *f.shape[2:]), "goal": g.reshape(-1), "success": s.reshape(-1)}


def launcher_cells(seed: int, num_envs: int) -> dict:
  env = Launcher(LauncherConfig(task="common"))
  reward = launcher_common.get_config().reward
  extra = tuple(reward.extra_negatives) + OPEN_WORLD
  cells = {}
  for j, (source, fraction) in enumerate(SOURCES.items()):
    d = launcher_frames(env, seed + 10 * j, 2 * num_envs, fraction)
    cells[f"launcher/common/{source}"] = _cell(
      env.goals, d["frames"], d["goal"], d["success"], reward.template, extra
    )
  return cells


def image_tower_parameters(clip) -> int:
  return int(sum(x.size for x in jax.tree.leaves(clip.image_params)))


def score_cell(clip, cell: dict, beta: float) -> dict:
  """Base rate, AP at the learned temperature, the reward at the corpus beta, and the best F1
  an environment-labelled beta would have reached."""
  model = RewardModel(
    clip,
    cell["goals"],
    templates=cell["template"],
    num_negatives=min(len(cell["goals"]) - 1, 32),
    extra_negatives=cell["extra_negatives"],
  )
  emb = evaluation.embed_frames(clip, cell["frames"])
  p = np.asarray(model.goal_probability(jnp.asarray(emb), jnp.asarray(cell["goal"])))
  y = cell["success"]
  row = {"frames": int(y.size), "positives": int(y.sum()), "base_rate": round(float(y.mean()), 4)}
  if y.sum() < _MIN_POSITIVES:
    return row
  curve = evaluation.pr_curve(p, y)
  at_beta = evaluation.summary_at_threshold(p, y, beta)
  best = evaluation.best_f1_threshold(curve)
  return {
    **row,
    "average_precision": round(evaluation.average_precision(curve), 4),
    "at_corpus_beta": at_beta,
    "env_labelled_best_f1": best,
  }


def load_cells(out: pathlib.Path, seed: int, num_envs: int, agent_run: str) -> dict:
  """Every cell's frames, made once and kept in <out>/cells_*.npz (the settings in its
  name)."""
  name = f"cells_s{seed}_e{num_envs}_{runs.source_hash(envs_playhouse, envs_launcher)}"
  name += f"_{pathlib.Path(agent_run).name or 'noagent'}.npz"
  path = out / name
  if path.exists():
    with np.load(path, allow_pickle=True) as f:
      return f["cells"].item()
  cells = {**playhouse_cells(seed, num_envs), **launcher_cells(seed, num_envs)}
  if agent_run:
    cells["main_house/find/agent"] = agent_cell(agent_run, seed, 4 * num_envs)
  np.savez(path, cells=np.asarray(cells, dtype=object))
  return cells


def plot(table: dict, path: pathlib.Path) -> None:
  """AP against image-tower parameters of the models named web-*, one panel per cell with
  AP; the other models (in-domain references) as dotted lines, the base rate dashed."""
  models = [m for m in table if not m.startswith("_")]
  family = [m for m in models if m.startswith("web-")]
  others = [m for m in models if m not in family]
  cells = [
    c
    for c in table[models[0]]["cells"]
    if any("average_precision" in table[m]["cells"][c] for m in models)
  ]
  cols = 4
  rows = -(-len(cells) // cols)
  fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
  x = [table[m]["image_tower_parameters"] for m in family]
  for ax, cell in zip(axes.flat, cells, strict=False):
    ap = [table[m]["cells"][cell].get("average_precision", np.nan) for m in family]
    if family:
      ax.plot(x, ap, "o-", label="web family, zero-shot")
      ax.set_xscale("log")
    for k, m in enumerate(others):
      value = table[m]["cells"][cell].get("average_precision")
      if value is not None:
        ax.axhline(value, ls=":", c=f"C{k + 1}", label=m)
    ax.axhline(table[models[0]]["cells"][cell]["base_rate"], ls="--", c="grey", label="base rate")
    ax.set_ylim(0, 1)
    ax.set_title(cell, fontsize=8)
    ax.set_xlabel("image-tower parameters", fontsize=7)
    ax.set_ylabel("AP", fontsize=7)
  for ax in list(axes.flat)[len(cells) :]:
    ax.axis("off")
  axes.flat[0].legend(fontsize=6)
  fig.tight_layout()
  fig.savefig(path, dpi=110)
  plt.close(fig)


def main(argv) -> None:
  del argv
  logging.set_verbosity(logging.WARNING)
  out = pathlib.Path(FLAGS.out.value)
  run_io.refuse_overwrite(out / "zero_shot.json", FLAGS.overwrite.value)
  out.mkdir(parents=True, exist_ok=True)
  seed, num_envs, agent_run = FLAGS.seed.value, FLAGS.num_envs.value, FLAGS.agent_run.value
  cells = load_cells(out, seed, num_envs, agent_run)
  table = {}
  for name in FLAGS.models.value:
    clip = load_clip(name)
    beta = calibration.corpus_threshold(clip)
    table[name] = {
      "image_tower_parameters": image_tower_parameters(clip),
      "learned_temperature": round(clip.temperature, 5),
      "corpus_beta": beta,
      "cells": {c: score_cell(clip, cell, beta["threshold"]) for c, cell in cells.items()},
    }
    aps = {c: r.get("average_precision") for c, r in table[name]["cells"].items()}
    print(name, table[name]["image_tower_parameters"], beta["threshold"], aps, flush=True)
  table["_settings"] = {
    "seed": seed,
    "num_envs": num_envs,
    "agent_run": agent_run,
    "open_world_negatives": OPEN_WORLD,
    "envs_source_hash": runs.source_hash(envs_playhouse, envs_launcher),
  }
  (out / "zero_shot.json").write_text(json.dumps(table, indent=2) + "\n")
  plot(table, out / "zero_shot.png")


def define_flags() -> types.SimpleNamespace:
  """The script's flags, defined only when it runs (so that tests and other scripts can import
  its functions beside another script's flags of the same names)."""
  return types.SimpleNamespace(
    models=flags.DEFINE_list("models", ["web-S"], "CLIPs: load_clip names or folders"),
    out=flags.DEFINE_string("out", "runs/zero_shot", "output directory"),
    overwrite=flags.DEFINE_bool("overwrite", False, "replace the results already in --out"),
    agent_run=flags.DEFINE_string("agent_run", "", "an experiments.train workdir of the main job"),
    seed=flags.DEFINE_integer("seed", 1234, "dataset seed"),
    num_envs=flags.DEFINE_integer("num_envs", 16, "episodes per goal pool and source"),
  )


if __name__ == "__main__":
  FLAGS = define_flags()
  app.run(main)
