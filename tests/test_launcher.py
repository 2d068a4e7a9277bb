"""The launcher: contract, determinism, taps, navigation, reachability, screens, captions."""

import itertools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs import base
from envs.launcher import Launcher, LauncherConfig, apps, art, layout
from envs.launcher.env import (
  BACK,
  EMPTY,
  HOME,
  NO_APP,
  SWIPE_DOWN,
  SWIPE_LEFT,
  SWIPE_RIGHT,
  SWIPE_UP,
)
from envs.launcher.oracle import solve_steps
from experiments import registry, trainer
from experiments.configs import launcher_diverse
from experiments.pretraining import launcher_data
from vlm_rewards import prompts
from vlm_rewards.preprocess import PreprocessConfig, resize


@pytest.fixture(scope="module")
def env():
  return Launcher(LauncherConfig(task="diverse"))


class Compiled(NamedTuple):
  """The launcher's functions, jitted once for the module's tests."""

  reset: Callable
  step: Callable
  render: Callable


@pytest.fixture(scope="module")
def fns(env):
  return Compiled(
    reset=jax.jit(env.reset_state),
    step=jax.jit(lambda s, a: env.step_state(None, s, a)),
    render=jax.jit(env.render),
  )


def test_implements_the_contract_under_jit_and_vmap(env):
  assert isinstance(env, base.Environment)
  keys = jax.random.split(jax.random.key(0), 5)
  states = jax.jit(jax.vmap(env.reset_state))(keys)
  actions = jnp.arange(5, dtype=jnp.int32) * 6
  states = jax.jit(jax.vmap(lambda k, s, a: env.step_state(k, s, a)))(keys, states, actions)
  frames = jax.jit(jax.vmap(env.render))(states)
  assert frames.shape == (5, *env.observation_shape) and frames.dtype == jnp.uint8
  assert jax.vmap(env.success, (0, 0))(states, states.goal).shape == (5,)
  assert env.observation_shape == (120, 64, 3) and env.num_actions == 30


def test_same_key_same_episode_and_other_keys_differ(env, fns):
  a, b, c = (
    fns.reset(jax.random.key(7)),
    fns.reset(jax.random.key(7)),
    fns.reset(jax.random.key(8)),
  )
  assert jax.tree.all(jax.tree.map(lambda x, y: bool(jnp.array_equal(x, y)), a, b))
  assert not np.array_equal(a.home, c.home)
  for action in (SWIPE_LEFT, SWIPE_UP, 9):
    a, b = fns.step(a, action), fns.step(b, action)
  np.testing.assert_array_equal(fns.render(a), fns.render(b))


