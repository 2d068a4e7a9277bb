"""Environments, host environments and agents by the names that configs give them.

The one module that knows every concrete environment and agent. The fused trainer asks it for
an `envs.base.Environment` (`make_env`) and an `agents.types.Agent` (`make_agent`); Sebulba
(experiments/sebulba.py) asks it for each actor's `envs.base.HostEnvBatch` (`make_host_envs`).
To add one, add a factory here, or name it in the config by import path,
`"package.module:factory"`, without touching this file (tests also add theirs to `ENVS` /
`HOST_ENVS` / `AGENTS` for the length of a test). In a Sebulba config an import path names a
host-env factory; a JAX environment runs there by its `ENVS` name, stepped on the host.
The reward's CLIP (`load_reward_clip`) is a `load_clip` source or, the same way, the import
path of a loader of another CLIP implementation.
"""

import dataclasses
import functools
import importlib
import json
import re
from collections.abc import Callable

import ml_collections

from agents import impala, networks
from agents.types import Agent
from envs import host
from envs.base import Environment, HostEnvBatch
from envs.launcher import Launcher, LauncherConfig, apps, layout
from envs.playhouse import Playhouse, PlayhouseConfig
from vlm_rewards.clip import load_clip
from vlm_rewards.reward_model import RewardCLIP


def _playhouse(**settings) -> Playhouse:
  return Playhouse(PlayhouseConfig(**settings))


def _launcher(**settings) -> Launcher:
  return Launcher(LauncherConfig(**settings))


def _impala(config: ml_collections.ConfigDict, num_actions: int, num_updates: int) -> Agent:
  network = networks.NetworkConfig(num_actions=num_actions, **config.network)
  learner = impala.ImpalaConfig(num_updates=num_updates, **config.learner)
  return impala.make_agent(network, learner)


def host_seed(config: ml_collections.ConfigDict, actor: int, restarts: int, i: int = 0) -> int:
  """The seed of environment `i` of actor `actor`'s batch after `restarts` rebuilds: every
  environment of a run, and every rebuild of it, draws its own episodes."""
  return config.seed * 100_003 + max(actor, 0) * 1009 + i * 7 + restarts * 100_000_007


def jax_host_envs(config: ml_collections.ConfigDict, actor: int, restarts: int) -> HostEnvBatch:
  """The config's JAX environment (`ENVS`) on the host, `sebulba.envs_per_actor` episodes."""
  env = _jax_env(config.env.to_json())  # one object for all actors: one compilation
  return host.JaxEnvBatch(env, config.sebulba.envs_per_actor, host_seed(config, actor, restarts))


@functools.lru_cache(maxsize=4)
def _jax_env(env_config_json: str) -> Environment:
  return make_env(ml_collections.ConfigDict(json.loads(env_config_json)))


def _android(config: ml_collections.ConfigDict, actor: int, restarts: int, load) -> HostEnvBatch:
  """android_env `OpenAppEnv`s: "Open <app>" for the apps of `env.task`, ground truth from the
  foreground app (`env.match`: its package or exact activity); `load(env config, seed,
  instance)` gives each one's android_env, instance `actor * envs_per_actor + i` of the run."""
  from envs.android import bridge  # android_env is imported by android runs only

  e, n = config.env, config.sebulba.envs_per_actor
  model = reward_model(config, [apps.APPS[i].name for i in apps.TASKS[e.task]])
  snapshot = e.emulator.snapshot if e.name == "android_emulator" else ""
  region = tuple(e.tap_region) if e.get("tap_region") else None
  envs = []
  try:
    for i in range(n):
      seed = host_seed(config, actor, restarts, i)
      envs.append(
        bridge.OpenAppEnv(
          load(e, seed, max(actor, 0) * n + i),
          model,
          max_steps=e.max_steps,
          seed=seed,
          match=e.get("match", "package"),
          snapshot=snapshot,
          tap_region=region,
        )
      )
  except BaseException:
    for env in envs:  # emulators launched before the failure
      env.close()
    raise
  return host.HostEnvs(envs, frame_shape=(layout.H, layout.W, 3), name=f"actor-{actor}")


def _load_simulator(e: ml_collections.ConfigDict, seed: int, instance: int):
  from envs.android import bridge, simulator

  del instance  # every simulator is its own
  sim = simulator.LauncherSimulatorConfig(scale=e.scale, seed=seed, pool=e.pool)
  return bridge.load_launcher_env(sim)


