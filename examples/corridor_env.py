"""A tiny environment of the `envs.base` contract: the example of adding an environment.

A corridor of 7 cells with a coloured square at each end; the agent starts in the middle.
Goal "Go to the red square": stand on the square of that colour. The goal's colour is at a
random end, another colour at the other. Actions: 0 left, 1 right, 2 stay. The frame is
16x16 pixels: the corridor as vertical stripes, the squares in their colours, the agent white
over the top half of its cell.

A config names it by import path, `env.name="examples.corridor_env:Corridor"`, and
`experiments.registry.make_env` calls `Corridor` with the other keys of `config.env`
(`max_steps`); see examples/corridor_config.py. The tests use it as the smallest environment
that trains.
"""

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from envs import base

COLOURS = ("red", "green", "blue", "yellow")
RGB = np.array([[220, 30, 30], [30, 200, 30], [40, 60, 230], [230, 220, 30]], np.uint8)
CELLS, SIZE = 7, 16


@struct.dataclass
class CorridorState:
  pos: jax.Array  # int32 cell of the agent
  colours: jax.Array  # int32[2] colour ids of the left and right squares
  goal: jax.Array  # int32 goal id (= colour id)
  time: jax.Array  # int32 steps taken


class Corridor:
  goals = tuple(f"Go to the {c} square" for c in COLOURS)
  goal_pools = {"train": np.array([0, 1, 2], np.int32), "heldout": np.array([3], np.int32)}
  num_actions = 3
  observation_shape = (SIZE, SIZE, 3)

  def __init__(self, max_steps: int = 6):
    self.max_steps = max_steps

  def reset_state(self, key, pool=0):
    k_goal, k_side, k_other = jax.random.split(key, 3)
    goal = base.sample_goal(k_goal, self.goal_pools, pool)
    other = (goal + jax.random.randint(k_other, (), 1, len(COLOURS))) % len(COLOURS)
    left = jax.random.bernoulli(k_side)
    colours = jnp.where(left, jnp.stack([goal, other]), jnp.stack([other, goal]))
    return CorridorState(jnp.int32(CELLS // 2), colours.astype(jnp.int32), goal, jnp.int32(0))

  def step_state(self, key, state, action):
    del key
    move = jnp.array([-1, 1, 0], jnp.int32)[action]
    return state.replace(pos=jnp.clip(state.pos + move, 0, CELLS - 1), time=state.time + 1)

  def render(self, state):
    column = (jnp.arange(SIZE) - 1) // 2  # cell of each pixel column (-1 and 7: the walls)
    colour = jnp.where(column == 0, state.colours[0], state.colours[1])
    square = jnp.asarray(RGB)[colour]
    is_square = (column == 0) | (column == CELLS - 1)
    row = jnp.where(is_square[:, None], square, jnp.uint8(90))  # [W, 3]
    frame = jnp.broadcast_to(row[None], (SIZE, SIZE, 3))
    agent = (column == state.pos)[None, :, None] & (jnp.arange(SIZE) < SIZE // 2)[:, None, None]
    return jnp.where(agent, jnp.uint8(255), frame).astype(jnp.uint8)

  def goal(self, state):
    return state.goal

  def success(self, state, goal_id):
    at_end = (state.pos == 0) | (state.pos == CELLS - 1)
    colour = jnp.where(state.pos == 0, state.colours[0], state.colours[1])
    return at_end & (colour == goal_id)

  def truncated(self, state):
    return state.time >= self.max_steps
