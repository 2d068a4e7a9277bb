"""Captioned Playhouse frames: facts agree with ground truth; no caption names a held-out pair."""

import itertools

import jax
import numpy as np
import pytest

from envs.playhouse import Playhouse, PlayhouseConfig
from envs.playhouse.config import FIND, LIFT, PLACE, TYPE_NAMES
from envs.playhouse.goals import heldout_compositions
from experiments.pretraining import clip_data

SMALL = PlayhouseConfig(grid_size=8, min_rooms=1, max_rooms=1, num_objects=4, num_furniture=1)
HELDOUT_WORDS = [clip_data.composition_words(c) for c in np.flatnonzero(heldout_compositions())]


@pytest.fixture(scope="module")
def env():
  return Playhouse(SMALL)


@pytest.fixture(scope="module")
def rollout(env):
  """One compiled rollout function shared by the tests (compiling dominates their time)."""
  cfg = clip_data.RolloutConfig(
    num_envs=16, num_steps=24, oracle_fraction=1.0, epsilon=0.1, relations=True
  )
  return jax.jit(clip_data.make_rollout(env, cfg))


@pytest.fixture(scope="module")
def heldout_rollout(rollout):
  """Episodes of held-out goals, so held-out compositions are in view, near and held."""
  return clip_data.generate(rollout, seed=0, num_rollouts=1, heldout=True)


def _names_heldout(text: str) -> bool:
  return any(words in text for words in HELDOUT_WORDS)


def test_every_fact_kind_has_wordings_that_format():
  keys = [
    clip_data.VISIBLE + 5,
    clip_data.NEAR + 7,
    clip_data.HELD + 9,
    clip_data.COLOUR + 2,
    clip_data.TYPE + 3,
    clip_data.EMPTY,
    clip_data.FLOOR + 4,
  ]
  keys += [clip_data.PAIR + 13, clip_data.APART + 13]
  for key, wording in itertools.product(keys, range(6)):
    text = clip_data.caption(key, wording)
    assert text and "{" not in text, text
  assert clip_data.caption(clip_data.NEAR + 2 * len(TYPE_NAMES) + 2, 0) == "Go near a yellow duck"
  assert clip_data.caption(clip_data.HELD, 1) == "Lift a red ball"
  assert clip_data.caption(clip_data.FLOOR + 1, 0) == "a red cube on the floor"
  assert [clip_data.KINDS[k] for k in clip_data.fact_kind(np.asarray(keys))] == list(
    clip_data.KINDS
  )
  assert clip_data.caption(clip_data.COLOUR + 1, 1) == "an orange object"
  assert clip_data.caption(clip_data.APART + 1, 0) == "a red ball and a red cube apart"


def test_hard_negative_is_the_same_objects_in_the_other_relation():
  keys = np.asarray(
    [
      clip_data.PAIR + 13,
      clip_data.APART + 13,
      clip_data.HELD + 5,
      clip_data.FLOOR + 5,
      clip_data.NEAR + 5,
      -1,
    ]
  )
  hard = clip_data.hard_negative(keys)
  np.testing.assert_array_equal(
    hard,
    [clip_data.APART + 13, clip_data.PAIR + 13, clip_data.FLOOR + 5, clip_data.HELD + 5, -1, -1],
  )
  assert clip_data.caption(hard[0], 1) == "a red ball far from an orange cube"
  np.testing.assert_array_equal(clip_data.hard_negative(hard[:4]), keys[:4])
  # Holding a with b in view: "a on the floor" or "a next to b" (a is held, so never true);
  # a held-out object in view is never named.
  a, b = 5, 7
  heldout = int(np.flatnonzero(heldout_compositions())[0])
  facts = np.asarray(
    [
      [
        clip_data.HELD + a,
        clip_data.VISIBLE + a,
        clip_data.VISIBLE + b,
        clip_data.VISIBLE + heldout,
      ]
    ]
    * 200
  )
  facts[100:, 2:] = -1  # nothing else in view: always "a on the floor"
  hard = clip_data.hard_negatives(np.random.default_rng(0), facts, facts[:, 0])
  assert set(hard[:100]) == {clip_data.FLOOR + a, clip_data.PAIR + a * clip_data.K + b}
  assert set(hard[100:]) == {clip_data.FLOOR + a}