def emulator_settings(e: ml_collections.ConfigDict):
  """`env.emulator` as `envs.android.emulator.EmulatorSettings` (unknown keys are an error)."""
  from envs.android import emulator

  known = {f.name for f in dataclasses.fields(emulator.EmulatorSettings)}
  unknown = sorted(set(e.emulator) - known)
  if unknown:
    raise ValueError(
      f"Bad config: env.emulator has unknown keys {unknown}; known: {sorted(known)}."
    )
  return emulator.EmulatorSettings(**e.emulator.to_dict())


def _load_emulator(e: ml_collections.ConfigDict, seed: int, instance: int):
  from envs.android import emulator, task

  del seed  # the emulator's layout is the AVD's
  return emulator.load_emulator_env(
    emulator_settings(e), instance=instance, packages=task.app_packages(e.task)
  )


# env factory(**config.env without "name") -> Environment
ENVS: dict[str, Callable[..., Environment]] = {"playhouse": _playhouse, "launcher": _launcher}
# host-env factory(config, actor, restarts) -> HostEnvBatch of config.sebulba.envs_per_actor
# environments; `restarts` counts the actor's rebuilds after environment errors. Every name of
# `ENVS` is one too (`jax_host_envs`): a JAX environment stepped on the host.
HOST_ENVS: dict[str, Callable[..., HostEnvBatch]] = {
  "android_launcher": functools.partial(_android, load=_load_simulator),  # our simulator
  "android_emulator": functools.partial(_android, load=_load_emulator),  # a real AVD
}
# agent factory(config.agent, num_actions, num_updates) -> Agent; num_updates is the horizon
# of learning-rate schedules.
AGENTS: dict[str, Callable[..., Agent]] = {"impala": _impala}


def _factory(table: dict, kind: str, name) -> Callable:
  if isinstance(name, str) and ":" in name:
    module, _, attr = name.partition(":")
    key = kind if "." in kind else f"{kind}.name"
    try:
      return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
      raise ValueError(f"Bad config: {key}={name!r} cannot be imported: {e}.") from e
  if name not in table:
    raise ValueError(
      f"Bad config: {kind}.name must be one of {sorted(table)} or an import path "
      f"'package.module:factory', got {name!r}."
    )
  return table[name]


_IMPORT_PATH = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


def load_reward_clip(model: str, dtype) -> RewardCLIP:
  """The CLIP of `reward.model`: a `load_clip` source (a hub id, a local Hugging Face folder,
  "bundled"), or the import path "package.module:loader" of a function called as
  `loader(dtype=dtype)` that returns another implementation with what `RewardModel` uses
  (`vlm_rewards.reward_model.RewardCLIP`)."""
  if not _IMPORT_PATH.fullmatch(str(model)):
    return load_clip(model, dtype=dtype)
  clip = _factory({}, "reward.model", model)(dtype=dtype)
  missing = [name for name in RewardCLIP.__annotations__ if not hasattr(clip, name)]
  missing += [] if callable(getattr(clip, "embed_text", None)) else ["embed_text()"]
  if missing:
    raise ValueError(
      f"Bad config: reward.model={model!r} returned a {type(clip).__name__} without "
      f"{', '.join(missing)}; a CLIP loader returns an object with image_params, "
      "image_embed_fn, temperature and embed_text (vlm_rewards.reward_model.RewardCLIP)."
    )
  return clip


def make_env(config: ml_collections.ConfigDict) -> Environment:
  settings = {k: v for k, v in config.items() if k != "name"}
  return _factory(ENVS, "env", config.get("name"))(**settings)


def make_host_envs(config: ml_collections.ConfigDict, actor: int, restarts: int) -> HostEnvBatch:
  """Sebulba actor `actor`'s environments for the run's config (`env.name`: a name of
  `HOST_ENVS` or `ENVS`, or the import path of a host-env factory)."""
  table = {**dict.fromkeys(ENVS, jax_host_envs), **HOST_ENVS}
  return _factory(table, "env", config.env.get("name"))(config, actor, restarts)


def make_agent(config: ml_collections.ConfigDict, num_actions: int, num_updates: int) -> Agent:
  return _factory(AGENTS, "agent", config.get("name"))(config, num_actions, num_updates)


def reward_model(config: ml_collections.ConfigDict, goals, goal_slots=None):
  """The config's reward model over `goals` (`experiments.trainer.build_reward_model`), built
  once per process, so that host environments that score frames themselves (`OpenAppEnv`)
  and Sebulba's actors share one CLIP."""
  return _reward_model(config.to_json(), json.dumps([list(goals), goal_slots]))


@functools.lru_cache(maxsize=4)
def _reward_model(config_json: str, goals_json: str):
  from experiments import trainer  # it imports this module

  goals, goal_slots = json.loads(goals_json)
  config = ml_collections.ConfigDict(json.loads(config_json))
  return trainer.build_reward_model(config, goals, goal_slots)
