"""Goal-conditioned actor-critic networks (Flax linen) for the IMPALA-style agent.

One network = torso -> goal conditioning -> (LSTM core | feed-forward) -> policy and value heads.

Torsos (`NetworkConfig.torso`):
  impala_resnet   the IMPALA ResNet of Espeholt et al. 2018 (https://arxiv.org/abs/1802.01561)
                  on uint8 frames; 3 stacks (conv, max-pool stride 2, 2 residual blocks).
  cnn             a light strided CNN on uint8 frames (two strided convs).
  clip_embedding  an MLP on the frozen CLIP image embedding the reward model already computes
                  for every frame, so the agent needs no pixels at all.

Goal conditioning uses the frozen CLIP text embedding of the goal: a dense projection either
concatenated with the torso output (`concat`) or modulating it (`film`, Perez et al. 2017), or,
for the `cnn` torso, modulating its last feature map channel-wise before the spatial layout is
flattened away (`spatial_film`, as FiLM does for visual reasoning: "where is the thing the goal
names" is decided per location, which visual search such as finding an app icon needs).

Tap-grid policy head (`tap_grid=(rows, cols)`, `cnn` torso): for action spaces whose first
rows*cols actions are taps at the cells of a screen grid (android_env's discrete action
wrapper), each tap's logit is computed from the features of its own cell by one small MLP
shared across cells, so "tap where the goal's icon is" is learnt once for every position
instead of once per position; the other actions' logits and the value come from the whole
frame as usual. The tap logits read the current frame and goal only (not an LSTM core's state).

Everything is time-major. `unroll` runs the torso on all T*B frames at once and scans only the
LSTM core over time, resetting its state where `inputs.reset` is true (before that step is
processed). `step` is `unroll` with T=1. The torso may compute in bfloat16 (`dtype`);
parameters, the core and the heads stay float32, and outputs are float32.
"""

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import chex
import flax.linen as nn
import jax
import jax.numpy as jnp

from agents.types import AgentInput

Params = Any
TORSOS = ("impala_resnet", "cnn", "clip_embedding")
GOAL_CONDITIONINGS = ("concat", "film", "spatial_film")


@dataclasses.dataclass(frozen=True)
class NetworkConfig:
  """Static network settings (hashable, so it can close over jitted functions).

  Attributes:
    num_actions: size of the discrete action space.
    torso: one of `TORSOS`.
    hidden_size: width of torso outputs, the goal projection and the post-conditioning MLP.
    lstm_size: LSTM core width; 0 means feed-forward (the core state is `()`).
    goal_conditioning: "concat", "film" or "spatial_film" (`cnn` torso only).
    dtype: compute dtype of the torso, "float32" or "bfloat16".
    tap_grid: (rows, cols) when the first rows*cols actions are taps at the cells of that
      screen grid (row-major); their logits then come from per-cell features (`cnn` only).
  """

  num_actions: int
  torso: str = "cnn"
  hidden_size: int = 256
  lstm_size: int = 256
  goal_conditioning: str = "concat"
  dtype: str = "float32"
  tap_grid: tuple[int, int] | None = None

  def __post_init__(self):
    if self.tap_grid is not None:
      object.__setattr__(self, "tap_grid", tuple(int(n) for n in self.tap_grid))
      rows, cols = self.tap_grid if len(self.tap_grid) == 2 else (0, 0)
      if self.torso != "cnn":
        raise ValueError(f"tap_grid needs torso 'cnn' (a feature map), got {self.torso!r}")
      if rows < 1 or cols < 1 or rows * cols > self.num_actions:
        raise ValueError(
          f"tap_grid must be (rows, cols) with rows * cols <= num_actions "
          f"({self.num_actions}), got {self.tap_grid}"
        )
    if self.torso not in TORSOS:
      raise ValueError(f"torso must be one of {TORSOS}, got {self.torso!r}")
    if self.goal_conditioning == "spatial_film" and self.torso != "cnn":
      raise ValueError(f"goal_conditioning 'spatial_film' needs torso 'cnn', got {self.torso!r}")
    if self.goal_conditioning not in GOAL_CONDITIONINGS:
      raise ValueError(f"goal_conditioning must be one of {GOAL_CONDITIONINGS}")
    if self.num_actions < 1 or self.hidden_size < 1 or self.lstm_size < 0:
      raise ValueError(f"bad sizes in {self}")

  @property
  def uses_pixels(self) -> bool:
    return self.torso != "clip_embedding"


