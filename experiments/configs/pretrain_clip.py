"""Contrastive pretraining of the project's small CLIPs on captioned Playhouse frames.

  python -m experiments.pretrain_clip --config=experiments/configs/pretrain_clip.py:S
  python -m experiments.pretrain_clip --config=experiments/configs/pretrain_clip.py:XS,smoke
  python -m experiments.pretrain_clip --config=experiments/configs/pretrain_clip.py:S \
      --config.export_dir=vlm_rewards/assets/bundled_clip        # the bundled model

  python -m experiments.pretrain_clip --config=experiments/configs/pretrain_clip.py:S,launcher \
      --config.export_dir=vlm_rewards/assets/bundled_android     # the phone-screen model

The argument is a size preset (XXS, XS, S, M, L; `vlm_rewards.pretrain.PRESETS`), optionally
followed by `,smoke` for a seconds-long run, `,family` for the shorter recipe of the
scaling study (every size trained alike; see the bundled model card for why it is shorter),
`,relations` for the Pick-and-place recipe (see `data.relations`),
`,web` for the web stand-in corpus (`vlm_rewards.corpus`: no environment frame or label, the
off-the-shelf protocol), or `,launcher` for the phone domain
(`experiments.pretraining.launcher_data`: launcher screens, their own recipe; see the
bundled-android model card).
Any field can be overridden with --config.x=y.
"""

import ml_collections

from experiments.pretraining import clip_data, launcher_data

# Training steps per size: the larger towers are slower per step, so they get the same
# number of steps (same data seen) rather than the same wall-clock.
NUM_STEPS = {"XXS": 1500, "XS": 1500, "S": 1500, "M": 1500, "L": 1500}
# The web family (`,web`): data seen grows with size, 12,800 to 384,000 corpus images at batch
# 256 (30x), while the image tower grows 43x from XXS to M (studies/web_clip/README.md).
WEB_STEPS = {"XXS": 50, "XS": 200, "S": 1500, "M": 1500, "L": 1500}
LAUNCHER_STEPS = 800
FAMILY_STEPS = 400  # the scaling study's shorter recipe (batch 128), the same for every size


def get_config(arg: str = "S") -> ml_collections.ConfigDict:
  size, *flags = arg.split(",")
  unknown = sorted(set(flags) - {"smoke", "family", "relations", "web", "launcher"})
  if unknown:
    raise ValueError(
      f"Unknown config argument {unknown}: after the size, this config takes any of "
      "',smoke', ',family', ',relations', ',web', ',launcher'."
    )
  smoke, family, launcher = "smoke" in flags, "family" in flags, "launcher" in flags
  web = "web" in flags
  c = ml_collections.ConfigDict()
  c.size = size
  c.seed = 0
  c.workdir = (  # smoke runs apart: a leftover smoke model never passes for a trained one
    f"runs/pretrain_clip/{'smoke/' if smoke else ''}{'web/' if web else ''}"
    f"{'family/' if family else ''}{'launcher/' if launcher else ''}"
    f"{'relations/' if 'relations' in flags else ''}{size}"
  )
  # Fine-tuning: a CLIP to start from (a folder, a hub id or "bundled"); its architecture
  # and weights replace the size preset's fresh ones ("" trains from scratch). Playhouse
  # frames are 64 x 64, so it must take 64 x 64 images.
  c.init_from = ""
  c.export_dir = ""  # also save the final model here (e.g. vlm_rewards/assets/bundled_clip)
  c.image_size = 64  # the vision tower's square input
  c.patch_size = 0  # the vision tower's patch size; 0 keeps the size preset's (16)
  c.max_text_length = 32  # the text tower's positions (goal strings are short)
  c.caption_tokens = 20  # captions are padded to this (causal text tower: padding is inert)
  c.batch_size = 128 if family else 256
  c.num_steps = 40 if smoke else (FAMILY_STEPS if family else NUM_STEPS.get(size, 0))
  c.learning_rate = 1e-3
  c.warmup_steps = 5 if smoke else (40 if family else 150)
  if web and not smoke:
    c.num_steps = WEB_STEPS.get(size, 0)
    c.warmup_steps = min(150, c.num_steps // 10)
  c.weight_decay = 0.1
  c.checkpoint_every = 20 if smoke else 500
  c.log_every = 10 if smoke else 50
  # Data: rollouts in two house configurations, the benchmark default and the main job's
  # one-room house (experiments/configs/playhouse_find.py), so the bundled model sees both.
  c.data = ml_collections.ConfigDict()
  c.data.domain = "corpus" if web else ("launcher" if launcher else "playhouse")
  # The web stand-in (`vlm_rewards.corpus`, docs/corpus.md): no environment frame, label or
  # goal sentence, so a model trained with `,web` is an off-the-shelf CLIP for both envs.
  # Only these keys apply to it; the rollout keys below are the environments' recipes.
  c.data.corpus = ml_collections.ConfigDict()
  c.data.corpus.num_concepts = 0  # 0: every object category; N: the first N (a scale knob)
  c.data.corpus.caption_noise = 0.15
  c.data.corpus.wrong_colour_rate = 0.05
  c.data.corpus.unrelated_rate = 0.02
  c.data.num_envs = 16 if smoke else 64
  c.data.episode_steps = 16 if smoke else 64
  c.data.oracle_fraction = 0.7
  c.data.epsilon = 0.15
  c.data.pool_rollouts = (
    2 if smoke else (6 if family else 12)
  )  # frames in the pool = rollouts * envs * steps
  c.data.refresh_every = 10 if smoke else 100  # steps between replacing one rollout's frames
  c.data.small_house_fraction = 0.5  # share of rollouts in the one-room house
  # Pick-and-place recipe: "apart" captions, and each caption's counterfactual (next to <->
  # apart; held -> on the floor, or next to an object in view) as an extra text of the batch
  # (experiments/pretraining/clip_data.hard_negatives).
  c.data.relations = "relations" in flags
  # With relations: the share of pair captions ("a next to b", "a and b apart") whose hard
  # negative names another object in the place of a or b, instead of the other relation.
  c.data.identity_negatives = 0.0
  c.data.family_weights = ()  # weights of the houses' goal families (find, lift, place); () uniform
  # Sampling weights of the fact kinds a frame's caption is drawn from (a frame has several
  # true facts), e.g. --config.data.kind_weights.near=6.0; the defaults are the caption
  # module's KIND_WEIGHTS.
  c.data.kind_weights = dict((launcher_data if launcher else clip_data).KIND_WEIGHTS)
  if launcher:
    # Phone screens: 64 phones x 16-step episodes per rollout (1,024 frames), 60% oracle; a
    # pool of 24 rollouts, one replaced every 20 steps. Fewer steps than the Playhouse recipe:
    # the screens are fewer and simpler (60 apps, home pages, drawer).
    c.num_steps = 40 if smoke else LAUNCHER_STEPS
    c.warmup_steps = 5 if smoke else 60
    c.data.episode_steps = 16
    c.data.oracle_fraction = 0.6
    c.data.epsilon = 0.2
    c.data.pool_rollouts = 2 if smoke else 24
    c.data.refresh_every = 10 if smoke else 20
  c.lock()
  return c
