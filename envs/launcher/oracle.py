"""A scripted oracle for "Open <app>": it reads the layout from the state (which the agent
cannot) and taps the goal's icon on the current page or dock, else swipes to the home page
that holds it, else opens the drawer and scrolls to it. At most 4 actions from any screen."""

import jax
import jax.numpy as jnp

from envs.launcher import layout
from envs.launcher.env import BACK, NO_APP, SWIPE_DOWN, SWIPE_LEFT, SWIPE_RIGHT, SWIPE_UP, Launcher


def make_oracle(env: Launcher):
  """`oracle(key, state, goal_id) -> int32 action` (pure; `key` unused)."""
  pages = env.config.num_pages * layout.PAGE_CELLS

  def oracle(key, state, goal_id):
    del key
    app = env.goal_app(goal_id)
    # Home: is it on a page (which, which cell) or in the dock?
    cell = jnp.argmax(state.home == app)
    on_home = jnp.any(state.home == app)
    in_dock = on_home & (cell >= pages)
    page, index = jnp.divmod(cell, layout.PAGE_CELLS)
    home_tap = jnp.where(
      in_dock,
      layout.DOCK_ROW * layout.COLS + cell - pages,
      (index // layout.COLS + 1) * layout.COLS + index % layout.COLS,
    )
    home_action = jnp.where(
      on_home & (in_dock | (page == state.page)),
      home_tap,
      jnp.where(on_home, jnp.where(page > state.page, SWIPE_LEFT, SWIPE_RIGHT), SWIPE_UP),
    )
    # Drawer: scroll to its page, then tap.
    slot = jnp.argmax(state.drawer == app)
    dpage, dindex = jnp.divmod(slot, layout.DRAWER_CELLS)
    drawer_tap = (dindex // layout.COLS + 1) * layout.COLS + dindex % layout.COLS
    drawer_action = jnp.where(
      dpage == state.drawer_page,
      drawer_tap,
      jnp.where(dpage > state.drawer_page, SWIPE_UP, SWIPE_DOWN),
    )
    # A wrong app is open: Back. (The right one ends the episode; Back there too.)
    action = jnp.where(state.drawer_open, jnp.where(on_home, BACK, drawer_action), home_action)
    return jnp.where(state.app != NO_APP, BACK, action).astype(jnp.int32)

  return oracle


def solve_steps(env: Launcher, key: jax.Array, num_steps: int, pool: int = 0):
  """(success bool, steps int32) of the oracle from a fresh episode; jittable."""
  oracle = make_oracle(env)
  state = env.reset_state(key, pool)

  def body(carry, _):
    s, done, steps = carry
    s = env.step_state(key, s, oracle(key, s, s.goal))
    ok = env.success(s, s.goal)
    return (s, done | ok, steps + ~(done | ok)), None

  (_, done, steps), _ = jax.lax.scan(
    body, (state, jnp.zeros((), bool), jnp.ones((), jnp.int32)), None, num_steps
  )
  return done, steps