class AgentOutput(NamedTuple):
  logits: chex.Array  # float32[..., A]
  value: chex.Array  # float32[...]


class LSTMState(NamedTuple):
  cell: chex.Array  # float32[B, lstm_size]
  hidden: chex.Array  # float32[B, lstm_size]


class AgentNetwork(NamedTuple):
  """Pure functions of explicit params and core state; `jax.jit` them at the call site.

  init(key, inputs [B,...]) -> params
  initial_state(batch_size) -> LSTMState [B, lstm_size] of zeros, or () when feed-forward
  step(params, inputs [B,...], state) -> (AgentOutput [B,A] / [B], state)
  unroll(params, inputs [T,B,...], state) -> (AgentOutput [T,B,A] / [T,B], state)
  """

  config: NetworkConfig
  init: Callable[..., Params]
  initial_state: Callable[[int], LSTMState]
  step: Callable[..., tuple[AgentOutput, LSTMState]]
  unroll: Callable[..., tuple[AgentOutput, LSTMState]]


class ResidualBlock(nn.Module):
  channels: int
  dtype: Any

  @nn.compact
  def __call__(self, x):
    y = nn.Conv(self.channels, (3, 3), dtype=self.dtype)(nn.relu(x))
    y = nn.Conv(self.channels, (3, 3), dtype=self.dtype)(nn.relu(y))
    return x + y


class ImpalaResNet(nn.Module):
  """IMPALA ResNet torso on uint8 frames [N,H,W,3] -> [N,out_size]."""

  out_size: int
  dtype: Any
  channels: tuple[int, ...] = (16, 32, 32)

  @nn.compact
  def __call__(self, pixels):
    x = pixels.astype(self.dtype) / 255.0
    for ch in self.channels:
      x = nn.Conv(ch, (3, 3), dtype=self.dtype)(x)
      x = nn.max_pool(x, (3, 3), strides=(2, 2), padding="SAME")
      x = ResidualBlock(ch, self.dtype)(x)
      x = ResidualBlock(ch, self.dtype)(x)
    x = nn.relu(x).reshape(x.shape[0], -1)
    return nn.relu(nn.Dense(self.out_size, dtype=self.dtype)(x))


class StridedCNN(nn.Module):
  """Light torso on uint8 frames [N,H,W,3] -> [N,out_size]: two strided convs and a dense."""

  out_size: int
  dtype: Any

  @nn.compact
  def __call__(self, pixels, goal=None):
    """`goal` [N, G] (spatial FiLM): scales and shifts every channel of the last feature map,
    then a 1x1 convolution mixes them per location, before the flatten.

    Returns (features [N, out_size], the last feature map [N, h, w, 32] after ReLU).
    """
    x = pixels.astype(self.dtype) / 255.0
    x = nn.relu(nn.Conv(16, (8, 8), strides=(4, 4), dtype=self.dtype)(x))
    x = nn.Conv(32, (4, 4), strides=(2, 2), dtype=self.dtype)(x)
    if goal is not None:
      film = nn.Dense(64, kernel_init=nn.initializers.zeros, name="spatial_film")(goal)
      scale, shift = jnp.split(film.astype(self.dtype)[:, None, None, :], 2, axis=-1)
      x = nn.relu(x * (1.0 + scale) + shift)
      x = nn.Conv(32, (1, 1), dtype=self.dtype)(x)
    fmap = nn.relu(x)
    flat = fmap.reshape(x.shape[0], -1)
    return nn.relu(nn.Dense(self.out_size, dtype=self.dtype)(flat)), fmap


