"""Precision-recall evaluation against brute force, and the plot and JSON writers."""

import json
import re

import numpy as np
import pytest

from experiments.analysis import intervals
from vlm_rewards import evaluation as ev
from vlm_rewards.rewards import binary_reward


def _data(n=200, seed=0):
  rng = np.random.default_rng(seed)
  labels = rng.random(n) < 0.3
  probs = np.clip(0.3 * labels + rng.random(n) * 0.7, 0, 1)
  probs[:20] = np.round(probs[:20], 1)  # some ties
  return probs, labels


def test_pr_curve_matches_brute_force_with_binary_reward():
  probs, labels = _data()
  curve = ev.pr_curve(probs, labels)
  assert np.all(np.diff(curve.recall) >= 0)
  for t, precision, recall in zip(curve.thresholds, curve.precision, curve.recall, strict=True):
    predicted = np.asarray(binary_reward(probs.astype(np.float64), float(np.clip(t, 0, 1))))
    if t < 0:  # below every score: everything predicted positive
      predicted = np.ones_like(predicted)
    tp = np.sum(predicted.astype(bool) & labels)
    assert precision == pytest.approx(tp / predicted.sum())
    assert recall == pytest.approx(tp / labels.sum())
  assert curve.recall[-1] == 1.0 and curve.precision[-1] == pytest.approx(labels.mean())


def test_average_precision_known_values():
  perfect = ev.pr_curve([0.9, 0.8, 0.2, 0.1], [True, True, False, False])
  assert ev.average_precision(perfect) == pytest.approx(1.0)
  # Ranking: pos, neg, pos -> AP = 0.5 * 1 + 0.5 * (2/3).
  mixed = ev.pr_curve([0.9, 0.5, 0.1], [True, False, True])
  assert ev.average_precision(mixed) == pytest.approx(0.5 + 0.5 * 2 / 3)
  # All tied: one point at the base rate.
  tied = ev.pr_curve([0.5] * 4, [True, False, False, False])
  assert ev.average_precision(tied) == pytest.approx(0.25)


def test_best_f1_and_target_precision():
  probs = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.3, 0.2])
  labels = np.array([1, 1, 0, 1, 0, 0, 1], bool)
  curve = ev.pr_curve(probs, labels)
  best = ev.best_f1_threshold(curve)
  f1 = []
  for t in curve.thresholds:
    pred = probs > t
    tp = np.sum(pred & labels)
    f1.append(2 * tp / (pred.sum() + labels.sum()))
  assert best["f1"] == pytest.approx(max(f1))
  assert best["threshold"] == pytest.approx(0.6)  # predicts the top four: P 3/4, R 3/4
  strict = ev.threshold_for_precision(curve, 1.0)
  assert strict == {"threshold": 0.8, "precision": 1.0, "recall": 0.5}
  assert ev.threshold_for_precision(ev.pr_curve([0.9, 0.1], [False, True]), 0.9) is None
  with pytest.raises(ValueError, match=r"target precision must be in \[0, 1\]"):
    ev.threshold_for_precision(curve, 1.5)


def test_bad_inputs():
  with pytest.raises(ValueError, match="no positive example"):
    ev.pr_curve([0.1, 0.2], [False, False])
  with pytest.raises(ValueError, match="differ in size"):
    ev.pr_curve([0.1, 0.2], [True])
  with pytest.raises(ValueError, match="empty"):
    ev.pr_curve([], [])
  with pytest.raises(ValueError, match="NaN"):
    ev.pr_curve([np.nan, 0.2], [True, False])
  with pytest.raises(ValueError, match="booleans"):
    ev.pr_curve([0.1, 0.2], [2, 0])


def test_plot_file_and_json_ready_summary(tmp_path):
  probs, labels = _data()
  curves = {
    "good": ev.pr_curve(probs, labels),
    "random": ev.pr_curve(np.random.default_rng(1).random(200), labels),
  }
  png = ev.plot_pr_curves(curves, tmp_path / "plots" / "pr.png")
  assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
  # The summaries are JSON-ready: they survive a round trip unchanged.
  good, rand = (json.loads(json.dumps(ev.summary(curves[name]))) for name in ("good", "random"))
  assert good == ev.summary(curves["good"])
  assert good["average_precision"] > rand["average_precision"]
  assert good["positives"] == int(labels.sum()) and good["count"] == 200
  assert set(good["for_precision"]) == {"0.5", "0.8", "0.9"}


