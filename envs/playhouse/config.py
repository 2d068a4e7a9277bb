"""Static configuration and name tables of the Playhouse.

Everything here is static: it fixes array shapes (grid size, object slots, resolution) or is
a Python constant. Traced per-episode quantities live in `state.PlayhouseState`.
"""

import dataclasses
import math

# Object colours (saturated, so they stand out against the muted rooms).
COLOUR_NAMES = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink", "white")
COLOUR_RGB = (
  (220, 38, 38),
  (245, 135, 20),
  (240, 215, 30),
  (40, 175, 60),
  (30, 200, 215),
  (40, 80, 230),
  (140, 55, 205),
  (250, 120, 190),
  (245, 245, 245),
)
# Object types; silhouettes are in `sprites.py`, in this order.
TYPE_NAMES = (
  "ball",
  "cube",
  "duck",
  "teddy bear",
  "car",
  "robot",
  "mug",
  "boat",
  "plane",
  "lamp",
  "rocket",
  "guitar",
)
FAMILY_NAMES = ("find", "lift", "place")
FIND, LIFT, PLACE = 0, 1, 2

# Room palettes (muted), sampled per room without replacement.
WALL_RGB = (
  (226, 214, 188),
  (168, 190, 212),
  (172, 198, 160),
  (192, 176, 208),
  (228, 188, 162),
  (204, 204, 204),
)
FLOOR_RGB = (
  (160, 118, 78),
  (112, 112, 124),
  (204, 188, 150),
  (72, 112, 112),
  (168, 92, 70),
  (98, 72, 52),
)
CEILING_RGB = (236, 234, 226)
NUM_FLOOR_PATTERNS = 3  # plain, tiles, planks
NUM_WALL_PATTERNS = 3  # plain, striped wallpaper, wainscot

# Cell materials of `PlayhouseState.cells` (2 bits each, packed into uint32 rows).
EMPTY, WALL, TABLE, SHELF = 0, 1, 2, 3
MATERIAL_HEIGHT = {TABLE: 0.35, SHELF: 0.8}  # in cells; walls are 1, the camera is at 0.5
TABLE_RGB = (150, 100, 60)
TABLE_TOP_RGB = (190, 140, 90)
SHELF_RGB = (105, 72, 48)

# Actions.
NOOP, FORWARD, BACKWARD, TURN_LEFT, TURN_RIGHT, STRAFE_LEFT, STRAFE_RIGHT, GRAB, DROP = range(9)
ACTION_NAMES = (
  "noop",
  "forward",
  "backward",
  "turn_left",
  "turn_right",
  "strafe_left",
  "strafe_right",
  "grab",
  "drop",
)


@dataclasses.dataclass(frozen=True)
class PlayhouseConfig:
  """Static settings of a Playhouse; they fix shapes, so changing one recompiles.

  Lengths are in grid cells. Angles are in degrees. The default is the benchmark setting.
  """

  grid_size: int = 12  # G: the house is a GxG grid including the outer walls (G <= 16)
  min_rooms: int = 1
  max_rooms: int = 4  # rooms per episode are sampled uniformly in [min_rooms, max_rooms]
  num_objects: int = 8  # static object slots; the goal's objects are always among them
  num_furniture: int = 4  # tables and shelves placed against walls
  height: int = 64
  width: int = 64
  fov_degrees: float = 70.0
  max_steps: int = 128  # time limit; reaching it truncates the episode
  families: tuple[str, ...] = FAMILY_NAMES  # goal families in `env.goals`
  move_step: float = 0.5
  turn_degrees: float = 30.0  # 360 / turn_degrees headings
  agent_radius: float = 0.25
  reach: float = 1.5  # Find / grab / Pick-and-place distance
  grab_degrees: float = 40.0  # half-angle of the grab cone
  drop_distance: float = 1.0  # far enough ahead that the dropped object hides little behind it
  sprite_layers: int = 2  # nearest sprites composited per screen column
  map_cell_px: int = 8  # top-down map: pixels per cell

  def __post_init__(self):
    """Clear errors naming the field, its value and the allowed range (bad configs fail here)."""
    min_grid = 9 if self.max_rooms >= 2 else 8
    headings = 360.0 / self.turn_degrees
    checks = [
      (1 <= self.min_rooms <= self.max_rooms <= 4, "min_rooms <= max_rooms, both in [1, 4]"),
      (min_grid <= self.grid_size <= 16, f"grid_size in [{min_grid}, 16]"),
      (self.num_objects >= 2, "num_objects >= 2"),
      (self.num_furniture >= 0, "num_furniture >= 0"),
      (self.height % 2 == 0 and self.height >= 16, "height even and >= 16"),
      (self.width >= 16, "width >= 16"),
      (10.0 <= self.fov_degrees <= 150.0, "fov_degrees in [10, 150]"),
      (self.max_steps >= 1, "max_steps >= 1"),
      (
        bool(self.families) and set(self.families) <= set(FAMILY_NAMES),
        f"families a non-empty subset of {FAMILY_NAMES}",
      ),
      (abs(headings - round(headings)) < 1e-6, "turn_degrees dividing 360"),
      (0.0 < self.agent_radius < 0.5, "agent_radius in (0, 0.5)"),
      (0.0 < self.move_step < 1.0 - self.agent_radius, "move_step in (0, 1 - agent_radius)"),
      (1 <= self.sprite_layers <= self.num_objects, "sprite_layers in [1, num_objects]"),
    ]
    bad = [rule for ok, rule in checks if not ok]
    if bad:
      raise ValueError(f"Bad PlayhouseConfig: needs {'; '.join(bad)}. Got {self}.")

  @property
  def num_headings(self) -> int:
    return round(360.0 / self.turn_degrees)

  @property
  def tan_half_fov(self) -> float:
    return math.tan(math.radians(self.fov_degrees) / 2.0)

  @property
  def focal(self) -> float:
    """Focal length in pixels (square pixels: used for both axes)."""
    return (self.width / 2.0) / self.tan_half_fov
