"""RewardModel on the tiny CLIP: Eq. 1-2 against NumPy, one compilation, kinds and prompts."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from vlm_rewards import prompts
from vlm_rewards.reward_model import RewardModel

GOALS = ("a red ball", "a blue duck", "a green chair", "a yellow lamp", "a pink boat")


def _frames(batch, seed=0, size=40):
  return np.random.default_rng(seed).integers(0, 256, (batch, size, size, 3), dtype=np.uint8)


@pytest.fixture(scope="module")
def model(tiny_clip):
  return RewardModel(
    tiny_clip, GOALS, templates="photo", num_negatives=3, temperature=0.05, threshold=0.3
  )


@pytest.fixture(scope="module")
def jitted_reward_fn(model):
  return jax.jit(model.reward_fn)


def test_rewards_match_numpy_eq1_eq2(tiny_clip, model, jitted_reward_fn):
  frames, goal_ids = _frames(8), np.array([0, 1, 2, 3, 4, 0, 2, 4], np.int32)
  reward, prob = jitted_reward_fn(model.params, frames, goal_ids)
  # Reference from independently computed embeddings, NumPy float64 softmax.
  image = np.asarray(tiny_clip.embed_images(frames), np.float64)
  text = np.asarray(prompts.ensemble_text_embeddings(tiny_clip.embed_text, GOALS, "photo"))
  ids = np.concatenate([goal_ids[:, None], model.negative_ids[goal_ids]], axis=1)
  logits = np.einsum("bd,bkd->bk", image, text[ids]) / 0.05
  expected = np.exp(logits[:, 0] - logits.max(1)) / np.exp(
    logits - logits.max(1, keepdims=True)
  ).sum(1)
  assert prob.dtype == jnp.float32 and reward.dtype == jnp.float32
  np.testing.assert_allclose(prob, expected, atol=1e-5)
  decided = np.abs(expected - 0.3) > 1e-5
  np.testing.assert_array_equal(np.asarray(reward)[decided], (expected > 0.3)[decided])
  # A temperature given to goal_probability overrides the model's (offline sweeps).
  hot = model.goal_probability(tiny_clip.embed_images(frames), goal_ids, temperature=0.5)
  logits_hot = logits * 0.05 / 0.5
  expected_hot = np.exp(logits_hot[:, 0]) / np.exp(logits_hot).sum(1)
  np.testing.assert_allclose(hot, expected_hot, atol=1e-5)
  with pytest.raises(ValueError, match="temperature must be > 0"):
    model.goal_probability(tiny_clip.embed_images(frames), goal_ids, temperature=0.0)


def test_reward_fn_compiles_once(model):
  traces = []

  def counted(params, frames, goal_ids):
    traces.append(frames.shape)
    return model.reward_fn(params, frames, goal_ids)

  fn = jax.jit(counted)
  goal_ids = np.zeros(4, np.int32)
  outs = [fn(model.params, _frames(4, seed=s), goal_ids)[1] for s in range(3)]
  assert len(traces) == 1 and fn._cache_size() == 1
  assert not np.allclose(outs[0], outs[1])  # new frames really were used
  fn(model.params, _frames(4, seed=3), np.ones(4, np.int32))  # new goal ids: no retrace
  assert len(traces) == 1


def test_score_returns_image_embeddings(tiny_clip, model):
  frames = _frames(3, seed=5)
  out = jax.jit(model.score)(model.params, frames, np.array([1, 2, 3], np.int32))
  assert out.image_emb.shape == (3, 16)
  np.testing.assert_allclose(out.image_emb, tiny_clip.embed_images(frames), atol=1e-5)
  assert set(np.unique(np.asarray(out.reward))) <= {0.0, 1.0}


def test_goal_embeddings_and_negatives_fixed_at_construction(tiny_clip, model):
  again = RewardModel(tiny_clip, GOALS, templates="photo", num_negatives=3, temperature=0.05)
  np.testing.assert_array_equal(model.negative_ids, again.negative_ids)
  np.testing.assert_allclose(model.goal_emb, again.goal_emb, atol=1e-6)
  assert model.goal_emb.shape == (5, 16) and model.negative_ids.shape == (5, 3)
  for goal, row in enumerate(model.negative_ids):
    assert goal not in row


def test_default_temperature_and_negatives(tiny_clip):
  rm = RewardModel(tiny_clip, GOALS)
  assert rm.temperature == pytest.approx(tiny_clip.temperature)
  assert rm.negative_ids.shape == (5, 4)


def test_cosine_and_goal_baseline_kinds(tiny_clip):
  frames, ids = _frames(4, seed=7), np.array([0, 1, 2, 3], np.int32)
  image = np.asarray(tiny_clip.embed_images(frames))
  cos = RewardModel(tiny_clip, GOALS, kind="cosine")
  reward, _ = jax.jit(cos.reward_fn)(cos.params, frames, ids)
  np.testing.assert_allclose(reward, np.sum(image * np.asarray(cos.goal_emb)[ids], -1), atol=1e-5)
  gb = RewardModel(tiny_clip, GOALS, kind="goal_baseline", baseline_prompt="a room", alpha=0.0)
  reward_gb, _ = jax.jit(gb.reward_fn)(gb.params, frames, ids)
  np.testing.assert_allclose(reward_gb, reward, atol=1e-5)  # alpha = 0 is the cosine reward
  single = RewardModel(tiny_clip, GOALS[:1], kind="cosine")
  _, prob = jax.jit(single.reward_fn)(single.params, frames[:1], np.zeros(1, np.int32))
  np.testing.assert_allclose(prob, 1.0)


def test_reward_model_errors(tiny_clip):
  with pytest.raises(ValueError, match="kind must be one of"):
    RewardModel(tiny_clip, GOALS, kind="dense")
  with pytest.raises(ValueError, match="needs baseline_prompt"):
    RewardModel(tiny_clip, GOALS, kind="goal_baseline")
  with pytest.raises(ValueError, match="goal list is empty"):
    RewardModel(tiny_clip, [])
  with pytest.raises(ValueError, match="appears twice"):
    RewardModel(tiny_clip, ["a cat", "a dog", "a cat"])
  with pytest.raises(ValueError, match="at least 2 goals"):
    RewardModel(tiny_clip, ["a cat"])
  with pytest.raises(ValueError, match="temperature must be > 0"):
    RewardModel(tiny_clip, GOALS, temperature=0.0)
  with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\]"):
    RewardModel(tiny_clip, GOALS, threshold=2.0)
  with pytest.raises(ValueError, match="K < number of goals"):
    RewardModel(tiny_clip, GOALS, num_negatives=5)
  with pytest.raises(ValueError, match="goal 1 is ''; every goal must be a non-empty string"):
    RewardModel(tiny_clip, ["a cat", ""], templates="photo")


def test_templates_and_format_helpers():
  assert prompts.format_prompt("photo", "a cat") == "a photo of a cat"
  assert prompts.format_prompt("android", "Chrome") == "Screenshot of Chrome on Android"
  assert prompts.format_prompt("android_b", "Clock") == "Open the Clock app"
  assert prompts.format_prompt("Lift {goal} now", "a duck") == "Lift a duck now"
  assert prompts.format_prompts("plain", ["x", "y"]) == ["x", "y"]
  with pytest.raises(ValueError, match="neither a template name"):
    prompts.format_prompt("no field here", "a cat")
  with pytest.raises(ValueError, match="neither a template name"):
    prompts.format_prompt("{goal} and {other}", "a cat")


def test_prompt_ensemble_is_normalised_mean(tiny_clip):
  goals = ["a cat", "a dog"]
  ensemble = prompts.ensemble_text_embeddings(tiny_clip.embed_text, goals, ["plain", "photo"])
  parts = [tiny_clip.embed_text(prompts.format_prompts(t, goals)) for t in ("plain", "photo")]
  mean = (np.asarray(parts[0]) + np.asarray(parts[1])) / 2
  np.testing.assert_allclose(
    ensemble, mean / np.linalg.norm(mean, axis=-1, keepdims=True), atol=1e-5
  )
  single = prompts.ensemble_text_embeddings(tiny_clip.embed_text, goals, "photo_of_the")
  np.testing.assert_allclose(
    single, tiny_clip.embed_text(["a photo of the a cat", "a photo of the a dog"]), atol=1e-5
  )
  with pytest.raises(ValueError, match="at least one template"):
    prompts.ensemble_text_embeddings(tiny_clip.embed_text, goals, [])


def test_extra_negatives_join_every_goals_softmax(tiny_clip, model):
  extra = ("a grey sofa", "an empty room")
  with_extra = RewardModel(
    tiny_clip, GOALS, templates="photo", num_negatives=3, temperature=0.05, extra_negatives=extra
  )
  np.testing.assert_array_equal(with_extra.negative_ids, model.negative_ids)
  frames, goal_ids = _frames(6, seed=3), np.array([0, 1, 2, 3, 4, 1], np.int32)
  image = np.asarray(tiny_clip.embed_images(frames), np.float64)
  text = np.asarray(prompts.ensemble_text_embeddings(tiny_clip.embed_text, GOALS, "photo"))
  more = np.asarray(prompts.ensemble_text_embeddings(tiny_clip.embed_text, extra, "photo"))
  rows = [np.concatenate([text[[g, *model.negative_ids[g]]], more]) for g in goal_ids]
  logits = np.einsum("bd,bkd->bk", image, np.stack(rows)) / 0.05
  expected = np.exp(logits[:, 0]) / np.exp(logits).sum(1)
  _, prob = jax.jit(with_extra.reward_fn)(with_extra.params, frames, goal_ids)
  np.testing.assert_allclose(prob, expected, atol=1e-5)
  _, without = model.reward_fn(model.params, frames, goal_ids)
  assert np.all(np.asarray(prob) < np.asarray(without))  # more negatives, less mass on the goal
  with pytest.raises(ValueError, match="also goals"):
    RewardModel(tiny_clip, GOALS, extra_negatives=(GOALS[1],))


def test_goal_negatives_join_only_their_goals_softmax(tiny_clip, model):
  own = [(f"holding {g}", "an empty room") for g in GOALS]  # "an empty room" is shared
  with_own = RewardModel(
    tiny_clip, GOALS, templates="photo", num_negatives=3, temperature=0.05, goal_negatives=own
  )
  assert with_own.goal_negative_ids.shape == (5, 2)
  assert with_own.goal_negative_emb.shape[0] == 6  # 5 "holding" texts + 1 shared, embedded once
  frames, goal_ids = _frames(6, seed=4), np.array([0, 1, 2, 3, 4, 2], np.int32)
  image = np.asarray(tiny_clip.embed_images(frames), np.float64)
  text = np.asarray(prompts.ensemble_text_embeddings(tiny_clip.embed_text, GOALS, "photo"))
  rows = [
    np.concatenate(
      [
        text[[g, *model.negative_ids[g]]],
        prompts.ensemble_text_embeddings(tiny_clip.embed_text, own[g], "photo"),
      ]
    )
    for g in goal_ids
  ]
  logits = np.einsum("bd,bkd->bk", image, np.stack(rows)) / 0.05
  expected = np.exp(logits[:, 0]) / np.exp(logits).sum(1)
  _, prob = jax.jit(with_own.reward_fn)(with_own.params, frames, goal_ids)
  np.testing.assert_allclose(prob, expected, atol=1e-5)


@pytest.mark.parametrize(
  "own, message",
  [
    ([("x",)] * 4, "has 4 rows but there are 5 goals"),
    ([("x",)] * 4 + [("x", "y")], "same number"),
    ([(g,) for g in GOALS], "among its own goal_negatives"),
    ([("x",)] * 4 + [("",)], "non-empty strings"),
    (["x"] * 5, "bare string"),
  ],
)
def test_bad_goal_negatives_are_named(tiny_clip, own, message):
  with pytest.raises(ValueError, match=message):
    RewardModel(tiny_clip, GOALS, goal_negatives=own)
