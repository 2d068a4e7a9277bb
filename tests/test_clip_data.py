"""Captioned Playhouse frames: facts agree with ground truth; no caption names a held-out pair."""

import itertools

import jax
import numpy as np
import pytest

from envs.playhouse import Playhouse, PlayhouseConfig
from envs.playhouse import config as C
from envs.playhouse.goals import heldout_compositions
from experiments.pretraining import clip_data as D

SMALL = PlayhouseConfig(grid_size=8, min_rooms=1, max_rooms=1, num_objects=4, num_furniture=1)
HELDOUT_WORDS = [D.composition_words(c) for c in np.flatnonzero(heldout_compositions())]


@pytest.fixture(scope="module")
def env():
  return Playhouse(SMALL)


@pytest.fixture(scope="module")
def rollout(env):
  """One compiled rollout function shared by the tests (compiling dominates their time)."""
  cfg = D.RolloutConfig(num_envs=16, num_steps=24, oracle_fraction=1.0, epsilon=0.1, relations=True)
  return jax.jit(D.make_rollout(env, cfg))


@pytest.fixture(scope="module")
def heldout_rollout(rollout):
  """Episodes of held-out goals, so held-out compositions are in view, near and held."""
  return D.generate(rollout, seed=0, num_rollouts=1, heldout=True)


def _names_heldout(text: str) -> bool:
  return any(words in text for words in HELDOUT_WORDS)


def test_every_fact_kind_has_wordings_that_format():
  keys = [D.VISIBLE + 5, D.NEAR + 7, D.HELD + 9, D.COLOUR + 2, D.TYPE + 3, D.EMPTY, D.FLOOR + 4]
  keys += [D.PAIR + 13, D.APART + 13]
  for key, wording in itertools.product(keys, range(6)):
    text = D.caption(key, wording)
    assert text and "{" not in text, text
  assert D.caption(D.NEAR + 2 * len(C.TYPE_NAMES) + 2, 0) == "Go near a yellow duck"
  assert D.caption(D.HELD, 1) == "Lift a red ball"
  assert D.caption(D.FLOOR + 1, 0) == "a red cube on the floor"
  assert [D.KINDS[k] for k in D.fact_kind(np.asarray(keys))] == list(D.KINDS)
  assert D.caption(D.COLOUR + 1, 1) == "an orange object"
  assert D.caption(D.APART + 1, 0) == "a red ball and a red cube apart"


def test_hard_negative_is_the_same_objects_in_the_other_relation():
  keys = np.asarray([D.PAIR + 13, D.APART + 13, D.HELD + 5, D.FLOOR + 5, D.NEAR + 5, -1])
  hard = D.hard_negative(keys)
  np.testing.assert_array_equal(hard, [D.APART + 13, D.PAIR + 13, D.FLOOR + 5, D.HELD + 5, -1, -1])
  assert D.caption(hard[0], 1) == "a red ball far from an orange cube"
  np.testing.assert_array_equal(D.hard_negative(hard[:4]), keys[:4])
  # Holding a with b in view: "a on the floor" or "a next to b" (a is held, so never true);
  # a held-out object in view is never named.
  a, b = 5, 7
  heldout = int(np.flatnonzero(heldout_compositions())[0])
  facts = np.asarray([[D.HELD + a, D.VISIBLE + a, D.VISIBLE + b, D.VISIBLE + heldout]] * 200)
  facts[100:, 2:] = -1  # nothing else in view: always "a on the floor"
  hard = D.hard_negatives(np.random.default_rng(0), facts, facts[:, 0])
  assert set(hard[:100]) == {D.FLOOR + a, D.PAIR + a * D.K + b}
  assert set(hard[100:]) == {D.FLOOR + a}


def test_identity_negatives_swap_one_object_of_a_pair_and_keep_its_relation():
  train = np.flatnonzero(~heldout_compositions())
  heldout = int(np.flatnonzero(heldout_compositions())[0])
  a, b, c = (int(x) for x in train[:3])
  pair, apart = D.PAIR + a * D.K + b, D.APART + a * D.K + b
  in_view = [D.VISIBLE + a, D.VISIBLE + b, D.VISIBLE + c, D.VISIBLE + heldout]
  facts = np.asarray([[pair, *in_view]] * 100 + [[apart, *in_view[:2], -1, -1]] * 100)
  hard = D.hard_negatives(np.random.default_rng(0), facts, facts[:, 0], identity=1.0)
  # With c in view, c takes the place of a or of b; the relation stays "next to".
  assert set(hard[:100]) == {D.PAIR + c * D.K + b, D.PAIR + a * D.K + c}
  # Nothing else in view: any trainable composition but a and b, still "apart".
  first, second = np.divmod(hard[100:] - D.APART, D.K)
  assert ((hard[100:] >= D.APART) & ((first == a) ^ (second == b))).all()
  others = np.where(first == a, second, first)
  assert len(set(others)) > 20 and not ({a, b} & set(others))
  assert not D.heldout_fact(hard).any()
  # identity=0.5: about half the pair captions keep their counterfactual "a and b apart".
  hard = D.hard_negatives(np.random.default_rng(0), facts[:100], facts[:100, 0], identity=0.5)
  assert 30 < (hard == apart).sum() < 70
  assert set(hard) == {apart, D.PAIR + c * D.K + b, D.PAIR + a * D.K + c}