def test_offline_pr_models_default_to_bundled_and_missing_folders_fail_early(tmp_path):
  from experiments import run_io  # noqa: PLC0415
  from experiments.analysis import offline_pr  # noqa: PLC0415 (heavy: imports the Playhouse and CLIP)

  assert run_io.parse_models(offline_pr._MODELS.default) == [("bundled_S", "bundled")]
  spec = f"S=bundled,mine={tmp_path}"
  assert run_io.parse_models(spec) == [("S", "bundled"), ("mine", str(tmp_path))]
  hub = "B32=openai/clip-vit-base-patch32"  # a hub id passes: load_clip fetches it if it can
  assert run_io.parse_models(hub) == [("B32", "openai/clip-vit-base-patch32")]
  with pytest.raises(FileNotFoundError, match="no folder 'runs/XS'"):
    run_io.parse_models("XS=runs/XS")
  command = "python -m experiments.pretrain_clip --config=experiments/configs/pretrain_clip.py"
  with pytest.raises(FileNotFoundError, match=re.escape(f"`{command}:XS`")):
    run_io.parse_models(f"S=bundled,XS={tmp_path}/runs/pretrain_clip/XS/model")
  with pytest.raises(FileNotFoundError, match=re.escape(f"`{command}:M,family`")):
    run_io.parse_models(f"M={tmp_path}/runs/pretrain_clip/family/M/model")
  with pytest.raises(FileNotFoundError, match="no folder .*nowhere"):
    run_io.parse_models(f"x={tmp_path / 'nowhere'}")
  with pytest.raises(ValueError, match="name=path"):
    run_io.parse_models("bundled")


def test_summary_at_threshold_counts_fires_precision_recall_and_ap():
  p = np.asarray([0.9, 0.6, 0.4, 0.1, 0.8])
  success = np.asarray([True, False, True, False, False])
  row = ev.summary_at_threshold(p, success, 0.5)
  assert row["fires"] == 3 and row["precision"] == round(1 / 3, 4)
  assert row["recall"] == 0.5 and row["base_rate"] == 0.4 and row["frames"] == 5
  # AP: ranks 0.9 (hit), 0.8, 0.6, 0.4 (hit) -> (1/2) * 1 + (1/2) * (2/4)
  assert row["average_precision"] == 0.75
  none = ev.summary_at_threshold(p, np.zeros(5, bool), 0.95)
  assert none["precision"] is None and none["recall"] is None and none["fires"] == 0


def test_calibration_rule_takes_the_smallest_beta_that_is_precise_on_both_datasets():
  # oracle_mix: positives at p 0.55-0.95, negatives at 0.05-0.35; one negative at 0.45 and a
  # hard negative (close, not achieved) at 0.25.
  mix_p = np.r_[np.linspace(0.55, 0.95, 100), np.linspace(0.05, 0.35, 98), 0.45, 0.25]
  mix_y = np.r_[np.ones(100, bool), np.zeros(100, bool)]
  mix_hard = np.zeros(200, bool)
  mix_hard[-1] = True
  # random_walk: no positive, so any fire is a false one; one at 0.15.
  walk_p, walk_y, walk_hard = (
    np.r_[0.15, np.full(99, 0.01)],
    np.zeros(100, bool),
    np.zeros(100, bool),
  )
  datasets = {"oracle_mix": (mix_p, mix_y, mix_hard), "random_walk": (walk_p, walk_y, walk_hard)}
  # 0.1-0.3 fire on the walk's negative or the hard one; 0.4 fires on 0.45 (precision 100/101
  # < 0.995); 0.5 is clean. With a looser floor 0.4 passes.
  choice = ev.threshold_by_rule(datasets, min_precision=0.995, max_hard_fire=0.0)
  assert choice["beta"] == 0.5 and choice["rule_met"] and choice["hard_negatives"] == 1
  assert [row["ok"] for row in choice["sweep"]][:5] == [False, False, False, False, True]
  assert choice["sweep"][4]["random_walk"]["fires"] == 0  # no fire on the walk passes
  assert ev.threshold_by_rule(datasets, 0.99, 0.0)["beta"] == 0.4
  # Nothing fires above 0.95 on oracle_mix, so an impossible floor leaves the rule unmet.
  strict = ev.threshold_by_rule(datasets, min_precision=1.01, max_hard_fire=0.0)
  assert strict["beta"] == 0.9 and not strict["rule_met"]


