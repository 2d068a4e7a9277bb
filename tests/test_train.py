"""The one-compiled-step trainer on tiny configs (tiny CLIP built in the tests)."""

import copy
import importlib
import pathlib

import jax
import ml_collections
import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator

from experiments import registry, run_io
from experiments import train as train_lib
from experiments import trainer as trainer_lib
from tests.conftest import tiny_config

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def run(tiny_run):
  return tiny_run


def _params(state):
  return jax.tree.leaves(jax.device_get(state.agent.params))


def _event_images(logdir) -> dict[str, list]:
  """The images of a TensorBoard event folder by tag (TensorBoard's own reader)."""
  accumulator = event_accumulator.EventAccumulator(str(logdir), size_guidance={"images": 0})
  accumulator.Reload()
  return {tag: accumulator.Images(tag) for tag in accumulator.Tags()["images"]}


@pytest.mark.long
def test_run_leaves_metrics_plot_gif_and_checkpoints(run, tmp_path):
  run = copy.copy(run)  # the same compiled run, a GIF every second evaluation
  run.config = ml_collections.FrozenConfigDict({**run.config.to_dict(), "gif_every_evals": 2})
  state, rows = train_lib.train(run.config, tmp_path, run=run)
  assert int(state.update) == 8
  assert rows[0]["frames"] == 0 and "eval/random_heldout_gt_success" in rows[0]
  last = rows[-1]
  assert last["frames"] == 8 * 8 * 2 * 4
  for key in (
    "fps",
    "vlm_return",
    "gt_return",
    "vlm_precision",
    "vlm_recall",
    "loss",
    "eval/heldout_gt_success",
    "eval/train_gt_success",
  ):
    assert np.isfinite(last[key]), key
  assert 0.0 <= last["gt_return"] <= 1.0
  for name in ("metrics.jsonl", "returns.png", "eval.gif"):
    assert (tmp_path / name).stat().st_size > 0, name
  # Evaluations after calls 1-4: GIFs at the 2nd and 4th (updates 4 and 8), and eval.gif.
  assert sorted(p.name for p in (tmp_path / "gifs").iterdir()) == [
    "eval_000000004.gif",
    "eval_000000008.gif",
  ]
  gifs = _event_images(tmp_path / "tensorboard")["eval/episodes"]
  assert [g.step for g in gifs] == [4, 8, 8]
  assert all(g.encoded_image_string[:6] == b"GIF89a" and g.width > 0 for g in gifs)
  assert gifs[-1].encoded_image_string == (tmp_path / "eval.gif").read_bytes()
  assert run_io.Checkpointer(tmp_path).latest_step() == 8


def test_resume_continues_exactly(run, tmp_path):
  full, _ = train_lib.train(run.config, tmp_path / "full", run=run)
  train_lib.train(run.config, tmp_path / "split", stop_after_calls=2, run=run)
  resumed, rows = train_lib.train(run.config, tmp_path / "split", resume=True, run=run)
  assert int(resumed.update) == int(full.update)
  for a, b in zip(_params(full), _params(resumed), strict=True):
    np.testing.assert_array_equal(a, b)
  assert [r["step"] for r in rows] == [0, 2, 4, 6, 8]


def test_same_seed_same_losses(run, tmp_path):
  _, rows_a = train_lib.train(run.config, tmp_path / "a", run=run, stop_after_calls=2)
  _, rows_b = train_lib.train(run.config, tmp_path / "b", run=run, stop_after_calls=2)
  strip = lambda rows: [{k: v for k, v in r.items() if k != "fps"} for r in rows]
  assert strip(rows_a) == strip(rows_b)