def test_heldout_fact_flags_single_and_pair_facts():
  held = np.flatnonzero(heldout_compositions())
  train = np.flatnonzero(~heldout_compositions())
  facts = [D.NEAR + held[0], D.FLOOR + held[0], D.PAIR + train[0] * D.K + held[1]]
  facts.append(D.APART + held[1] * D.K + train[0])
  assert D.heldout_fact(np.asarray(facts)).all()
  assert not D.heldout_fact(
    np.asarray(
      [
        D.NEAR + train[0],
        D.FLOOR + train[0],
        D.PAIR + train[0] * D.K + train[1],
        D.APART + train[1] * D.K + train[0],
        D.COLOUR,
        D.EMPTY,
        -1,
      ]
    )
  ).any()


def test_no_sampled_caption_names_a_heldout_composition(heldout_rollout):
  facts = heldout_rollout.facts
  assert D.heldout_fact(facts).any(), "the held-out rollout should show held-out objects"
  rng = np.random.default_rng(0)
  for _ in range(20):
    chosen = D.sample_facts(rng, facts)
    assert not D.heldout_fact(chosen).any()
    wordings = rng.integers(0, 100, len(chosen))
    for key, w in zip(chosen, wordings, strict=True):
      assert not _names_heldout(D.caption(key, w))


def test_kind_weights_replace_the_default_sampling_weights(heldout_rollout):
  facts = heldout_rollout.facts
  near = D.KINDS.index("near")
  may_say_near = ((D.fact_kind(facts) == near) & ~D.heldout_fact(facts)).any(axis=1)
  rng = np.random.default_rng(0)
  default = D.fact_kind(D.sample_facts(rng, facts))
  only_near = D.fact_kind(D.sample_facts(rng, facts, {"near": 1e9}))
  no_near = D.fact_kind(D.sample_facts(rng, facts, {"near": 0.0}))
  assert may_say_near.any() and (default[may_say_near] != near).any()
  assert (only_near[may_say_near] == near).all() and not (no_near == near).any()
  with pytest.raises(ValueError, match="fact kinds"):
    D.sample_facts(rng, facts, {"nearby": 1.0})
  with pytest.raises(ValueError, match="non-negative"):
    D.sample_facts(rng, facts, {"near": -1.0})


def test_train_rollouts_never_contain_heldout_compositions(env, rollout):
  data = D.generate(rollout, seed=1, num_rollouts=1)
  assert not D.heldout_fact(data.facts).any()
  assert np.isin(data.goal, env.train_goal_ids).all()


def test_facts_agree_with_ground_truth(env, heldout_rollout):
  data = heldout_rollout
  fam = env.goal_family[data.goal]
  comp = env.goal_target_colour[data.goal] * len(C.TYPE_NAMES) + env.goal_target_type[data.goal]
  near = np.any(data.facts == (D.NEAR + comp)[:, None], axis=1)
  held = np.any(data.facts == (D.HELD + comp)[:, None], axis=1)
  find, lift = fam == C.FIND, fam == C.LIFT
  np.testing.assert_array_equal(near[find], data.success[find])
  np.testing.assert_array_equal(held[lift], data.success[lift])
  assert data.success.any() and (~data.success).any()
  # A placed pair is never "apart"; an apart target and reference are never success.
  place = fam == C.PLACE
  ref = env.goal_ref_colour[data.goal] * len(C.TYPE_NAMES) + env.goal_ref_type[data.goal]
  apart = np.any(data.facts == (D.APART + comp * D.K + ref)[:, None], axis=1)
  paired = np.any(data.facts == (D.PAIR + comp * D.K + ref)[:, None], axis=1)
  assert (D.fact_kind(data.facts) == D.KINDS.index("apart")).any()
  assert not (apart & paired).any() and not (apart & data.success)[place].any()
  visible = (D.fact_kind(data.facts) == D.KINDS.index("visible")).any(axis=1)
  empty = (data.facts == D.EMPTY).any(axis=1)
  np.testing.assert_array_equal(visible, ~empty)


def test_match_matrix_contains_the_diagonal(heldout_rollout):
  facts = heldout_rollout.facts[:64]
  chosen = D.sample_facts(np.random.default_rng(0), facts)
  match = D.match_matrix(facts, chosen)
  assert match.shape == (64, 64) and np.diag(match).all()
  same = chosen[:, None] == chosen[None, :]
  assert match[same].all()


def test_rollout_is_deterministic(rollout):
  a, b = rollout(jax.random.key(3), True), rollout(jax.random.key(3), True)
  jax.tree.map(np.testing.assert_array_equal, a, b)


def test_family_weights_choose_the_episodes_goal_families(env):
  key = jax.random.key(0)
  for weights, family in (((0.0, 0.0, 1.0), C.PLACE), ((1.0, 0.0, 0.0), C.FIND)):
    goals = np.asarray(D._sample_goals(key, env, 64, False, weights))
    assert (env.goal_family[goals] == family).all()
  mixed = np.asarray(D._sample_goals(key, env, 256, False, (1.0, 1.0, 2.0)))
  assert 0.35 < np.mean(env.goal_family[mixed] == C.PLACE) < 0.65