def test_scaling_report_tabulates_sizes_and_correlates_offline_ap_with_online_success(tmp_path):
  import subprocess  # noqa: PLC0415
  import sys  # noqa: PLC0415

  def model(beta, ap, recall):
    row = {"oracle_mix": {"recall": recall}, "random_walk": {"recall": 0.25}}
    sweep = [{"beta": beta, **row}]
    return {"beta": beta, "rule_met": True, "train_ap": ap, "heldout_ap": ap, "sweep": sweep}

  def point(success):
    stat = {"mean": success, "ci95": [success - 0.05, success + 0.05], "per_seed": [success] * 3}
    return {"seeds": [0, 1, 2], "frames": 1, "final": {"eval/heldout_gt_success": stat}}

  aps, successes = [0.90, 0.95, 0.97, 0.96], [0.05, 0.30, 0.50, 0.45]
  recalls = [0.1, 0.5, 0.2, 0.6]
  names = ["XS", "S", "M", "L"]
  calibration = {
    "models": {n: model(0.5, a, r) for n, a, r in zip(names, aps, recalls, strict=True)}
  }
  results = {n: point(s) for n, s in zip(names, successes, strict=True)}
  results["other"] = point(0.9)  # no calibrated model of that name: left out
  (tmp_path / "c.json").write_text(json.dumps(calibration))
  (tmp_path / "r.json").write_text(json.dumps(results))
  out = tmp_path / "report"
  command = [sys.executable, "-m", "experiments.analysis.scaling_report", f"--out={out}"]
  command += [f"--calibration={tmp_path / 'c.json'}", f"--results={tmp_path / 'r.json'}"]
  subprocess.run(command, check=True, capture_output=True)
  rows = (out / "fig4.md").read_text().splitlines()[2:]
  assert [r.split(" | ")[0] for r in rows] == ["| XS", "| S", "| M", "| L"]
  assert "0.300 [0.250, 0.350]" in rows[1] and "0.500 / 0.250" in rows[1]
  q3 = json.loads((out / "q3.json").read_text())
  assert q3["models"] == names and q3["recall_at_beta"] == recalls
  ap, recall = q3["correlations"]["heldout_ap"], q3["correlations"]["recall_at_beta"]
  assert ap["pearson"]["r"] == pytest.approx(np.corrcoef(aps, successes)[0, 1])
  assert ap["spearman"]["rho"] == pytest.approx(1.0)  # the same order
  assert recall["spearman"]["rho"] == pytest.approx(0.4)  # ranks 1,3,2,4 against 1,2,4,3
  assert (out / "q3.png").stat().st_size > 0


