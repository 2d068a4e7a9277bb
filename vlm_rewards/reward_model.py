"""The reward model: a frozen CLIP, a goal set and a reward rule, as one jittable function.

Text embeddings of every goal (and the baseline prompt) are computed once at construction;
per step only the image tower runs. They travel in `RewardModel.params` with the image tower,
as arguments of the jitted function rather than constants compiled into it (a new goal set of
the same size needs no recompile, and a sharded trainer replicates them like any parameter)::

  rm = RewardModel(clip, env.goals, templates="photo", num_negatives=8, threshold=0.5)
  reward_fn = jax.jit(rm.reward_fn)
  reward, probability = reward_fn(rm.params, frames_uint8, goal_ids)

Goal ids outside [0, N) raise a ValueError where they are concrete. Inside jit they cannot
raise, and JAX indexing would score them as another goal (a negative id wraps, a large one
is clamped to the last goal), so their rows get reward 0 and probability NaN instead: NaN
never passes the threshold and shows in any mean of the probabilities. To have jitted code
report them, use the checked variant, whose error says which ids were out of range::

  err, (reward, probability) = jax.jit(rm.checked_reward_fn)(rm.params, frames_uint8, goal_ids)
  err.throw()  # raises checkify.JaxRuntimeError on the host if an id was out of range
"""

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

import chex
import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify

from vlm_rewards import rewards
from vlm_rewards.prompts import ensemble_text_embeddings

KINDS = ("vlm", "cosine", "goal_baseline")


@runtime_checkable
class RewardCLIP(Protocol):
  """The four things `RewardModel` uses of a CLIP. `vlm_rewards.clip.CLIP` (transformers'
  Flax CLIP) has them; any other implementation (SigLIP, OpenCLIP, big_vision's CLIP, a Flax
  module of one's own) can provide them and be named by a loader's import path in
  `reward.model` (see the README, "Add your own CLIP").

  Attributes:
    image_params: the image tower's parameters, a pytree: the first argument of
      `image_embed_fn` (the trainer replicates it on every device).
    image_embed_fn: pure and jittable `(image_params, frames uint8 [B,H,W,3]) -> float32
      [B,D]`, L2-normalised: the image tower with its own preprocessing.
    temperature: Eq. 1's default temperature (CLIP's learned 1 / exp(logit_scale)).
  """

  image_params: Any
  image_embed_fn: Callable[[Any, jax.Array], jax.Array]
  temperature: float

  def embed_text(self, texts: Sequence[str]) -> jax.Array:
    """float32 [N, D] L2-normalised embeddings of N texts (called once per run, on the host)."""
    ...


DEFAULT_MAX_NEGATIVES = 32


class RewardParams(NamedTuple):
  """The arguments of ``RewardModel.score`` that are arrays: image tower and text embeddings."""

  image: Any  # the CLIP image-tower parameters
  goal_emb: jax.Array  # float32 [N, D]
  negative_ids: jax.Array  # int32 [N, K]
  baseline_emb: jax.Array | None  # float32 [D], for "goal_baseline"
  extra_negative_emb: jax.Array | None = None  # float32 [E, D], negatives of every goal
  goal_negative_ids: jax.Array | None = None  # int32 [N, M], rows of goal_negative_emb
  goal_negative_emb: jax.Array | None = None  # float32 [U, D], the distinct goal negatives


class RewardOutput(NamedTuple):
  """Per-frame outputs of ``RewardModel.score``.

  Attributes:
    reward: float32 [B] reward of the chosen kind.
    probability: float32 [B] Eq. 1 success probability of each row's goal.
    image_emb: float32 [B, D] L2-normalised image embeddings (reusable as agent input).
  """

  reward: jax.Array
  probability: jax.Array
  image_emb: jax.Array


def valid_goal_ids(goal_ids: jax.Array, num_goals: int) -> jax.Array:
  """bool [B]: which goal ids index one of ``num_goals`` goals (0 <= id < num_goals)."""
  return (goal_ids >= 0) & (goal_ids < num_goals)


