"""Captioned launcher screens for contrastive CLIP pretraining (the phone domain).

The counterpart of `experiments.pretraining.clip_data` for `envs.launcher`: a jitted rollout of a
batch of phones (the scripted oracle with random actions mixed in, and random policies) returns per
frame the screen, resized to the CLIP's square input, and integer facts read from the state:

  APP + a: app a is open          HOME: a home page is shown       DRAWER: the drawer is open
  SWIPE: the frame is mid-swipe between two home pages (drawn from both pages)
  ICON + a: app a's icon is on screen (home page, dock or drawer page)

Apps are named in two contexts, open and as an icon, as on the web (screenshots of an app,
and of home screens, app stores and logos that show its icon): a caption's app name alone
does not say which screen it is, so a reward prompt must describe the state it wants.

Captions describe what the screen shows in varied words, the way web captions do ("the Gmail
app showing an inbox", "an Android home screen"). The action phrasings of the paper's prompt
templates A "Open X" and B "Open the X app" never appear (`uses_action_phrasing`), which is
what the prompt study (Fig. 5) tests. Frames come from training wallpapers only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from envs.launcher import Launcher, LauncherConfig, apps, layout
from envs.launcher.oracle import make_oracle
from experiments.pretraining import clip_data
from vlm_rewards.preprocess import PreprocessConfig, resize

APP, HOME, DRAWER, SWIPE, ICON = (
  0,
  apps.NUM_APPS,
  apps.NUM_APPS + 1,
  apps.NUM_APPS + 2,
  apps.NUM_APPS + 3,
)
WIDTH = 3 + layout.DRAWER_CELLS  # screen facts, then the icons on screen (at most a drawer page)
KINDS = ("app", "home", "drawer", "swipe", "icon")
# Per fact; a home page shows ~14 icons, so icons get about 1.4 of a home frame's weight.
KIND_WEIGHTS = {"app": 3.0, "home": 1.0, "drawer": 1.0, "swipe": 1.0, "icon": 0.1}

SCREEN_WORDS = {
  "inbox": "an inbox", "sheet": "a spreadsheet", "browser": "a web page",
  "calculator": "a calculator keypad", "clock": "a clock face", "chat": "a chat conversation",
  "dialer": "a dial pad", "calendar": "a month calendar", "document": "a text document",
  "slides": "presentation slides", "camera": "the camera viewfinder", "gallery": "a photo grid",
  "maps": "a map", "video": "a list of videos", "player": "a music player",
  "settings": "settings switches", "store": "apps for download", "contacts": "a contact list",
  "files": "folders", "notes": "coloured notes", "translate": "a translation",
  "videocall": "a video call", "todo": "a to-do list", "recorder": "an audio waveform",
  "terminal": "a command line", "flashcards": "a flashcard", "quiz": "a language lesson",
  "reader": "an article", "weather": "the weather forecast", "fitness": "activity rings",
  "wallet": "a payment card", "stocks": "a stock chart", "shop": "products for sale",
  "stars": "a star chart", "globe": "the globe", "editor": "a photo being edited",
}  # fmt: skip
TEMPLATES: dict[str, tuple[str, ...]] = {
  "app": (
    "the {name} app showing {screen}",
    "{name} open on an Android phone",
    "{name} on an Android phone",
    "{screen} in {name}",
    "a phone screen showing {name}",
    "{name}",
    "the {label} app",
    "an Android phone running {name}",
    "the main screen of {name}",
    "a screenshot of {name}",
    "a screenshot of the {label} app on a phone",
    "{label} with {screen}",
  ),
  "home": (
    "a phone home screen with app icons",
    "an Android home screen",
    "app icons on a home screen",
    "a home screen with a wallpaper",
    "the home screen of an Android phone",
    "a launcher with a dock of apps",
  ),
  "drawer": (
    "the app drawer listing all apps",
    "an Android app drawer",
    "a list of installed apps",
    "a grid of app icons on a dark background",
    "all apps in the drawer",
  ),
  "swipe": ("swiping between home screens", "a home screen mid-swipe", "two home pages sliding"),
  "icon": (
    "the {name} icon on a home screen",
    "a home screen with the {name} icon",
    "{label} icon",
    "the {name} app icon",
    "the {name} logo on a phone",
    "app icons including {name}",
  ),
}
_ACTION = re.compile(r"^\s*open\b|\bopen the\b.*\bapp\b", re.IGNORECASE)


def uses_action_phrasing(text: str) -> bool:
  """True for the phrasings of templates A ("Open X") and B ("Open the X app")."""
  return bool(_ACTION.search(text))


@dataclasses.dataclass(frozen=True)
class RolloutConfig:
  num_envs: int = 64
  num_steps: int = 16  # steps per episode (one episode per phone per rollout)
  oracle_fraction: float = 0.6  # phones driven by the oracle (others act at random)
  epsilon: float = 0.2  # random actions inside oracle episodes
  swipe_fraction: float = 0.15  # home frames drawn mid-swipe
  image_size: int | None = 64  # frames are squashed to this square (the CLIP's input); None: raw


def state_facts(env: Launcher, state) -> jax.Array:
  """int32[WIDTH] fact keys of one phone state (-1 where none)."""
  in_app = state.app >= 0
  screen = jnp.where(in_app, -1, jnp.where(state.drawer_open, DRAWER, HOME))
  cells = env.screen_cells(state).reshape(-1)[layout.COLS :]  # below the search bar
  icons = jnp.where((cells < apps.NUM_APPS) & ~in_app, ICON + cells, -1)
  head = jnp.stack([jnp.where(in_app, APP + state.app, -1), screen, jnp.int32(-1)])
  return jnp.concatenate([head, icons]).astype(jnp.int32)


def _mid_swipe(env: Launcher, state, key) -> jax.Array:
  """The home page and its neighbour side by side, cut at a random column."""
  k_dir, k_cut = jax.random.split(key)
  step = jnp.where(jax.random.bernoulli(k_dir), 1, -1)
  other = jnp.clip(state.page + step, 0, env.config.num_pages - 1)
  other = jnp.where(other == state.page, state.page - step, other)
  a, b = env.render(state), env.render(state.replace(page=other))
  width = a.shape[1]
  cut = jax.random.randint(k_cut, (), width // 8, width - width // 8)
  cols = jnp.arange(width)
  forward = other > state.page  # the next page enters from the right
  src = jnp.where(forward, (cols + cut) % width, (cols - cut) % width)
  from_a = jnp.where(forward, cols < width - cut, cols >= cut)
  return jnp.where(from_a[None, :, None], a[:, src], b[:, src])


def make_rollout(env: Launcher, cfg: RolloutConfig, pool: int = 0):
  """A jittable `rollout(key) -> dict` of flat [T*E] arrays: "frames" uint8[s, s, 3] (raw
  [H, W, 3] if `cfg.image_size` is None), "facts" int32[WIDTH], the episode's "goal" id and its
  ground-truth "success" (the goal's app is open), "oracle" (driven by the oracle).
  Episodes use wallpapers of goal pool `pool` (0: training wallpapers)."""
  act = clip_data.epsilon_oracle(make_oracle(env), env.num_actions, cfg.epsilon)
  squash = PreprocessConfig(shortest_edge=None, resize_hw=(cfg.image_size or 1,) * 2, crop_hw=None)

  def observe(state, key):
    k_swipe, k_draw = jax.random.split(key)
    on_home = (state.app < 0) & ~state.drawer_open & (env.config.num_pages > 1)
    swiped = on_home & (jax.random.uniform(k_swipe) < cfg.swipe_fraction)
    frame = jax.lax.cond(swiped, lambda: _mid_swipe(env, state, k_draw), lambda: env.render(state))
    facts = state_facts(env, state)
    facts = jnp.where(swiped, facts.at[3:].set(-1), facts).at[2].set(jnp.where(swiped, SWIPE, -1))
    return frame, facts

  def step(carry, key):
    states, is_oracle = carry
    keys = jax.random.split(key, 2 * cfg.num_envs)
    actions = jax.vmap(act)(keys[: cfg.num_envs], states, is_oracle)
    states = jax.vmap(env.step_state)(keys[: cfg.num_envs], states, actions)
    frames, facts = jax.vmap(observe)(states, keys[cfg.num_envs :])
    success = jax.vmap(env.success)(states, states.goal)
    return (states, is_oracle), {
      "frames": frames,
      "facts": facts,
      "goal": states.goal,
      "success": success,
      "oracle": is_oracle,
    }

  def rollout(key: jax.Array):
    k_reset, k_pol, k_steps = jax.random.split(key, 3)
    resets = jax.random.split(k_reset, cfg.num_envs)
    states = jax.vmap(lambda k: env.reset_state(k, pool))(resets)
    is_oracle = jax.random.uniform(k_pol, (cfg.num_envs,)) < cfg.oracle_fraction
    _, out = jax.lax.scan(step, (states, is_oracle), jax.random.split(k_steps, cfg.num_steps))
    out = jax.tree.map(lambda x: x.reshape(-1, *x.shape[2:]), out)
    if cfg.image_size is not None:
      out["frames"] = resize(out["frames"].astype(jnp.float32), squash).astype(jnp.uint8)
    return out

  return rollout


def fact_kind(keys: np.ndarray) -> np.ndarray:
  """Index into KINDS of each fact key (-1 keys map to -1)."""
  keys = np.asarray(keys)
  kind = np.select([keys < HOME, keys == HOME, keys == DRAWER, keys == SWIPE], [0, 1, 2, 3], 4)
  return np.where(keys < 0, -1, kind)


def caption(key: int, wording: int) -> str:
  """The caption of fact `key` in wording `wording` (modulo the kind's templates)."""
  kind = KINDS[int(fact_kind(np.asarray(key)))]
  options = TEMPLATES[kind]
  text = options[wording % len(options)]
  if kind not in ("app", "icon"):
    return text
  app = apps.APPS[int(key) - (APP if kind == "app" else ICON)]
  return text.format(name=app.name, label=app.label, screen=SCREEN_WORDS[app.kind])


def sample_facts(
  rng: np.random.Generator, facts: np.ndarray, kind_weights: Mapping[str, float] | None = None
) -> np.ndarray:
  """One fact per row of `facts` [B, WIDTH], weighted by kind (`KIND_WEIGHTS`, with
  `kind_weights` in place where given)."""
  kind = fact_kind(facts)
  weight = clip_data.kind_weight_table(kind_weights, KIND_WEIGHTS)[np.maximum(kind, 0)]
  return clip_data.pick_weighted(rng, facts, np.where(facts >= 0, weight, 0.0))


def launcher_env() -> Launcher:
  """The phone the data comes from: every app a goal (the oracle's target). The rollout never
  asks for truncation, so the episode limit plays no part."""
  return Launcher(LauncherConfig(task="diverse"))