def test_place_breakdown_names_each_kind_of_frame_and_the_prompt_that_wins():
  from envs.playhouse.goals import _noun, pair_phrases  # noqa: PLC0415
  from experiments.pretraining.clip_data import APART, HELD, PAIR, VISIBLE, K  # noqa: PLC0415
  from studies.place import place_breakdown as pb  # noqa: PLC0415 (heavy: the Playhouse and CLIP)

  # Target composition 0, reference 1; one frame of each kind, in `KINDS` order.
  facts = np.full((8, 3), -1)
  facts[0, 0] = PAIR + 0 * K + 1
  facts[2, :2] = HELD + 0, VISIBLE + 1
  facts[3, 0] = HELD + 0
  facts[4, 0] = HELD + 5
  facts[5, 0] = APART + 1 * K + 0  # either order
  facts[6, 0] = VISIBLE + 1
  facts[7, 0] = VISIBLE + 5
  success = np.arange(8) < 2
  zeros = np.zeros(8, int)
  np.testing.assert_array_equal(pb.frame_kinds(facts, success, zeros, zeros + 1), np.arange(8))

  # pair_index follows the order of the "apart" prompts.
  phrases = pair_phrases("{a}|{b}")
  nouns = {c: _noun(*divmod(c, 12)) for c in (0, 1, 5, 107)}
  for a, b in [(0, 1), (5, 0), (1, 107)]:
    lo, hi = sorted((a, b))
    assert phrases[pb.pair_index(a, b)] == f"{nouns[lo]}|{nouns[hi]}"

  # An image embedding equal to one prompt's makes that prompt the winner.
  rng = np.random.default_rng(0)
  unit = lambda *shape: (
    (x := rng.normal(size=(*shape, 64))) / np.linalg.norm(x, axis=-1, keepdims=True)
  )
  goal, others, holding, apart = unit(8), unit(8, 2), unit(K), unit(K * (K - 1) // 2)
  target, ref = np.full(8, 3), np.full(8, 9)
  image = np.stack(
    [
      goal[0],
      others[1, 1],
      holding[3],
      holding[9],
      holding[50],
      apart[pb.pair_index(9, 3)],
      apart[pb.pair_index(50, 9)],
      apart[pb.pair_index(0, 8)],
    ]
  )
  got = pb.winners(image, goal, others, holding, apart, target, ref)
  np.testing.assert_array_equal(got, [0, 1, 2, 2, 3, 4, 5, 6])


def test_zero_shot_scores_a_cell_and_plots_sizes_beside_references(tiny_clip, tmp_path):
  """One cell of frames with labels: base rate always, AP and the reward at the corpus beta
  only with enough positives; the plot takes web-* models as the size axis and skips cells
  that no model has an AP for."""
  from experiments.analysis import zero_shot

  rng = np.random.default_rng(0)
  frames = rng.integers(0, 255, (24, 32, 32, 3), np.uint8)
  success = np.arange(24) % 2 == 0
  cell = zero_shot._cell(
    ("a red ball", "a blue cup", "a toy boat"), frames, np.arange(24) % 3, success
  )
  row = zero_shot.score_cell(tiny_clip, cell, beta=0.0)  # every p > 0: the reward always fires
  assert row["base_rate"] == 0.5 and 0.0 <= row["average_precision"] <= 1.0
  at_beta = row["at_corpus_beta"]
  assert at_beta["fires"] == 24 and at_beta["precision"] == 0.5 and at_beta["recall"] == 1.0
  few = zero_shot.score_cell(tiny_clip, {**cell, "success": np.arange(24) == 0}, beta=0.4)
  assert "average_precision" not in few and few["positives"] == 1
  params = zero_shot.image_tower_parameters(tiny_clip)
  table = {
    "web-A": {"image_tower_parameters": params, "cells": {"x": row, "empty": few}},
    "web-B": {"image_tower_parameters": 2 * params, "cells": {"x": row, "empty": few}},
    "ref": {"image_tower_parameters": params, "cells": {"x": row, "empty": few}},
    "_settings": {},
  }
  zero_shot.plot(table, tmp_path / "z.png")
  assert (tmp_path / "z.png").stat().st_size > 0


def test_rate_intervals_stay_in_the_possible_range():
  """256 successes of 256 (the transfer check's case): the normal approximation gave
  [1.0, 1.0], and above 1 for 253/256; the Wilson interval does neither."""
  low, high = intervals.rate_interval(256, 256)
  assert high == 1.0 and 0.98 < low < 0.99
  low, high = intervals.rate_interval(253, 256)
  assert 0.96 < low < 253 / 256 < high <= 1.0
  low, high = intervals.difference_interval(256, 256, 250, 256)
  assert 0.0 < low < 6 / 256 < high < 0.06
  assert intervals.difference_interval(10, 10, 0, 10)[1] == 1.0  # a difference of 1 at most
  assert intervals.difference_interval(0, 10, 10, 10)[0] == -1.0
  assert intervals.rate_interval(0, 10)[0] == 0.0


def test_policy_rollout_records_the_frames_and_embeddings_of_one_trajectory(tiny_run):
  """The analysis scripts' rollout (zero_shot's agent frames, reward_precision's embeddings):
  for one key, the pixels and the embeddings are of the same frames, goals and successes."""
  import jax  # noqa: PLC0415

  from experiments.analysis import runs  # noqa: PLC0415

  state = tiny_run.initial_state()
  params = tiny_run.trainer.agent.acting_params(state.agent)
  key = jax.random.key(3)
  args = (tiny_run.trainer, params, tiny_run.reward_params, key, 4, 1, False)
  pixels, goals, success = jax.device_get(runs.policy_rollout(*args, "pixels"))
  emb, goals_e, success_e = jax.device_get(runs.policy_rollout(*args, "image_emb"))
  steps = 4 * tiny_run.trainer.env.max_steps
  assert pixels.shape[0] == emb.shape[0] == steps and pixels.dtype == np.uint8
  np.testing.assert_array_equal(goals, goals_e)
  np.testing.assert_array_equal(success, success_e)
  clip = tiny_run.trainer.reward_model.clip
  again = np.asarray(clip.image_embed_fn(tiny_run.reward_params.image, pixels))
  np.testing.assert_allclose(again, emb, atol=2e-5)
  assert len(set(goals.tolist())) > 1  # several goals: a real batch, not one repeated frame


def test_the_web_prompt_study_scores_each_paper_template_on_each_launcher_source(tiny_clip):
  from experiments.analysis import zero_shot  # noqa: PLC0415
  from studies.web_clip import prompts  # noqa: PLC0415
  from vlm_rewards import prompts as templates  # noqa: PLC0415

  assert [templates.TEMPLATES[n] for n in prompts.TEMPLATES.values()] == [
    "Open {app}",
    "Open the {app} app",
    "Screenshot of {app}",
    "Screenshot of {app} on Android",
  ]
  rng = np.random.default_rng(0)
  n = 4 * zero_shot._MIN_POSITIVES
  frames = rng.integers(0, 255, (n, 32, 32, 3), dtype=np.uint8)
  goals = ("Gmail", "Maps", "Camera", "Clock")
  cell = zero_shot._cell(
    goals, frames, np.arange(n) % 4, np.arange(n) % 2 == 0, "android_d", ("Settings",)
  )
  table = prompts.score_templates(tiny_clip, dict.fromkeys(prompts.SOURCES, cell), beta=0.3)
  assert set(table) == set(prompts.SOURCES)
  row = table[prompts.SOURCES[0]]
  assert sorted(row) == ["A", "B", "C", "D"] and row["D"] == zero_shot.score_cell(
    tiny_clip, cell, 0.3
  )
  assert len({r["average_precision"] for r in row.values()}) > 1  # the template matters
