"""Procedurally generated Playhouse in pure JAX (see `env.Playhouse`)."""

from envs.playhouse.config import PlayhouseConfig
from envs.playhouse.env import Playhouse
from envs.playhouse.state import PlayhouseState

__all__ = ["Playhouse", "PlayhouseConfig", "PlayhouseState"]
