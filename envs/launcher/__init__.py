"""A phone launcher in pure JAX with "Open <app>" goals (see `env.Launcher`)."""

from envs.launcher.env import Launcher, LauncherConfig, LauncherState

__all__ = ["Launcher", "LauncherConfig", "LauncherState"]
