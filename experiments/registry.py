"""Environments and agents by the names that configs give them (`env.name`, `agent.name`).

The one module that knows every concrete environment and agent; the trainer asks it for an
`envs.base.Environment` and an `agents.types.Agent`. To add one, add a factory here, or name
it in the config by import path, `"package.module:factory"`, without touching this file
(tests also add theirs to `ENVS` / `AGENTS` for the length of a test).
"""

import importlib
from collections.abc import Callable

import ml_collections

from agents import impala, networks
from agents.types import Agent
from envs.base import Environment
from envs.launcher import Launcher, LauncherConfig
from envs.playhouse import Playhouse, PlayhouseConfig


def _playhouse(**settings) -> Playhouse:
  return Playhouse(PlayhouseConfig(**settings))


def _launcher(**settings) -> Launcher:
  return Launcher(LauncherConfig(**settings))


def _impala(config: ml_collections.ConfigDict, num_actions: int, num_updates: int) -> Agent:
  network = networks.NetworkConfig(num_actions=num_actions, **config.network)
  learner = impala.ImpalaConfig(num_updates=num_updates, **config.learner)
  return impala.make_agent(network, learner)


# env factory(**config.env without "name") -> Environment
ENVS: dict[str, Callable[..., Environment]] = {"playhouse": _playhouse, "launcher": _launcher}
# agent factory(config.agent, num_actions, num_updates) -> Agent; num_updates is the horizon
# of learning-rate schedules.
AGENTS: dict[str, Callable[..., Agent]] = {"impala": _impala}


def _factory(table: dict, kind: str, name) -> Callable:
  if isinstance(name, str) and ":" in name:
    module, _, attr = name.partition(":")
    try:
      return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
      raise ValueError(f"Bad config: {kind}.name={name!r} cannot be imported: {e}.") from e
  if name not in table:
    raise ValueError(
      f"Bad config: {kind}.name must be one of {sorted(table)} or an import path "
      f"'package.module:factory', got {name!r}."
    )
  return table[name]


def make_env(config: ml_collections.ConfigDict) -> Environment:
  settings = {k: v for k, v in config.items() if k != "name"}
  return _factory(ENVS, "env", config.get("name"))(**settings)


def make_agent(config: ml_collections.ConfigDict, num_actions: int, num_updates: int) -> Agent:
  return _factory(AGENTS, "agent", config.get("name"))(config, num_actions, num_updates)