def test_nan_stops_training_and_keeps_last_good_checkpoint(run, tmp_path):
  state, _ = train_lib.train(run.config, tmp_path, run=run, stop_after_calls=2)
  poisoned = state._replace(
    agent=state.agent._replace(params=jax.tree.map(lambda p: p * np.nan, state.agent.params))
  )
  checkpointer = run_io.Checkpointer(tmp_path)
  logger = run_io.MetricsLogger(tmp_path)
  with pytest.raises(FloatingPointError, match=r"last good checkpoint \(update 4\)"):
    train_lib._loop(run, poisoned, 2, 4, logger, checkpointer)
  assert checkpointer.latest_step() == 4
  _, restored = checkpointer.restore(run.abstract_state)
  assert all(np.isfinite(p).all() for p in _params(restored))


def test_resume_without_checkpoint_says_how_to_fix(run, tmp_path):
  with pytest.raises(FileNotFoundError, match="Start without --resume"):
    train_lib.train(run.config, tmp_path, resume=True, run=run)


@pytest.mark.parametrize(
  "key, value, message",
  [
    ("num_envs", 0, "num_envs must be >= 1"),
    ("unroll_length", 0, "unroll_length"),
    ("learner_discount", 1.5, "learner_discount"),
  ],
)
def test_bad_config_values_are_named(tiny_clip_dirs, key, value, message):
  with pytest.raises(ValueError, match=message):
    trainer_lib.check_config(tiny_config(tiny_clip_dirs["flax"], **{key: value}))


def test_every_reward_source_builds_from_the_default_config(tiny_clip_dirs):
  config = tiny_config(tiny_clip_dirs["flax"])
  for source in trainer_lib.REWARD_SOURCES:
    config.reward.source = source
    model = trainer_lib.build_reward_model(config, ["a red ball", "a blue cube", "a car"])
    assert model.kind == ("vlm" if source == "ground_truth" else source)


def test_bad_reward_source_is_named(tiny_clip_dirs):
  config = tiny_config(tiny_clip_dirs["flax"])
  config.reward.source = "oracle"
  with pytest.raises(ValueError, match="reward.source must be one of"):
    trainer_lib.check_config(config)


def test_envs_and_agents_by_import_path_and_clear_errors_for_bad_names():
  env = registry.make_env({"name": "examples.corridor_env:Corridor", "max_steps": 3})
  assert env.max_steps == 3 and env.num_actions == 3
  with pytest.raises(ValueError, match=r"env.name='examples.corridor_env:Nope' cannot be imported"):
    registry.make_env({"name": "examples.corridor_env:Nope"})
  with pytest.raises(ValueError, match=r"agent.name must be one of \['impala'\] or an import"):
    registry.make_agent({"name": "muesli"}, 3, 10)


@pytest.mark.parametrize(
  "name, arg",
  [
    (n, a)
    for n in ("playhouse_find", "playhouse_lift", "playhouse_place", "playhouse_paper")
    for a in (None, "smoke")
  ]
  + [(n, a) for n in ("launcher_common", "launcher_diverse") for a in (None, "smoke", "gpu")],
)
def test_every_config_builds_valid_parts(name, arg):
  config = importlib.import_module(f"experiments.configs.{name}").get_config(arg)
  trainer_lib.check_config(config)
  assert trainer_lib.num_updates(config) >= config.updates_per_call
  env = registry.make_env(config.env)
  registry.make_agent(config.agent, env.num_actions, trainer_lib.num_updates(config))


def test_goal_negatives_are_filled_with_each_goals_objects(tiny_clip_dirs):
  config = tiny_config(tiny_clip_dirs["flax"])
  config.reward.goal_negatives = ("holding {target}", "{target} far from {reference}")
  goals = ("Put a red duck next to a blue mug", "Put a blue mug next to a red duck")
  slots = (
    {"target": "a red duck", "reference": "a blue mug"},
    {"target": "a blue mug", "reference": "a red duck"},
  )
  model = trainer_lib.build_reward_model(config, goals, slots)
  np.testing.assert_array_equal(model.goal_negative_ids, [[0, 1], [2, 3]])
  with pytest.raises(ValueError, match="have no goal_slots"):
    trainer_lib.build_reward_model(config, goals)
  with pytest.raises(ValueError, match=r"names only the slots \['target'\]"):
    trainer_lib.build_reward_model(config, goals, [{"target": "a red duck"}] * 2)
