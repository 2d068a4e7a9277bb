"""AutoReset and the dm_env adapter on a tiny Playhouse."""

import dm_env
import jax
import jax.numpy as jnp
import numpy as np

from envs.playhouse import Playhouse, PlayhouseConfig
from envs.wrappers import AutoReset, DmEnvAdapter

CFG = PlayhouseConfig(grid_size=9, num_objects=3, num_furniture=1, height=16, width=16, max_steps=5)


def test_auto_reset_vmapped():
  env = AutoReset(Playhouse(CFG))
  keys = jax.random.split(jax.random.PRNGKey(0), 6)
  obs, state = jax.vmap(env.reset)(keys)
  step = jax.jit(jax.vmap(env.step))
  dones = []
  for t in range(CFG.max_steps + 2):
    keys = jax.random.split(jax.random.PRNGKey(t + 1), 6)
    obs, state, reward, done, info = step(keys, state, jnp.zeros(6, jnp.int32))  # no-ops
    dones.append(np.asarray(done))
  dones = np.stack(dones)
  assert dones[CFG.max_steps - 1].all() and not dones[: CFG.max_steps - 1].any()
  assert obs.pixels.shape == (6, 16, 16, 3)
  np.testing.assert_array_equal(state.time, 2)  # reset at the time limit, then 2 steps


def test_auto_reset_terminates_on_success_and_renders_fresh_state():
  base = Playhouse(CFG)
  env = AutoReset(base)
  _, state = env.reset(jax.random.PRNGKey(1))
  colour, kind = int(state.obj_colour[0]), int(state.obj_type[0])
  lift = np.flatnonzero(
    (base.goal_family == 1) & (base.goal_target_colour == colour) & (base.goal_target_type == kind)
  )[0]
  solved = state.replace(held=jnp.int32(0), goal=jnp.int32(lift))  # holding the Lift target
  obs, nxt, reward, done, info = jax.jit(env.step)(jax.random.PRNGKey(2), solved, 0)
  assert bool(done) and bool(info["success"]) and float(reward) == 1.0
  assert not bool(info["truncated"]) and int(nxt.time) == 0 and int(nxt.held) == -1
  np.testing.assert_array_equal(obs.pixels, jax.jit(base.render)(nxt))


def test_dm_env_adapter_episode():
  adapter = DmEnvAdapter(Playhouse(CFG), seed=0)
  ts = adapter.reset()
  assert ts.first() and ts.observation["pixels"].shape == (16, 16, 3)
  steps = 0
  while True:
    ts = adapter.step(0)
    steps += 1
    if ts.last():
      break
  assert steps == CFG.max_steps and ts.discount == 1.0  # truncation bootstraps
  assert adapter.step(0).step_type == dm_env.StepType.FIRST
  assert adapter.action_spec().num_values == 9