def cell_pool(fmap: chex.Array, grid: tuple[int, int]) -> chex.Array:
  """Averages a feature map [N, h, w, C] over the cells of a rows x cols grid -> [N, rows, cols, C].

  A feature row (column) belongs to the cell that holds its centre, so sizes need not divide.
  """

  def matrix(size, cells):
    owner = ((jnp.arange(size) + 0.5) * cells / size).astype(jnp.int32)
    member = (owner[None, :] == jnp.arange(cells)[:, None]).astype(fmap.dtype)
    return member / jnp.maximum(member.sum(axis=1, keepdims=True), 1)

  (rows, cols), (_, h, w, _) = grid, fmap.shape
  return jnp.einsum("nhwc,rh,qw->nrqc", fmap, matrix(h, rows), matrix(w, cols))


class EmbeddingMLP(nn.Module):
  """Torso on a (unit-norm) CLIP embedding [N,D] -> [N,out_size]; LayerNorm restores scale."""

  out_size: int
  dtype: Any

  @nn.compact
  def __call__(self, emb):
    x = nn.LayerNorm(dtype=self.dtype)(emb.astype(self.dtype))
    x = nn.relu(nn.Dense(self.out_size, dtype=self.dtype)(x))
    return nn.relu(nn.Dense(self.out_size, dtype=self.dtype)(x))


class ResetLSTM(nn.Module):
  """One LSTM step that first zeroes the state of batch entries whose `reset` is true."""

  features: int

  @nn.compact
  def __call__(self, state: LSTMState, xs):
    x, reset = xs
    keep = jnp.logical_not(reset)[:, None]
    carry = (state.cell * keep, state.hidden * keep)
    (cell, hidden), out = nn.OptimizedLSTMCell(self.features)(carry, x)
    return LSTMState(cell, hidden), out