def _home_cells(state):
  """(action, app) for every occupied cell of the current home page and the dock."""
  page = np.asarray(state.home[int(state.page) * layout.PAGE_CELLS :][: layout.PAGE_CELLS])
  out = [
    ((1 + i // layout.COLS) * layout.COLS + i % layout.COLS, int(app))
    for i, app in enumerate(page)
    if app != EMPTY
  ]
  dock = np.asarray(state.home[-layout.DOCK_CELLS :])
  return out + [(layout.DOCK_ROW * layout.COLS + i, int(app)) for i, app in enumerate(dock)]


def test_a_tap_on_an_icon_opens_exactly_that_app_and_back_returns(env, fns):
  screens = art.app_screens()
  for seed in range(3):
    state = fns.reset(jax.random.key(seed))
    home_frame = np.asarray(fns.render(state))
    for action, app in _home_cells(state):
      opened = fns.step(state, action)
      assert int(opened.app) == app, (seed, action)
      np.testing.assert_array_equal(fns.render(opened), screens[app, int(state.screen)])
      back = fns.step(opened, BACK)
      assert int(back.app) == NO_APP and not bool(back.drawer_open)
      np.testing.assert_array_equal(fns.render(back), home_frame)
    for action in range(layout.COLS):  # the search widget's row opens nothing
      assert int(fns.step(state, action).app) == NO_APP


def test_taps_in_the_drawer_open_that_app_and_back_returns_to_the_drawer(env, fns):
  state = fns.reset(jax.random.key(3))
  drawer = fns.step(fns.step(state, SWIPE_UP), SWIPE_UP)  # open, then next drawer page
  assert bool(drawer.drawer_open) and int(drawer.drawer_page) == 1
  frame = np.asarray(fns.render(drawer))
  listed = np.asarray(drawer.drawer[layout.DRAWER_CELLS : 2 * layout.DRAWER_CELLS])
  for i, app in enumerate(listed):
    opened = fns.step(drawer, (1 + i // layout.COLS) * layout.COLS + i % layout.COLS)
    assert int(opened.app) == int(app)
    back = fns.step(opened, BACK)
    assert bool(back.drawer_open) and int(back.drawer_page) == 1
    np.testing.assert_array_equal(fns.render(back), frame)
  home = fns.step(fns.step(drawer, 5), HOME)
  assert int(home.app) == NO_APP and not bool(home.drawer_open) and int(home.page) == 0


def test_swipes_turn_pages_and_scroll_and_close_the_drawer(env, fns):
  state = fns.reset(jax.random.key(11)).replace(page=jnp.int32(0))
  assert int(fns.step(state, SWIPE_LEFT).page) == 1
  assert int(fns.step(state, SWIPE_RIGHT).page) == 0  # clamped at the first page
  last = state.replace(page=jnp.int32(env.config.num_pages - 1))
  assert int(fns.step(last, SWIPE_LEFT).page) == env.config.num_pages - 1
  drawer = fns.step(state, SWIPE_UP)
  assert bool(drawer.drawer_open) and int(drawer.drawer_page) == 0
  assert not bool(fns.step(drawer, SWIPE_DOWN).drawer_open)
  assert not bool(fns.step(drawer, BACK).drawer_open)
  assert int(fns.step(fns.step(drawer, SWIPE_UP), SWIPE_DOWN).drawer_page) == 0


def test_the_oracle_reaches_every_goal_and_a_random_policy_rarely_does(env):
  keys = jax.random.split(jax.random.key(0), 512)  # diverse: every app is a goal
  ok, steps = jax.jit(jax.vmap(lambda k: solve_steps(env, k, env.max_steps)))(keys)
  assert float(ok.mean()) >= 0.95 and int(steps.max()) <= 4
  goals = np.asarray(jax.jit(jax.vmap(env.reset_state))(keys).goal)
  assert set(goals[np.asarray(ok)]) == set(range(apps.NUM_APPS))  # every app, from its own layouts

  def random_episode(key):
    state = env.reset_state(key)

    def body(carry, k):
      s, done = carry
      s = env.step_state(k, s, jax.random.randint(k, (), 0, env.num_actions))
      return (s, done | env.success(s, s.goal)), None

    (_, done), _ = jax.lax.scan(
      body, (state, jnp.zeros((), bool)), jax.random.split(key, env.max_steps)
    )
    return done

  random_rate = float(jax.jit(jax.vmap(random_episode))(keys).mean())
  assert random_rate < 0.1, random_rate


def test_every_app_is_placed_once_and_heldout_wallpapers_stay_out_of_training(env):
  states = jax.jit(jax.vmap(lambda k, p: env.reset_state(k, p)))(
    jax.random.split(jax.random.key(1), 200), jnp.repeat(jnp.arange(2), 100)
  )
  for home, drawer in zip(np.asarray(states.home), np.asarray(states.drawer), strict=True):
    placed = home[home != EMPTY]
    assert len(placed) == len(set(placed))
    assert sorted(drawer[drawer != EMPTY]) == list(range(apps.NUM_APPS))
  walls = np.asarray(states.wallpaper)
  assert not set(walls[:100]) & set(art.HELDOUT_WALLPAPERS)
  assert set(walls[100:]) <= set(art.HELDOUT_WALLPAPERS)
  screens, first_heldout = np.asarray(states.screen), art.NUM_SCREENS - art.HELDOUT_SCREENS
  assert screens[:100].max() < first_heldout <= screens[100:].min()
  assert len(set(screens[:100])) > 1 and len(set(screens[100:])) > 1


def test_one_apps_screen_differs_between_two_episodes(env, fns):
  """Content is drawn anew: two episodes (of either pool) that open the same app rarely show
  the same picture of it, and every app's drawings differ from each other."""
  shots = []
  for seed in range(6):
    state = fns.reset(jax.random.key(seed), seed % 2)
    cell = next(a for a, app in _home_cells(state) if app == int(state.home[-1]))
    shots.append((int(state.screen), np.asarray(fns.render(fns.step(state, cell))), seed % 2))
  assert len({s for s, _, _ in shots}) >= 5
  for (sa, a, _), (sb, b, _) in itertools.combinations(shots, 2):
    if sa != sb:
      assert _mean_abs(a, b) > 0.5
  drawings = art.app_screens()
  for i in range(apps.NUM_APPS):
    for v, w in itertools.combinations(range(0, art.NUM_SCREENS, 7), 2):
      assert _mean_abs(drawings[i, v], drawings[i, w]) > 0.5, (apps.APPS[i].name, v, w)


def _mean_abs(a, b):
  return np.abs(a.astype(np.float32) - b.astype(np.float32)).mean(axis=(-1, -2, -3))


def test_app_screens_are_pairwise_distinct_at_the_agent_and_clip_resolutions(env, fns):
  screens = art.app_screens()[:, 0]
  squash = PreprocessConfig(shortest_edge=None, resize_hw=(64, 64), crop_hw=None)
  small = np.asarray(resize(jnp.asarray(screens, jnp.float32), squash))
  states = [fns.reset(jax.random.key(s)) for s in range(4)]
  others = [fns.render(s) for s in states] + [fns.render(fns.step(s, SWIPE_UP)) for s in states]
  others_small = np.asarray(resize(jnp.asarray(np.stack(others), jnp.float32), squash))
  for images, rest in ((screens, np.stack(others)), (small, others_small)):
    for i, j in itertools.combinations(range(len(images)), 2):
      assert _mean_abs(images[i], images[j]) > 8.0, (apps.APPS[i].name, apps.APPS[j].name)
    assert _mean_abs(images[:, None], rest[None]).min() > 8.0


def test_no_training_caption_uses_the_action_phrasing_of_templates_a_and_b():
  for name in ("Gmail", "Google Sheets"):  # the check recognises both templates
    assert launcher_data.uses_action_phrasing(prompts.format_prompt("android_a", name))
    assert launcher_data.uses_action_phrasing(prompts.format_prompt("android_b", name))
    assert not launcher_data.uses_action_phrasing(prompts.format_prompt("android_d", name))
  keys = [launcher_data.APP + a for a in range(apps.NUM_APPS)] + [
    launcher_data.HOME,
    launcher_data.DRAWER,
    launcher_data.SWIPE,
  ]
  keys += [launcher_data.ICON + a for a in range(apps.NUM_APPS)]
  wordings = max(len(t) for t in launcher_data.TEMPLATES.values())
  captions = {launcher_data.caption(k, w) for k in keys for w in range(wordings)}
  assert len(captions) > apps.NUM_APPS * 10
  assert not [c for c in captions if launcher_data.uses_action_phrasing(c)]


def test_caption_data_facts_match_the_screens():
  env = launcher_data.launcher_env()
  cfg = launcher_data.RolloutConfig(num_envs=8, num_steps=8, swipe_fraction=0.5, image_size=32)
  out = jax.jit(launcher_data.make_rollout(env, cfg))(jax.random.key(0))
  frames, facts = np.asarray(out["frames"]), np.asarray(out["facts"])
  assert frames.shape == (64, 32, 32, 3) and facts.shape == (64, launcher_data.WIDTH)
  kinds = launcher_data.fact_kind(facts)
  assert (kinds[:, 0] == 0).sum() > 0 and (kinds[:, 1] >= 1).sum() > 0
  assert (facts[:, 2] == launcher_data.SWIPE).sum() > 0
  # Exactly one screen fact per frame: an app, or the home page / drawer.
  in_app = facts[:, 0] >= 0
  assert np.all(in_app != (facts[:, 1] >= 0))
  assert np.all(facts[facts[:, 2] >= 0, 1] == launcher_data.HOME)
  # Icons are named on home pages and in the drawer (not over an app, not mid-swipe).
  icons = facts[:, 3:] >= 0
  assert icons[~in_app & (facts[:, 2] < 0)].any(axis=1).all()
  assert not icons[in_app | (facts[:, 2] >= 0)].any()
  assert np.all(kinds[:, 3:][icons] == launcher_data.KINDS.index("icon"))


def test_shipped_config_rewards_the_goal_app_and_not_the_home_screen():
  """The training configs' env and reward (the bundled phone CLIP, template D, the other
  screens as negatives; the diverse config, whose goals include the common ones): the reward
  fires on the goal's app screen, not on the start screen or on another app's screen."""
  config = launcher_diverse.get_config()
  env = registry.make_env(config.env)
  model = trainer.build_reward_model(config, env.goals)
  keys = jax.random.split(jax.random.key(5), 16)
  starts = jax.vmap(lambda k: env.reset_state(k, 1))(keys)  # held-out wallpapers
  goal_app = jnp.asarray(env.goal_apps)[starts.goal]
  opened = starts.replace(app=goal_app)
  wrong = starts.replace(app=(goal_app + 1 + jnp.arange(16)) % apps.NUM_APPS)
  reward_fn = jax.jit(model.reward_fn)
  for states, expected in ((opened, 1.0), (starts, 0.0), (wrong, 0.0)):
    reward, _ = reward_fn(model.params, jax.vmap(env.render)(states), starts.goal)
    np.testing.assert_array_equal(reward, expected)
