"""Captioned Playhouse frames for contrastive CLIP pretraining, generated in JAX.

A jitted rollout (a vmapped batch of environments under `lax.scan`) visits frames with a
mix of oracle and random policies, so that positives (near, held, placed) are common, and
returns per frame a fixed-width vector of integer *facts* read from the state. The host turns
a sampled fact into a caption in varied words and tokenises each distinct string once.

Facts are integer keys (K = number of compositions, comp = colour * num_types + type):
  VISIBLE + comp: the object is in view        NEAR + comp: in view and within reach (Find)
  HELD + comp: the object is held (Lift)       COLOUR + c, TYPE + t: something of that colour
  EMPTY: no object in view                       / type is in view (attribute-only)
  FLOOR + comp: in view and within reach but not held (the hard negative of Lift)
  PAIR + a * K + b: a and b rest within reach of each other, both in view (Pick-and-place)
  APART + a * K + b: a and b rest in view, out of reach of each other (only with `relations`)
Captions naming a held-out composition (alone or in a pair) are never produced.

With `relations` (the Pick-and-place recipe), each caption also brings its counterfactual
as an extra text of the batch (`hard_negatives`: next to <-> apart, held <-> on the floor or
next to another object in view), so the contrast is between relations of the same objects,
not between objects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from envs.playhouse import Playhouse
from envs.playhouse.config import COLOUR_NAMES, FAMILY_NAMES, TYPE_NAMES
from envs.playhouse.goals import heldout_compositions, pairwise_near, with_article
from envs.playhouse.oracle import make_oracle

NUM_COLOURS, NUM_TYPES = len(COLOUR_NAMES), len(TYPE_NAMES)
K = NUM_COLOURS * NUM_TYPES
VISIBLE, NEAR, HELD = 0, K, 2 * K
COLOUR, TYPE, EMPTY = 3 * K, 3 * K + NUM_COLOURS, 3 * K + NUM_COLOURS + NUM_TYPES
FLOOR = 4 * K
PAIR = 5 * K
APART = PAIR + K * K
NUM_FACTS = APART + K * K
KINDS = ("visible", "near", "held", "colour", "type", "empty", "floor", "pair", "apart")
# The main job's house (experiments/configs/playhouse_find.py), without its goal restriction.
SMALL_HOUSE = dict(grid_size=8, min_rooms=1, max_rooms=1, num_objects=4, num_furniture=1)

TEMPLATES: dict[str, tuple[str, ...]] = {
  "visible": ("{a} in view", "I can see {a}", "a room with {a}", "{a} somewhere ahead"),
  "near": ("Go near {a}", "near {a}", "close to {a}", "{a} right in front", "{a} up close"),
  "held": ("holding {a}", "Lift {a}", "{a} lifted up", "carrying {a}", "picked up {a}"),
  "colour": ("something {c}", "{c_a} object", "{c_a} thing in the room"),
  "type": ("{t_a}", "a {t} of some colour", "there is {t_a} here"),
  "empty": ("an empty room", "a room with no objects", "an empty corridor", "a bare wall"),
  # Wording 0 of "floor" is what the Lift config's extra negatives say of every object
  # (`envs.playhouse.goals.object_phrases("{a} on the floor")`): near, not held.
  "floor": ("{a} on the floor", "{a} lying on the floor", "{a} on the floor in front"),
  "pair": ("Put {a} next to {b}", "{a} next to {b}", "{a} beside {b}", "{a} and {b} together"),
  # Wording i of "apart" is the counterfactual of wording i of "pair" (`hard_negative`).
  "apart": ("{a} and {b} apart", "{a} far from {b}", "{a} away from {b}", "{a} and {b} far apart"),
}
# Relative sampling weights of fact kinds when a frame has several true facts.
KIND_WEIGHTS = {
  "visible": 1.0,
  "near": 3.0,
  "held": 3.0,
  "colour": 0.5,
  "type": 0.5,
  "empty": 1.0,
  "floor": 3.0,
  "pair": 3.0,
  "apart": 2.0,
}


@dataclasses.dataclass(frozen=True)
class RolloutConfig:
  num_envs: int = 64  # environments stepped in parallel
  num_steps: int = 64  # steps per episode (one episode per environment per rollout)
  oracle_fraction: float = 0.7  # episodes driven by the oracle (others act at random)
  epsilon: float = 0.15  # random actions inside oracle episodes
  relations: bool = False  # also the APART facts (N * N more per frame)
  family_weights: tuple[float, ...] | None = None  # episode goal families (None: uniform)


class Rollout(NamedTuple):
  """Flat over (step, env): frames uint8[F,H,W,3], facts int32[F,NF] (-1 = none),
  goal int32[F], success bool[F] (of the episode's goal), oracle bool[F]."""

  frames: np.ndarray
  facts: np.ndarray
  goal: np.ndarray
  success: np.ndarray
  oracle: np.ndarray


def composition_words(comp: int) -> str:
  colour, kind = divmod(int(comp), NUM_TYPES)
  return f"{COLOUR_NAMES[colour]} {TYPE_NAMES[kind]}"


def num_state_facts(num_objects: int, relations: bool = False) -> int:
  """The length of `state_facts` for a house of `num_objects` objects (N)."""
  return 6 * num_objects + 1 + (1 + relations) * num_objects**2


def state_facts(env: Playhouse, state, relations: bool = False) -> jax.Array:
  """int32[num_state_facts(N, relations)] fact keys of one state (visible, near, held, colour,
  type: N each; empty: 1; floor: N; pair: N * N; with `relations` apart: N * N); -1 where a
  fact does not hold."""
  comp = state.obj_colour * NUM_TYPES + state.obj_type
  visible = env.visible(state)
  held = env.held_mask(state)
  near = visible & (env.distances(state) <= env.config.reach)
  close = pairwise_near(state.obj_pos, env.config.reach)
  rest = visible & ~held
  n = comp.shape[0]
  pair = rest[:, None] & rest[None, :] & close & ~jnp.eye(n, dtype=bool)
  keys = [
    jnp.where(visible, VISIBLE + comp, -1),
    jnp.where(near, NEAR + comp, -1),
    jnp.where(held, HELD + comp, -1),
    jnp.where(visible, COLOUR + state.obj_colour, -1),
    jnp.where(visible, TYPE + state.obj_type, -1),
    jnp.where(jnp.any(visible), -1, EMPTY)[None],
    jnp.where(near & ~held, FLOOR + comp, -1),
    jnp.where(pair, PAIR + comp[:, None] * K + comp[None, :], -1).reshape(-1),
  ]
  if relations:
    apart = rest[:, None] & rest[None, :] & ~close & ~jnp.eye(n, dtype=bool)
    keys.append(jnp.where(apart, APART + comp[:, None] * K + comp[None, :], -1).reshape(-1))
  return jnp.concatenate(keys).astype(jnp.int32)


def _sample_goals(
  key: jax.Array, env: Playhouse, n: int, heldout, family_weights=None
) -> jax.Array:
  """Goal ids with a uniform family (or one drawn by `family_weights`, one per family of the
  env), then a uniform goal of that family in the train or held-out pool (`heldout` may be
  traced)."""
  k_fam, k_train, k_held = jax.random.split(key, 3)
  if family_weights is None:
    fam = jax.random.randint(k_fam, (n,), 0, len(env.config.families))
  else:
    logits = jnp.log(jnp.asarray(family_weights, jnp.float32))
    fam = jax.random.categorical(k_fam, logits, shape=(n,))
  fam = jnp.asarray([FAMILY_NAMES.index(f) for f in env.config.families])[fam]

  def draw(k, pool):
    logits = jnp.where(jnp.asarray(env.goal_family[pool])[None] == fam[:, None], 0.0, -jnp.inf)
    return jnp.asarray(pool)[jax.random.categorical(k, logits)]

  return jnp.where(heldout, draw(k_held, env.heldout_goal_ids), draw(k_train, env.train_goal_ids))


def epsilon_oracle(oracle, num_actions: int, epsilon: float):
  """`act(key, state, is_oracle)`: the oracle's action for the state's goal, with probability
  `epsilon` a uniformly random one instead; always random where `is_oracle` is false."""

  def act(key, state, is_oracle):
    k_rand, k_eps = jax.random.split(key)
    rand = jax.random.randint(k_rand, (), 0, num_actions)
    use_oracle = is_oracle & (jax.random.uniform(k_eps) >= epsilon)
    return jnp.where(use_oracle, oracle(key, state, state.goal), rand)

  return act


def make_rollout(env: Playhouse, cfg: RolloutConfig):
  """A jittable `rollout(key, heldout=False) -> dict` of [T, E, ...] arrays (see `Rollout`);
  `heldout` (may be traced) draws the episodes' goals from the held-out pool."""
  act = epsilon_oracle(make_oracle(env), env.num_actions, cfg.epsilon)

  def step(carry, key):
    states, is_oracle = carry
    actions = jax.vmap(act)(jax.random.split(key, cfg.num_envs), states, is_oracle)
    states = jax.vmap(env.step_state)(jax.random.split(key, cfg.num_envs), states, actions)
    out = {
      "frames": jax.vmap(env.render)(states),
      "facts": jax.vmap(lambda s: state_facts(env, s, cfg.relations))(states),
      "goal": states.goal,
      "success": jax.vmap(env.success)(states, states.goal),
      "oracle": is_oracle,
    }
    return (states, is_oracle), out

  def rollout(key: jax.Array, heldout=False):
    k_goal, k_reset, k_pol, k_steps = jax.random.split(key, 4)
    goals = _sample_goals(k_goal, env, cfg.num_envs, heldout, cfg.family_weights)
    keys = jax.random.split(k_reset, cfg.num_envs)
    states = jax.vmap(lambda k, g: env.reset_state(k, goal_id=g))(keys, goals)
    is_oracle = jax.random.uniform(k_pol, (cfg.num_envs,)) < cfg.oracle_fraction
    _, out = jax.lax.scan(step, (states, is_oracle), jax.random.split(k_steps, cfg.num_steps))
    return out

  return rollout


def generate(rollout, seed: int, num_rollouts: int, heldout: bool = False) -> Rollout:
  """`num_rollouts` calls of a jitted `make_rollout` function, flattened to frames on the
  host (deterministic in `seed`)."""
  keys = jax.random.split(jax.random.key(seed), num_rollouts)
  parts = [rollout(k, heldout) for k in keys]
  flat = {
    name: np.concatenate([np.asarray(p[name]).reshape(-1, *p[name].shape[2:]) for p in parts])
    for name in Rollout._fields
  }
  return Rollout(**flat)


def policy_frames(
  env: Playhouse, num_envs: int, rollouts: int, seed: int, heldout: bool, oracle_fraction: float
) -> Rollout:
  """`generate` with the offline evaluation recipe: `rollouts` x `num_envs` full episodes,
  `oracle_fraction` of them by the epsilon-oracle (0.15), the rest random (0.6: offline_pr's
  oracle_mix; 0: a random walk)."""
  cfg = RolloutConfig(num_envs, env.max_steps, oracle_fraction, epsilon=0.15)
  return generate(jax.jit(make_rollout(env, cfg)), seed, rollouts, heldout)


def fact_kind(keys: np.ndarray) -> np.ndarray:
  """Index into KINDS of each fact key (any shape; -1 keys map to -1)."""
  bounds = np.asarray([NEAR, HELD, COLOUR, TYPE, EMPTY, FLOOR, PAIR, APART])
  kind = np.searchsorted(bounds, keys, side="right")
  return np.where(keys < 0, -1, kind)


def heldout_fact(keys: np.ndarray) -> np.ndarray:
  """bool: the fact names a held-out (colour, type) composition."""
  held = heldout_compositions()
  keys = np.asarray(keys)
  single = ((keys >= 0) & (keys < COLOUR)) | ((keys >= FLOOR) & (keys < PAIR))
  single = single & held[np.maximum(keys, 0) % K]
  a, b = np.divmod(np.maximum(keys - PAIR, 0) % (K * K), K)
  pair = (keys >= PAIR) & (held[a] | held[b])
  return single | pair


def caption(key: int, template: int) -> str:
  """The caption of fact `key` in wording `template` (taken modulo the kind's templates)."""
  kind = KINDS[int(fact_kind(np.asarray(key)))]
  options = TEMPLATES[kind]
  fmt = options[template % len(options)]
  if kind in ("pair", "apart"):
    a, b = divmod((int(key) - PAIR) % (K * K), K)
    return fmt.format(a=with_article(composition_words(a)), b=with_article(composition_words(b)))
  if kind == "colour":
    c = COLOUR_NAMES[int(key) - COLOUR]
    return fmt.format(c=c, c_a=with_article(c))
  if kind == "type":
    t = TYPE_NAMES[int(key) - TYPE]
    return fmt.format(t=t, t_a=with_article(t))
  if kind == "empty":
    return fmt
  return fmt.format(a=with_article(composition_words(int(key) % K)))


def kind_weight_table(kind_weights: Mapping[str, float] | None, defaults: Mapping[str, float]):
  """The weight of each fact kind, in the kinds' order: `defaults` with `kind_weights` in place."""
  unknown = set(kind_weights or {}) - set(defaults)
  weights = {**defaults, **(kind_weights or {})}
  if unknown or min(weights.values()) < 0 or max(weights.values()) <= 0:
    raise ValueError(
      f"Bad config: data.kind_weights={dict(kind_weights or {})} must give non-negative "
      f"weights, not all zero, to the fact kinds {list(defaults)}."
    )
  return np.asarray(list(weights.values()))


def sample_facts(
  rng: np.random.Generator, facts: np.ndarray, kind_weights: Mapping[str, float] | None = None
) -> np.ndarray:
  """One trainable fact per row of `facts` [B,NF], weighted by kind (`KIND_WEIGHTS`, with
  `kind_weights` in place where given; never held-out)."""
  kind = fact_kind(facts)
  weight = kind_weight_table(kind_weights, KIND_WEIGHTS)[np.maximum(kind, 0)]
  return pick_weighted(rng, facts, np.where((facts >= 0) & ~heldout_fact(facts), weight, 0.0))


def pick_weighted(rng: np.random.Generator, facts: np.ndarray, weight: np.ndarray) -> np.ndarray:
  """One entry per row of `facts` [B, NF], drawn with probability proportional to `weight`
  (0: never; Gumbel-max, one draw per entry)."""
  gumbel = rng.gumbel(size=facts.shape)
  score = np.where(weight > 0, np.log(np.maximum(weight, 1e-30)) + gumbel, -np.inf)
  return facts[np.arange(len(facts)), np.argmax(score, axis=-1)]


def hard_negative(keys: np.ndarray) -> np.ndarray:
  """The counterfactual fact of each key (same objects, the other relation): PAIR <-> APART,
  HELD <-> FLOOR; -1 for the other kinds."""
  keys = np.asarray(keys)
  swap = {PAIR: APART, APART: PAIR, HELD: FLOOR, FLOOR: HELD}
  out = np.full_like(keys, -1)
  for src, dst in swap.items():
    span = K * K if src >= PAIR else K
    inside = (keys >= src) & (keys < src + span)
    out = np.where(inside, keys - src + dst, out)
  return out


def hard_negatives(
  rng: np.random.Generator, facts: np.ndarray, chosen: np.ndarray, identity: float = 0.0
) -> np.ndarray:
  """One counterfactual caption per frame of `facts` [B, NF] for its `chosen` [B] fact:
  `hard_negative`, except that "holding a" with another object b in view gets "a next to b"
  half the time (carrying a towards b is not having put it there: the Pick-and-place reward's
  hardest negative), and that a pair caption ("a next to b", "a and b apart") gets, with
  probability `identity`, the same relation with one of its two objects swapped for another
  (an object in view where there is one, else any): which two, not only how they rest.
  Never a held-out composition; -1 where there is none."""
  hard = hard_negative(chosen)
  visible = (facts >= VISIBLE) & (facts < VISIBLE + K) & ~heldout_fact(facts)
  a = chosen - HELD
  other = visible & (facts != (VISIBLE + a)[:, None])
  b = pick_weighted(rng, facts, other.astype(float)) - VISIBLE
  swap = (chosen >= HELD) & (chosen < HELD + K) & other.any(axis=1)
  swap &= rng.uniform(size=len(chosen)) < 0.5
  hard = np.where(swap, PAIR + a * K + b, hard)
  if identity <= 0:
    return hard
  # Pair captions: keep the relation, put c in the place of a or of b (c is an object in view
  # other than the two where there is one, else a trainable composition other than the two).
  base = np.where(chosen >= APART, APART, PAIR)
  a, b = np.divmod(np.maximum(chosen - base, 0), K)
  named = (facts == (VISIBLE + a)[:, None]) | (facts == (VISIBLE + b)[:, None])
  in_view = visible & ~named
  trainable = np.flatnonzero(~heldout_compositions())
  c = rng.choice(trainable, len(chosen))
  for _ in range(2):  # step past a and b in the trainable list
    c = np.where(
      (c == a) | (c == b), trainable[(np.searchsorted(trainable, c) + 1) % len(trainable)], c
    )
  c = np.where(in_view.any(axis=1), pick_weighted(rng, facts, in_view.astype(float)) - VISIBLE, c)
  first = rng.uniform(size=len(chosen)) < 0.5
  swapped = base + np.where(first, c * K + b, a * K + c)
  use = (chosen >= PAIR) & (rng.uniform(size=len(chosen)) < identity)
  return np.where(use, swapped, hard)


def match_matrix(facts: np.ndarray, chosen: np.ndarray) -> np.ndarray:
  """bool[B, C]: caption j (fact chosen[j]) also holds for frame i (C = B captions, or 2B
  with their hard negatives)."""
  keys, column = np.unique(chosen, return_inverse=True)
  at = np.minimum(np.searchsorted(keys, facts), len(keys) - 1)  # [B, NF] index into keys
  found = keys[at] == facts
  hit = np.zeros((len(facts), len(keys)), bool)
  hit[np.nonzero(found)[0], at[found]] = True
  return hit[:, column]
