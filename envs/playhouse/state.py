"""The traced state of a Playhouse episode."""

import jax
from flax import struct


@struct.dataclass
class PlayhouseState:
  """Everything about one episode; a pytree of fixed-shape arrays (G = grid, N = slots).

  Coordinates are in cells: x grows to the right (columns), y grows downwards (rows); the
  cell containing point (x, y) is `cells[floor(y), floor(x)]`; cell centres are at .5.

  Attributes:
    cells: int8[G, G] material per cell, indexed [y, x]: 0 empty floor, 1 wall,
      2 table, 3 shelf (`config.EMPTY/WALL/TABLE/SHELF`). Doorways are empty cells in walls.
    split: int32[2] (cx, cy): column of the vertical and row of the horizontal inner wall.
    num_rooms: int32 rooms in this house (1..4); rooms are the quadrants cut by `split`.
    room_floor, room_wall: int32[4] palette ids (`config.FLOOR_RGB`, `config.WALL_RGB`)
      of rooms 0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right (merged rooms share).
    room_floor_pattern, room_wall_pattern: int32[4] pattern ids (floor: plain, tiles,
      planks; wall: plain, stripes, wainscot).
    pos: float32[2] agent position (x, y).
    heading: int32 heading index; angle = heading * turn_degrees, 0 = +x, increasing
      angles turn right (clockwise on the top-down map).
    held: int32 slot of the held object, or -1.
    obj_pos: float32[N, 2] object positions (a held object follows the agent).
    obj_colour: int32[N] colour ids (`config.COLOUR_NAMES`).
    obj_type: int32[N] type ids (`config.TYPE_NAMES`).
    goal: int32 goal id (index into `env.goals`).
    time: int32 steps taken in this episode.
  """

  cells: jax.Array
  split: jax.Array
  num_rooms: jax.Array
  room_floor: jax.Array
  room_wall: jax.Array
  room_floor_pattern: jax.Array
  room_wall_pattern: jax.Array
  pos: jax.Array
  heading: jax.Array
  held: jax.Array
  obj_pos: jax.Array
  obj_colour: jax.Array
  obj_type: jax.Array
  goal: jax.Array
  time: jax.Array
