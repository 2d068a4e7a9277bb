"""The launcher environment: a phone home screen in JAX, with "Open <app>" goals.

State, dynamics and rendering of one phone (callers vmap). Implements `envs.base.Environment`.

Actions, in the shape of android_env's discrete action wrapper: a tap at the centre of each
cell of the ROWS x COLS screen grid (action = row * COLS + col), then swipes (the finger
moves left, right, up, down), Home and Back:
  - a tap on an icon opens its app (home page, dock or drawer); taps elsewhere do nothing;
  - swipe left / right: next / previous home page;
  - swipe up: opens the app drawer, and in the drawer scrolls to its next page;
  - swipe down: in the drawer scrolls back, and from its first page closes it;
  - Home: closes the app and the drawer, back to the first home page;
  - Back: leaves the app (to the home page or drawer it was opened from), closes the drawer.
In an app, taps and swipes do nothing. Ground truth: the foreground app is the goal's app.

Per episode (`reset_state`): which apps sit in the dock and on which home page and cell (the
rest are only in the drawer), the drawer's order (a launcher sorted by use: positions there
must be found too), the wallpaper, the starting page, and which of its drawings each app's
screen shows (its content: rows, colours, lengths; `art.NUM_SCREENS` per app). Pool 0
("train") draws wallpapers and screens from the training sets, pool 1 ("heldout") from
wallpapers and screens kept out of all training frames, agent's and CLIP's alike; both pools
hold every goal, on fresh layouts.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from envs import base
from envs.launcher import apps, art, layout

SWIPE_LEFT, SWIPE_RIGHT, SWIPE_UP, SWIPE_DOWN, HOME, BACK = range(
  layout.ROWS * layout.COLS, layout.ROWS * layout.COLS + 6
)
ACTION_NAMES = tuple(f"tap_{r}_{c}" for r in range(layout.ROWS) for c in range(layout.COLS)) + (
  "swipe_left",
  "swipe_right",
  "swipe_up",
  "swipe_down",
  "home",
  "back",
)
EMPTY = apps.NUM_APPS  # the empty tile / no app in a cell
NO_APP = -1


@dataclasses.dataclass(frozen=True)
class LauncherConfig:
  """Static settings (they fix shapes or are Python constants).

  Attributes:
    task: "common" (goals: the 10 common apps) or "diverse" (all 60); all 60 are installed.
    num_pages: home pages of PAGE_CELLS cells each (plus the dock).
    occupancy: probability that a home-page cell holds an app.
    max_steps: the episode limit.
    scale: integer upscaling of the base 120 x 64 screen (nearest neighbour).
  """

  task: str = "common"
  num_pages: int = 3
  occupancy: float = 0.6
  max_steps: int = 32
  scale: int = 1

  def __post_init__(self):
    if self.task not in apps.TASKS:
      raise ValueError(f"task must be one of {sorted(apps.TASKS)}, got {self.task!r}.")
    if not 1 <= self.num_pages <= 8:
      raise ValueError(f"num_pages must be in 1..8, got {self.num_pages}.")
    if not 0.0 <= self.occupancy <= 1.0:
      raise ValueError(f"occupancy must be in [0, 1], got {self.occupancy}.")
    if self.max_steps < 1 or self.scale < 1:
      raise ValueError(f"max_steps and scale must be >= 1, got {self.max_steps}, {self.scale}.")


@struct.dataclass
class LauncherState:
  """One phone. home: int32[num_pages * PAGE_CELLS + DOCK_CELLS] app per cell (EMPTY if
  none; pages first, then the dock); drawer: int32[drawer pages * DRAWER_CELLS] apps in
  drawer order (EMPTY pads); page, drawer_page: int32; drawer_open: bool; app: int32
  foreground app or NO_APP; from_drawer: bool (where Back returns); wallpaper; screen: int32
  which drawing of each app's screen this episode shows; goal, time."""

  home: jax.Array
  drawer: jax.Array
  page: jax.Array
  drawer_page: jax.Array
  drawer_open: jax.Array
  app: jax.Array
  from_drawer: jax.Array
  wallpaper: jax.Array
  screen: jax.Array
  goal: jax.Array
  time: jax.Array