def test_identity_negatives_swap_one_object_of_a_pair_and_keep_its_relation():
  train = np.flatnonzero(~heldout_compositions())
  heldout = int(np.flatnonzero(heldout_compositions())[0])
  a, b, c = (int(x) for x in train[:3])
  pair, apart = clip_data.PAIR + a * clip_data.K + b, clip_data.APART + a * clip_data.K + b
  in_view = [
    clip_data.VISIBLE + a,
    clip_data.VISIBLE + b,
    clip_data.VISIBLE + c,
    clip_data.VISIBLE + heldout,
  ]
  facts = np.asarray([[pair, *in_view]] * 100 + [[apart, *in_view[:2], -1, -1]] * 100)
  hard = clip_data.hard_negatives(np.random.default_rng(0), facts, facts[:, 0], identity=1.0)
  # With c in view, c takes the place of a or of b; the relation stays "next to".
  assert set(hard[:100]) == {
    clip_data.PAIR + c * clip_data.K + b,
    clip_data.PAIR + a * clip_data.K + c,
  }
  # Nothing else in view: any trainable composition but a and b, still "apart".
  first, second = np.divmod(hard[100:] - clip_data.APART, clip_data.K)
  assert ((hard[100:] >= clip_data.APART) & ((first == a) ^ (second == b))).all()
  others = np.where(first == a, second, first)
  assert len(set(others)) > 20 and not ({a, b} & set(others))
  assert not clip_data.heldout_fact(hard).any()
  # identity=0.5: about half the pair captions keep their counterfactual "a and b apart".
  hard = clip_data.hard_negatives(
    np.random.default_rng(0), facts[:100], facts[:100, 0], identity=0.5
  )
  assert 30 < (hard == apart).sum() < 70
  assert set(hard) == {
    apart,
    clip_data.PAIR + c * clip_data.K + b,
    clip_data.PAIR + a * clip_data.K + c,
  }


def test_heldout_fact_flags_single_and_pair_facts():
  held = np.flatnonzero(heldout_compositions())
  train = np.flatnonzero(~heldout_compositions())
  facts = [
    clip_data.NEAR + held[0],
    clip_data.FLOOR + held[0],
    clip_data.PAIR + train[0] * clip_data.K + held[1],
  ]
  facts.append(clip_data.APART + held[1] * clip_data.K + train[0])
  assert clip_data.heldout_fact(np.asarray(facts)).all()
  assert not clip_data.heldout_fact(
    np.asarray(
      [
        clip_data.NEAR + train[0],
        clip_data.FLOOR + train[0],
        clip_data.PAIR + train[0] * clip_data.K + train[1],
        clip_data.APART + train[1] * clip_data.K + train[0],
        clip_data.COLOUR,
        clip_data.EMPTY,
        -1,
      ]
    )
  ).any()


def test_no_sampled_caption_names_a_heldout_composition(heldout_rollout):
  facts = heldout_rollout.facts
  assert clip_data.heldout_fact(facts).any(), "the held-out rollout should show held-out objects"
  rng = np.random.default_rng(0)
  for _ in range(20):
    chosen = clip_data.sample_facts(rng, facts)
    assert not clip_data.heldout_fact(chosen).any()
    wordings = rng.integers(0, 100, len(chosen))
    for key, w in zip(chosen, wordings, strict=True):
      assert not _names_heldout(clip_data.caption(key, w))


