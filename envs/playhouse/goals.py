"""Goal strings, their structure, the train / held-out split and ground-truth success.

A composition is a (colour, type) pair, id = colour * num_types + type. About 11% of the
compositions are held out: (colour + 2 * type) % num_colours == 0, which holds out exactly
one colour per type, so every colour word and every type word still appears in training.
A goal is held out when any composition it names is held out.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from envs.playhouse import geometry
from envs.playhouse.config import (
  COLOUR_NAMES,
  FAMILY_NAMES,
  FIND,
  LIFT,
  PLACE,
  TYPE_NAMES,
  PlayhouseConfig,
)
from envs.playhouse.state import PlayhouseState

NUM_COLOURS = len(COLOUR_NAMES)
NUM_TYPES = len(TYPE_NAMES)
NUM_COMPOSITIONS = NUM_COLOURS * NUM_TYPES


def heldout_compositions() -> np.ndarray:
  """bool[num_compositions]: True for held-out (colour, type) compositions."""
  colour, kind = np.divmod(np.arange(NUM_COMPOSITIONS), NUM_TYPES)
  return (colour + 2 * kind) % NUM_COLOURS == 0


def with_article(words: str) -> str:
  """`words` after its indefinite article: "a red duck", "an orange ball"."""
  return ("an " if words[0] in "aeiou" else "a ") + words


def _noun(colour: int, kind: int) -> str:
  return with_article(f"{COLOUR_NAMES[colour]} {TYPE_NAMES[kind]}")


def goal_text(family: int, tc: int, tt: int, rc: int, rt: int) -> str:
  if family == FIND:
    return f"Go near {_noun(tc, tt)}"
  if family == LIFT:
    return f"Lift {_noun(tc, tt)}"
  return f"Put {_noun(tc, tt)} next to {_noun(rc, rt)}"


def object_phrases(template: str) -> tuple[str, ...]:
  """`template` ("{a} on the floor") filled with every (colour, type) composition in turn:
  fixed prompts for `reward.extra_negatives` (held-out compositions included, as in the
  goal set)."""
  return tuple(template.format(a=_noun(c, t)) for c in range(NUM_COLOURS) for t in range(NUM_TYPES))


def pair_phrases(template: str) -> tuple[str, ...]:
  """`template` ("{a} and {b} apart") filled with every unordered pair of distinct
  compositions, a before b in composition order (5,778 prompts)."""
  nouns = [_noun(c, t) for c in range(NUM_COLOURS) for t in range(NUM_TYPES)]
  return tuple(template.format(a=a, b=b) for i, a in enumerate(nouns) for b in nouns[i + 1 :])


class GoalTables(NamedTuple):
  """Per-goal structure as int32 arrays (reference fields are -1 outside Pick-and-place)."""

  family: np.ndarray
  target_colour: np.ndarray
  target_type: np.ndarray
  ref_colour: np.ndarray
  ref_type: np.ndarray
  heldout: np.ndarray  # bool


def build_tables(families: tuple[str, ...]) -> tuple[tuple[str, ...], GoalTables]:
  rows = []
  comps = [divmod(c, NUM_TYPES) for c in range(NUM_COMPOSITIONS)]
  for name in families:
    fam = FAMILY_NAMES.index(name)
    if fam != PLACE:
      rows += [(fam, tc, tt, -1, -1) for tc, tt in comps]
    else:
      rows += [(fam, *a, *b) for a in comps for b in comps if a != b]
  table = np.asarray(rows, np.int32)
  held = heldout_compositions()
  target_held = held[table[:, 1] * NUM_TYPES + table[:, 2]]
  ref_comp = np.maximum(table[:, 3], 0) * NUM_TYPES + np.maximum(table[:, 4], 0)
  ref_held = (table[:, 3] >= 0) & held[ref_comp]
  tables = GoalTables(*table.T, heldout=target_held | ref_held)
  return tuple(goal_text(*r) for r in rows), tables


def goal_slots(tables: GoalTables) -> tuple[dict[str, str], ...]:
  """Per goal, the objects it names: {"target": "a red duck"}, plus "reference" for
  Pick-and-place (the words `envs.base.fill_goal_templates` fills in)."""
  slots = []
  for tc, tt, rc, rt in zip(
    tables.target_colour, tables.target_type, tables.ref_colour, tables.ref_type, strict=True
  ):
    words = {"target": _noun(tc, tt)}
    if rc >= 0:
      words["reference"] = _noun(rc, rt)
    slots.append(words)
  return tuple(slots)


def goal_compositions(tables: GoalTables, goal_ids) -> tuple[np.ndarray, np.ndarray]:
  """Target and reference composition ids (colour * num_types + type) of each goal id, int[...]
  each; the reference is -1 outside Pick-and-place."""
  goal_ids = np.asarray(goal_ids)
  target = tables.target_colour[goal_ids] * NUM_TYPES + tables.target_type[goal_ids]
  ref = np.where(
    tables.ref_colour[goal_ids] >= 0,
    tables.ref_colour[goal_ids] * NUM_TYPES + tables.ref_type[goal_ids],
    -1,
  )
  return target, ref


def pairwise_near(obj_pos: jax.Array, reach: float) -> jax.Array:
  """bool[N, N]: objects i and j are within `reach` of each other (the diagonal is True)."""
  diff = obj_pos[:, None, :] - obj_pos[None, :, :]
  return jnp.sum(diff * diff, axis=-1) <= reach**2


def _matches(state: PlayhouseState, colour: jax.Array, kind: jax.Array) -> jax.Array:
  return (state.obj_colour == colour) & (state.obj_type == kind)


def success(
  state: PlayhouseState, goal_id: jax.Array, tables: GoalTables, cfg: PlayhouseConfig
) -> jax.Array:
  """Ground truth of goal `goal_id` in `state` (bool scalar); vmappable over goal ids."""
  fam = jnp.asarray(tables.family)[goal_id]
  target = _matches(
    state, jnp.asarray(tables.target_colour)[goal_id], jnp.asarray(tables.target_type)[goal_id]
  )
  ref = _matches(
    state, jnp.asarray(tables.ref_colour)[goal_id], jnp.asarray(tables.ref_type)[goal_id]
  )
  held = geometry.held_mask(state)
  dist = geometry.slot_view(state, cfg.num_headings).distance
  find = jnp.any(target & geometry.visible(state, cfg) & (dist <= cfg.reach))
  lift = jnp.any(target & held)
  near = pairwise_near(state.obj_pos, cfg.reach)
  resting = ~held
  place = jnp.any((target & resting)[:, None] & (ref & resting)[None, :] & near)
  return jnp.select([fam == FIND, fam == LIFT], [find, lift], place)