class Launcher:
  """A phone launcher with 60 apps and "Open <app>" goals (see the module docstring)."""

  action_names = ACTION_NAMES
  num_actions = len(ACTION_NAMES)

  def __init__(self, config: LauncherConfig | None = None):
    self.config = config or LauncherConfig()
    self.goal_apps = np.asarray(apps.TASKS[self.config.task], np.int32)
    self.goals = tuple(apps.APPS[i].name for i in self.goal_apps)
    self.drawer_pages = -(-apps.NUM_APPS // layout.DRAWER_CELLS)
    tiles = art.tiles()
    over = art.overlays(self.config.num_pages, self.drawer_pages)
    self._tiles_rgb, self._tiles_mask = jnp.asarray(tiles.rgb), jnp.asarray(tiles.mask)
    self._home_rgb, self._home_mask = jnp.asarray(over.home_rgb), jnp.asarray(over.home_mask)
    self._drawer_bg = jnp.asarray(over.drawer_bg)
    self._wallpapers = jnp.asarray(art.wallpapers())
    self._screens = jnp.asarray(art.app_screens())
    held = np.isin(np.arange(art.NUM_WALLPAPERS), art.HELDOUT_WALLPAPERS)
    self._wallpaper_pools = (np.flatnonzero(~held), np.flatnonzero(held))
    first_heldout = art.NUM_SCREENS - art.HELDOUT_SCREENS
    self._screen_pools = (np.arange(first_heldout), np.arange(first_heldout, art.NUM_SCREENS))

  @property
  def goal_pools(self) -> dict[str, np.ndarray]:
    ids = np.arange(len(self.goals), dtype=np.int32)
    return {"train": ids, "heldout": ids}

  @property
  def max_steps(self) -> int:
    return self.config.max_steps

  @property
  def observation_shape(self) -> tuple[int, int, int]:
    return (layout.H * self.config.scale, layout.W * self.config.scale, 3)

  @property
  def home_cells(self) -> int:
    return self.config.num_pages * layout.PAGE_CELLS + layout.DOCK_CELLS

  # ----------------------------------------------------------------------------- episodes

  def reset_state(self, key: jax.Array, pool=0, *, goal_id=None) -> LauncherState:
    base.check_pool(self.goal_pools, pool)
    k_goal, k_perm, k_cells, k_drawer, k_wall, k_page = jax.random.split(key, 6)
    if goal_id is None:
      goal_id = base.sample_goal(k_goal, self.goal_pools, pool)
    pages = self.config.num_pages * layout.PAGE_CELLS
    perm = jax.random.permutation(k_perm, apps.NUM_APPS).astype(jnp.int32)
    occupied = jax.random.uniform(k_cells, (pages,)) < self.config.occupancy
    rank = jnp.cumsum(occupied) - 1 + layout.DOCK_CELLS
    on_pages = jnp.where(
      occupied & (rank < apps.NUM_APPS), perm[jnp.minimum(rank, apps.NUM_APPS - 1)], EMPTY
    )
    home = jnp.concatenate([on_pages, perm[: layout.DOCK_CELLS]])
    drawer = jax.random.permutation(k_drawer, apps.NUM_APPS).astype(jnp.int32)
    drawer = jnp.pad(
      drawer, (0, self.drawer_pages * layout.DRAWER_CELLS - apps.NUM_APPS), constant_values=EMPTY
    )
    walls = [jax.random.choice(k_wall, jnp.asarray(w)) for w in self._wallpaper_pools]
    wallpaper = jnp.stack(walls)[jnp.asarray(pool, jnp.int32)].astype(jnp.int32)
    k_screen = jax.random.fold_in(key, 6)  # a key of its own, so the draws above stay as they were
    screens = [jax.random.choice(k_screen, jnp.asarray(s)) for s in self._screen_pools]
    screen = jnp.stack(screens)[jnp.asarray(pool, jnp.int32)].astype(jnp.int32)
    zero = jnp.zeros((), jnp.int32)
    return LauncherState(
      home=home.astype(jnp.int32),
      drawer=drawer,
      page=jax.random.randint(k_page, (), 0, self.config.num_pages),
      drawer_page=zero,
      drawer_open=jnp.zeros((), bool),
      app=jnp.full((), NO_APP, jnp.int32),
      from_drawer=jnp.zeros((), bool),
      wallpaper=wallpaper,
      screen=screen,
      goal=jnp.asarray(goal_id, jnp.int32),
      time=zero,
    )

  def tapped_app(self, state: LauncherState, action) -> jax.Array:
    """int32: the app a tap action lands on in this state (EMPTY if none or not a tap)."""
    row, col = jnp.divmod(jnp.asarray(action, jnp.int32), layout.COLS)
    is_tap = action < layout.ROWS * layout.COLS
    page_cell = state.page * layout.PAGE_CELLS + (row - 1) * layout.COLS + col
    dock_cell = self.config.num_pages * layout.PAGE_CELLS + col
    home_cell = jnp.where(row == layout.DOCK_ROW, dock_cell, page_cell)
    on_home = jnp.where(row >= 1, state.home[jnp.clip(home_cell, 0, self.home_cells - 1)], EMPTY)
    drawer_cell = state.drawer_page * layout.DRAWER_CELLS + (row - 1) * layout.COLS + col
    in_drawer = jnp.where(
      row >= 1, state.drawer[jnp.clip(drawer_cell, 0, state.drawer.shape[0] - 1)], EMPTY
    )
    target = jnp.where(state.drawer_open, in_drawer, on_home)
    return jnp.where(is_tap & (state.app == NO_APP), target, EMPTY)

  def step_state(self, key: jax.Array, state: LauncherState, action) -> LauncherState:
    """Deterministic (`key` is accepted for the contract's shape)."""
    del key
    action = jnp.asarray(action, jnp.int32)
    in_app, drawer = state.app != NO_APP, state.drawer_open
    on_home = ~in_app & ~drawer
    target = self.tapped_app(state, action)
    opens = target != EMPTY
    last_page, last_drawer = self.config.num_pages - 1, self.drawer_pages - 1
    page = state.page
    page = jnp.where(on_home & (action == SWIPE_LEFT), jnp.minimum(page + 1, last_page), page)
    page = jnp.where(on_home & (action == SWIPE_RIGHT), jnp.maximum(page - 1, 0), page)
    page = jnp.where(action == HOME, 0, page)
    dpage = state.drawer_page
    up, down = ~in_app & (action == SWIPE_UP), ~in_app & (action == SWIPE_DOWN)
    dpage = jnp.where(drawer & up, jnp.minimum(dpage + 1, last_drawer), dpage)
    dpage = jnp.where(drawer & down, jnp.maximum(dpage - 1, 0), dpage)
    dpage = jnp.where(on_home & up, 0, dpage)
    closes = (drawer & down & (state.drawer_page == 0)) | (action == HOME)
    closes |= drawer & ~in_app & (action == BACK)
    drawer_open = (drawer | (on_home & up)) & ~closes
    leaves = in_app & ((action == HOME) | (action == BACK))
    app = jnp.where(opens, target, jnp.where(leaves, NO_APP, state.app))
    return state.replace(
      page=page,
      drawer_page=dpage,
      drawer_open=drawer_open,
      app=app,
      from_drawer=jnp.where(opens, drawer, state.from_drawer),
      time=state.time + 1,
    )

  def goal(self, state: LauncherState) -> jax.Array:
    return state.goal

  def goal_app(self, goal_id) -> jax.Array:
    return jnp.asarray(self.goal_apps)[jnp.asarray(goal_id, jnp.int32)]

  def success(self, state: LauncherState, goal_id) -> jax.Array:
    return state.app == self.goal_app(goal_id)

  def truncated(self, state: LauncherState) -> jax.Array:
    return state.time >= self.config.max_steps

  # ----------------------------------------------------------------------------- pixels

  def screen_cells(self, state: LauncherState) -> jax.Array:
    """int32[ROWS, COLS] app per screen cell of the home page or drawer (EMPTY if none)."""
    cells = self._cells(state)
    return jnp.where(cells > apps.NUM_APPS, cells - (apps.NUM_APPS + 1), cells)

  def _cells(self, state: LauncherState) -> jax.Array:
    """int32[ROWS, COLS] tile per screen cell (dock tiles are offset by NUM_APPS + 1)."""
    page = jax.lax.dynamic_slice(
      state.home, (state.page * layout.PAGE_CELLS,), (layout.PAGE_CELLS,)
    )
    dock = state.home[-layout.DOCK_CELLS :] + (apps.NUM_APPS + 1)
    top = jnp.full((layout.COLS,), EMPTY, jnp.int32)
    home = jnp.concatenate([top, page, dock])
    start = state.drawer_page * layout.DRAWER_CELLS
    listed = jax.lax.dynamic_slice(state.drawer, (start,), (layout.DRAWER_CELLS,))
    drawer = jnp.concatenate([top, listed])
    return jnp.where(state.drawer_open, drawer, home).reshape(layout.ROWS, layout.COLS)

  def render(self, state: LauncherState) -> jax.Array:
    """uint8[H, W, 3]: the app's screen, or the drawer, or the home page."""
    cells = self._cells(state)

    def grid(t):  # [ROWS, COLS, CELL_H, CELL_W, ...] -> [H, W, ...]
      t = jnp.swapaxes(t, 1, 2)
      return t.reshape(layout.H, layout.W, *t.shape[4:])

    tile_rgb, tile_mask = grid(self._tiles_rgb[cells]), grid(self._tiles_mask[cells])
    background = jnp.where(
      state.drawer_open, self._drawer_bg[state.drawer_page], self._wallpapers[state.wallpaper]
    )
    img = jnp.where(tile_mask[..., None], tile_rgb, background)
    overlay = self._home_mask[state.page] & ~state.drawer_open
    img = jnp.where(overlay[..., None], self._home_rgb[state.page], img)
    img = jnp.where(
      state.app != NO_APP, self._screens[jnp.maximum(state.app, 0), state.screen], img
    )
    if self.config.scale > 1:
      img = jnp.repeat(jnp.repeat(img, self.config.scale, 0), self.config.scale, 1)
    return img