def test_kind_weights_replace_the_default_sampling_weights(heldout_rollout):
  facts = heldout_rollout.facts
  near = clip_data.KINDS.index("near")
  may_say_near = ((clip_data.fact_kind(facts) == near) & ~clip_data.heldout_fact(facts)).any(axis=1)
  rng = np.random.default_rng(0)
  default = clip_data.fact_kind(clip_data.sample_facts(rng, facts))
  only_near = clip_data.fact_kind(clip_data.sample_facts(rng, facts, {"near": 1e9}))
  no_near = clip_data.fact_kind(clip_data.sample_facts(rng, facts, {"near": 0.0}))
  assert may_say_near.any() and (default[may_say_near] != near).any()
  assert (only_near[may_say_near] == near).all() and not (no_near == near).any()
  with pytest.raises(ValueError, match="fact kinds"):
    clip_data.sample_facts(rng, facts, {"nearby": 1.0})
  with pytest.raises(ValueError, match="non-negative"):
    clip_data.sample_facts(rng, facts, {"near": -1.0})


def test_train_rollouts_never_contain_heldout_compositions(env, rollout):
  data = clip_data.generate(rollout, seed=1, num_rollouts=1)
  assert not clip_data.heldout_fact(data.facts).any()
  assert np.isin(data.goal, env.train_goal_ids).all()


def test_facts_agree_with_ground_truth(env, heldout_rollout):
  data = heldout_rollout
  fam = env.goal_family[data.goal]
  comp = env.goal_target_colour[data.goal] * len(TYPE_NAMES) + env.goal_target_type[data.goal]
  near = np.any(data.facts == (clip_data.NEAR + comp)[:, None], axis=1)
  held = np.any(data.facts == (clip_data.HELD + comp)[:, None], axis=1)
  find, lift = fam == FIND, fam == LIFT
  np.testing.assert_array_equal(near[find], data.success[find])
  np.testing.assert_array_equal(held[lift], data.success[lift])
  assert data.success.any() and (~data.success).any()
  # A placed pair is never "apart"; an apart target and reference are never success.
  place = fam == PLACE
  ref = env.goal_ref_colour[data.goal] * len(TYPE_NAMES) + env.goal_ref_type[data.goal]
  apart = np.any(data.facts == (clip_data.APART + comp * clip_data.K + ref)[:, None], axis=1)
  paired = np.any(data.facts == (clip_data.PAIR + comp * clip_data.K + ref)[:, None], axis=1)
  assert (clip_data.fact_kind(data.facts) == clip_data.KINDS.index("apart")).any()
  assert not (apart & paired).any() and not (apart & data.success)[place].any()
  visible = (clip_data.fact_kind(data.facts) == clip_data.KINDS.index("visible")).any(axis=1)
  empty = (data.facts == clip_data.EMPTY).any(axis=1)
  np.testing.assert_array_equal(visible, ~empty)


def test_match_matrix_contains_the_diagonal(heldout_rollout):
  facts = heldout_rollout.facts[:64]
  chosen = clip_data.sample_facts(np.random.default_rng(0), facts)
  match = clip_data.match_matrix(facts, chosen)
  assert match.shape == (64, 64) and np.diag(match).all()
  same = chosen[:, None] == chosen[None, :]
  assert match[same].all()


def test_rollout_is_deterministic(rollout):
  a, b = rollout(jax.random.key(3), True), rollout(jax.random.key(3), True)
  jax.tree.map(np.testing.assert_array_equal, a, b)


def test_family_weights_choose_the_episodes_goal_families(env):
  key = jax.random.key(0)
  for weights, family in (((0.0, 0.0, 1.0), PLACE), ((1.0, 0.0, 0.0), FIND)):
    goals = np.asarray(clip_data._sample_goals(key, env, 64, False, weights))
    assert (env.goal_family[goals] == family).all()
  mixed = np.asarray(clip_data._sample_goals(key, env, 256, False, (1.0, 1.0, 2.0)))
  assert 0.35 < np.mean(env.goal_family[mixed] == PLACE) < 0.65