class AgentModule(nn.Module):
  """Time-major network: (AgentInput [T,B,...], LSTMState [B,...]) -> (AgentOutput, LSTMState)."""

  config: NetworkConfig

  def _torso(self, inputs: AgentInput, goal=None) -> tuple[chex.Array, chex.Array | None]:
    """-> (features [N, hidden], the feature map [N, h, w, C] or None)."""
    cfg, dtype = self.config, jnp.dtype(self.config.dtype)
    if cfg.torso == "impala_resnet":
      return ImpalaResNet(cfg.hidden_size, dtype, name="torso")(inputs.pixels), None
    if cfg.torso == "cnn":
      return StridedCNN(cfg.hidden_size, dtype, name="torso")(inputs.pixels, goal)
    return EmbeddingMLP(cfg.hidden_size, dtype, name="torso")(inputs.image_emb), None

  def _tap_logits(self, fmap: chex.Array, goal: chex.Array) -> chex.Array:
    """Per-cell tap logits [N, rows*cols] from the cells' pooled features and the goal."""
    cfg = self.config
    cells = cell_pool(fmap, cfg.tap_grid).astype(jnp.float32)
    n, rows, cols, _ = cells.shape
    goal = nn.Dense(cells.shape[-1], name="tap_goal")(goal)[:, None, None, :]
    x = jnp.concatenate([cells, cells * goal], axis=-1)
    x = nn.relu(nn.Dense(cfg.hidden_size // 2, name="tap_hidden")(x))
    init = nn.initializers.variance_scaling(0.01, "fan_in", "normal")
    return nn.Dense(1, kernel_init=init, name="tap_logit")(x).reshape(n, rows * cols)

  def _condition(self, features: chex.Array, goal: chex.Array) -> chex.Array:
    """`goal`: the layer-normalised goal embedding."""
    cfg = self.config
    features = features.astype(jnp.float32)
    if cfg.goal_conditioning == "spatial_film":
      x = features  # conditioned inside the torso
    elif cfg.goal_conditioning == "film":
      scale_shift = nn.Dense(2 * cfg.hidden_size, kernel_init=nn.initializers.zeros, name="film")
      scale, shift = jnp.split(scale_shift(goal), 2, axis=-1)
      x = features * (1.0 + scale) + shift
    else:
      goal = nn.relu(nn.Dense(cfg.hidden_size, name="goal_proj")(goal))
      x = jnp.concatenate([features, goal], axis=-1)
    return nn.relu(nn.Dense(cfg.hidden_size, name="post_goal")(x))

  @nn.compact
  def __call__(self, inputs: AgentInput, state: LSTMState):
    cfg = self.config
    num_steps, batch = inputs.reset.shape
    flat = jax.tree.map(lambda x: x.reshape((num_steps * batch,) + x.shape[2:]), inputs)
    goal = nn.LayerNorm(name="goal_norm")(flat.goal_emb.astype(jnp.float32))
    spatial = goal if cfg.goal_conditioning == "spatial_film" else None
    features, fmap = self._torso(flat, spatial)
    x = self._condition(features, goal)
    x = x.reshape(num_steps, batch, -1)
    if cfg.lstm_size > 0:
      core = nn.scan(
        ResetLSTM,
        variable_broadcast="params",
        split_rngs={"params": False},
        in_axes=0,
        out_axes=0,
      )(cfg.lstm_size, name="core")
      state, x = core(state, (x, inputs.reset))
    num_taps = 0 if cfg.tap_grid is None else cfg.tap_grid[0] * cfg.tap_grid[1]
    logits = nn.Dense(
      cfg.num_actions - num_taps,
      kernel_init=nn.initializers.variance_scaling(0.01, "fan_in", "normal"),
    )(x)
    if num_taps:
      taps = self._tap_logits(fmap, goal).reshape(num_steps, batch, num_taps)
      logits = jnp.concatenate([taps, logits], axis=-1)
    value = nn.Dense(1, name="value")(x)[..., 0]
    return AgentOutput(logits=logits, value=value), state


def _check_inputs(config: NetworkConfig, inputs: AgentInput, lead_rank: int) -> None:
  chex.assert_rank(inputs.reset, lead_rank)
  chex.assert_type(inputs.reset, bool)
  chex.assert_rank(inputs.goal_emb, lead_rank + 1)
  if config.uses_pixels:
    if inputs.pixels is None:
      raise ValueError(f"torso {config.torso!r} needs inputs.pixels")
    chex.assert_rank(inputs.pixels, lead_rank + 3)
    chex.assert_type(inputs.pixels, jnp.uint8)
  elif inputs.image_emb is None:
    raise ValueError("torso 'clip_embedding' needs inputs.image_emb")


def _drop_unused(config: NetworkConfig, inputs: AgentInput) -> AgentInput:
  """Drops the observation the torso does not read, so callers may pass both."""
  if config.uses_pixels:
    return inputs._replace(image_emb=None)
  return inputs._replace(pixels=None)


def make_network(config: NetworkConfig) -> AgentNetwork:
  """Builds the pure functions of the network described by `config`."""
  module = AgentModule(config)

  def initial_state(batch_size: int) -> LSTMState | tuple:
    if config.lstm_size == 0:
      return ()  # feed-forward: no core state
    zeros = jnp.zeros((batch_size, config.lstm_size), jnp.float32)
    return LSTMState(cell=zeros, hidden=zeros)

  def unroll(params: Params, inputs: AgentInput, state: LSTMState):
    inputs = _drop_unused(config, inputs)
    _check_inputs(config, inputs, lead_rank=2)
    return module.apply(params, inputs, state)

  def step(params: Params, inputs: AgentInput, state: LSTMState):
    inputs = jax.tree.map(lambda x: x[None], _drop_unused(config, inputs))
    out, state = unroll(params, inputs, state)
    return jax.tree.map(lambda x: x[0], out), state

  def init(key: chex.PRNGKey, inputs: AgentInput) -> Params:
    inputs = jax.tree.map(lambda x: x[None], _drop_unused(config, inputs))
    _check_inputs(config, inputs, lead_rank=2)
    return module.init(key, inputs, initial_state(inputs.reset.shape[1]))

  return AgentNetwork(config, init, initial_state, step, unroll)