def _check_goals(goals: Sequence[str]) -> tuple[str, ...]:
  if isinstance(goals, str):
    raise ValueError(
      f"goals must be a sequence of goal strings, got the single string {goals!r}; "
      "wrap it in a list: [goal]."
    )
  goals = tuple(goals)
  if not goals:
    raise ValueError("the goal list is empty; a reward model needs at least one goal.")
  seen = set()
  for i, goal in enumerate(goals):
    if not isinstance(goal, str) or not goal.strip():
      raise ValueError(f"goal {i} is {goal!r}; every goal must be a non-empty string.")
    if goal in seen:
      raise ValueError(f"goal {goal!r} appears twice; goal ids index a set of distinct goals.")
    seen.add(goal)
  return goals


class RewardModel:
  """CLIP rewards for a fixed goal set (Baumli et al. 2023, Eq. 1-2, and variants).

  Attributes:
    clip: the loaded CLIP (a ``RewardCLIP``).
    goals: the N goal strings; goal id = index.
    kind: "vlm" (binary Eq. 2 reward), "cosine", or "goal_baseline" (Rocamonde et al.).
    temperature, threshold, alpha: reward hyperparameters.
    negative_ids: int32 [N, K] negatives of each goal, fixed for the run.
    goal_emb: float32 [N, D] goal text embeddings (prompt ensemble over ``templates``).
    extra_negative_emb: float32 [E, D] embeddings of ``extra_negatives`` (same templates), or
      None: texts every goal is contrasted with besides the K other goals.
    goal_negative_ids, goal_negative_emb: int32 [N, M] and float32 [U, D], or None: the M
      ``goal_negatives`` of each goal as rows of the U distinct ones' embeddings.
    baseline_emb: float32 [D] baseline prompt embedding, or None.
  """

  def __init__(
    self,
    clip: RewardCLIP,
    goals: Sequence[str],
    *,
    templates="plain",
    num_negatives: int | None = None,
    negatives_seed: int = 0,
    temperature: float | None = None,
    threshold: float = 0.5,
    kind: str = "vlm",
    baseline_prompt: str | None = None,
    alpha: float = 0.5,
    extra_negatives: Sequence[str] = (),
    goal_negatives: Sequence[Sequence[str]] = (),
  ):
    """Builds the model and embeds every goal once.

    Args:
      clip: a loaded CLIP: ``vlm_rewards.clip.CLIP`` or any other ``RewardCLIP``.
      goals: N distinct goal strings.
      templates: template name/string, ensemble name, or a sequence (see ``prompts``).
      num_negatives: K negatives per goal for Eq. 1 (1 <= K < N); default min(N - 1, 32).
        For "cosine" and "goal_baseline" with a single goal, K = 0 (probability is then 1).
      negatives_seed: seed of the negatives draw.
      temperature: Eq. 1 temperature > 0; default the CLIP's learned 1 / exp(logit_scale).
      threshold: Eq. 2 beta in [0, 1].
      kind: reward rule, one of ``KINDS``.
      baseline_prompt: the baseline text for "goal_baseline" (e.g. "a room").
      alpha: goal-baseline projection strength in [0, 1].
      extra_negatives: texts filled into the same templates and contrasted with every goal in
        Eq. 1 besides its K goal negatives: what the screen may show that is no goal (the
        launcher's other installed apps, its home screen).
      goal_negatives: per goal, M texts (the same M for every goal) contrasted with that goal
        only, besides the above: states of the goal's own objects that are not success
        ("holding <target>" for "Put <target> next to <reference>"). Texts shared by several
        goals are embedded once.
    """
    if kind not in KINDS:
      raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
    if kind == "goal_baseline" and not baseline_prompt:
      raise ValueError(
        "kind='goal_baseline' needs baseline_prompt, a text describing the "
        "environment without the goal achieved (e.g. 'a room')."
      )
    if not 0.0 <= alpha <= 1.0:
      raise ValueError(f"alpha must be in [0, 1], got {alpha}.")
    self.clip, self.goals, self.kind = clip, _check_goals(goals), kind
    self.temperature = clip.temperature if temperature is None else temperature
    rewards.validate_temperature(self.temperature)
    rewards.validate_threshold(threshold)
    self.threshold, self.alpha, self.templates = threshold, alpha, templates
    self.negative_ids = self._draw_negatives(num_negatives, negatives_seed)
    self.goal_emb = ensemble_text_embeddings(clip.embed_text, self.goals, templates)
    self.baseline_emb = clip.embed_text([baseline_prompt])[0] if baseline_prompt else None
    self.extra_negatives = tuple(extra_negatives)
    overlap = set(self.extra_negatives) & set(self.goals)
    if overlap:
      raise ValueError(
        f"extra_negatives {sorted(overlap)} are also goals; a goal cannot be its own negative."
      )
    self.extra_negative_emb = (
      ensemble_text_embeddings(clip.embed_text, self.extra_negatives, templates)
      if self.extra_negatives
      else None
    )
    self.goal_negative_ids, texts = self._index_goal_negatives(goal_negatives)
    self.goal_negative_emb = (
      ensemble_text_embeddings(clip.embed_text, texts, templates) if texts else None
    )

  def _index_goal_negatives(self, goal_negatives) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """int32 [N, M] ids into the distinct texts of ``goal_negatives`` (first-seen order)."""
    if any(isinstance(row, str) for row in goal_negatives):
      raise ValueError(
        "goal_negatives must hold one sequence of texts per goal, got a bare string; give "
        "[('holding a red duck',), ...], one row per goal."
      )
    rows = [tuple(row) for row in goal_negatives]
    if not rows:
      return None, ()
    if len(rows) != len(self.goals):
      raise ValueError(
        f"goal_negatives has {len(rows)} rows but there are {len(self.goals)} goals; give one "
        "row of negative texts per goal, in goal order."
      )
    widths = {len(row) for row in rows}
    if len(widths) != 1 or 0 in widths:
      raise ValueError(
        f"every goal needs the same number (>= 1) of goal_negatives, got row lengths "
        f"{sorted(widths)}: a fixed M keeps the reward's shapes static."
      )
    index: dict[str, int] = {}
    for goal, row in zip(self.goals, rows, strict=True):
      for text in row:
        if not isinstance(text, str) or not text.strip():
          raise ValueError(f"goal {goal!r} has the negative {text!r}; use non-empty strings.")
        if text == goal:
          raise ValueError(f"goal {goal!r} is among its own goal_negatives.")
        index.setdefault(text, len(index))
    ids = np.array([[index[text] for text in row] for row in rows], np.int32)
    return ids, tuple(index)

  def _draw_negatives(self, num_negatives: int | None, seed: int) -> np.ndarray:
    num_goals = len(self.goals)
    if num_goals == 1 and self.kind != "vlm" and not num_negatives:
      return np.zeros((1, 0), np.int32)
    if num_negatives is None:
      num_negatives = min(num_goals - 1, DEFAULT_MAX_NEGATIVES)
      if num_negatives < 1:
        raise ValueError(
          "the 'vlm' reward needs at least 2 goals: Eq. 1 contrasts the goal "
          "with negatives drawn from the other goals."
        )
    return rewards.sample_negatives(num_goals, num_negatives, seed)

  @property
  def params(self) -> RewardParams:
    """The first argument of ``reward_fn`` and ``score``: image tower and text embeddings."""
    return RewardParams(
      self.clip.image_params,
      self.goal_emb,
      jnp.asarray(self.negative_ids),
      self.baseline_emb,
      self.extra_negative_emb,
      None if self.goal_negative_ids is None else jnp.asarray(self.goal_negative_ids),
      self.goal_negative_emb,
    )

  @property
  def num_goals(self) -> int:
    return len(self.goals)

  def goal_probability(
    self, image_emb: jax.Array, goal_ids: jax.Array, temperature: float | None = None
  ) -> jax.Array:
    """Eq. 1 for image embeddings [B, D] and goal ids int32 [B]; returns float32 [B].

    ``temperature`` overrides the model's (for sweeps, as in offline evaluation).
    """
    if temperature is not None:
      rewards.validate_temperature(temperature)  # the model's is checked at construction
    self._check_goal_ids(goal_ids)
    return self._probability(self.params, image_emb, goal_ids, temperature)

  def _goal_ids_message(self) -> str:
    return (
      f"goal_ids must be in [0, {self.num_goals}) (indices into the {self.num_goals} goals), "
      "got values from {} to {}."
    )

  def _check_goal_ids(self, goal_ids) -> None:
    """Raises on out-of-range ids where they are concrete (host calls). Traced ids cannot
    raise here; ``_probability`` and ``score`` mask their rows (reward 0, probability NaN),
    and ``checked_reward_fn`` reports them through checkify."""
    if isinstance(goal_ids, jax.core.Tracer):
      return
    ids = np.asarray(goal_ids)
    if ids.size and (ids.min() < 0 or ids.max() >= self.num_goals):
      raise ValueError(self._goal_ids_message().format(ids.min(), ids.max()))

  def _probability(self, params: RewardParams, image_emb, goal_ids, temperature=None):
    """Eq. 1 of each row's goal; NaN where the goal id is out of range."""
    valid = valid_goal_ids(goal_ids, params.goal_emb.shape[0])
    goal_emb = params.goal_emb[goal_ids]
    negative_emb = params.goal_emb[params.negative_ids[goal_ids]]
    if params.goal_negative_emb is not None:
      own = params.goal_negative_emb[params.goal_negative_ids[goal_ids]]  # [B, M, D]
      negative_emb = jnp.concatenate([negative_emb, own], axis=1)
    temperature = self.temperature if temperature is None else temperature
    probability = rewards.success_probability(
      image_emb, goal_emb, negative_emb, temperature, params.extra_negative_emb
    )
    return jnp.where(valid, probability, jnp.nan)

  def score(self, params, frames: jax.Array, goal_ids: jax.Array) -> RewardOutput:
    """Rewards, probabilities and image embeddings of a batch of frames; pure and jittable.

    Args:
      params: ``self.params`` (image tower, goal and negative embeddings).
      frames: uint8 [B, H, W, 3] observations.
      goal_ids: int32 [B] goal index of each frame, in [0, N). Concrete out-of-range ids raise
        a ValueError; traced ones (under jit) give their row reward 0 and probability NaN.

    Returns:
      ``RewardOutput`` with reward [B], probability [B] and image_emb [B, D], all float32.
    """
    chex.assert_rank([frames, goal_ids], [4, 1])
    chex.assert_type(frames, jnp.uint8)
    chex.assert_equal(frames.shape[0], goal_ids.shape[0])
    self._check_goal_ids(goal_ids)
    image_emb = self.clip.image_embed_fn(params.image, frames)
    probability = self._probability(params, image_emb, goal_ids)
    if self.kind == "vlm":
      reward = rewards.binary_reward(probability, self.threshold)
    elif self.kind == "cosine":
      reward = rewards.cosine_reward(image_emb, params.goal_emb[goal_ids])
    else:
      reward = rewards.goal_baseline_reward(
        image_emb, params.goal_emb[goal_ids], params.baseline_emb, self.alpha
      )
    reward = jnp.where(valid_goal_ids(goal_ids, params.goal_emb.shape[0]), reward, 0.0)
    return RewardOutput(reward, probability, image_emb)

  def reward_fn(self, params, frames: jax.Array, goal_ids: jax.Array):
    """``(params, frames uint8 [B,H,W,3], goal_ids int32 [B]) -> (reward [B], probability [B])``.

    Pure and jittable; apply ``jax.jit`` at the call site. Out-of-range ids as in ``score``.
    """
    out = self.score(params, frames, goal_ids)
    return out.reward, out.probability

  def checked_reward_fn(self, params, frames: jax.Array, goal_ids: jax.Array):
    """``reward_fn`` that reports out-of-range goal ids: ``-> (error, (reward, probability))``.

    Pure and jittable (``checkify.checkify`` is applied inside). ``error.throw()`` raises a
    ``checkify.JaxRuntimeError`` naming the valid range and the smallest and largest id given;
    ``error.get()`` is None when every id is valid. Rewards and probabilities are those of
    ``reward_fn``. A ``checkify.check`` cannot live in ``reward_fn`` itself: jit refuses one that
    is not wrapped by ``checkify.checkify``, and wrapping changes what the function returns.
    """

    def checked(params, frames, goal_ids):
      if goal_ids.size:
        valid = valid_goal_ids(goal_ids, params.goal_emb.shape[0])
        checkify.check(
          jnp.all(valid), self._goal_ids_message(), jnp.min(goal_ids), jnp.max(goal_ids)
        )
      return self.reward_fn(params, frames, goal_ids)

    return checkify.checkify(checked)(params, frames, goal_ids)
