"""The prompt study (the paper's Fig. 5) with the web family, zero-shot and offline: AP of
each template A-D on the launcher's held-out frames (studies/web_clip/README.md).

  python -m studies.web_clip.prompts --cells=runs/web_clip/zero_shot \
      --models=web-XXS,web-XS,web-S,web-M --out=runs/web_clip/prompts.json

The frames are `experiments.analysis.zero_shot`'s launcher cells (made there, or here from the
same settings), scored exactly as there, with the goal, the other goals and every extra
negative filled into each template in turn. The threshold of each model is its corpus beta,
as everywhere in the study; no environment label chooses anything.
"""

import json
import pathlib
import types

from absl import app, flags, logging

from experiments import run_io
from experiments.analysis import zero_shot
from vlm_rewards.clip import load_clip
from vlm_rewards.corpus import calibration

# The paper's templates A-D (Fig. 5).
TEMPLATES = {"A": "android_a", "B": "android_b", "C": "android_c", "D": "android_d"}
SOURCES = ("launcher/common/random_walk", "launcher/common/oracle")


def score_templates(clip, cells: dict, beta: float) -> dict:
  """{source: {letter: zero_shot.score_cell row}} for each launcher source and template."""
  return {
    source: {
      letter: zero_shot.score_cell(clip, {**cells[source], "template": name}, beta)
      for letter, name in TEMPLATES.items()
    }
    for source in SOURCES
  }


def main(argv) -> None:
  del argv
  logging.set_verbosity(logging.WARNING)
  run_io.refuse_overwrite(FLAGS.out.value, FLAGS.overwrite.value)
  cells_dir = pathlib.Path(FLAGS.cells.value)
  cells_dir.mkdir(parents=True, exist_ok=True)
  seed, num_envs = FLAGS.seed.value, FLAGS.num_envs.value
  cells = zero_shot.load_cells(cells_dir, seed, num_envs, FLAGS.agent_run.value)
  table = {}
  for name in FLAGS.models.value:
    clip = load_clip(name)
    beta = calibration.corpus_threshold(clip)["threshold"]
    table[name] = {"corpus_beta": beta, "sources": score_templates(clip, cells, beta)}
    for source, rows in table[name]["sources"].items():
      print(name, source, {k: r.get("average_precision") for k, r in rows.items()}, flush=True)
  table["_settings"] = {"templates": TEMPLATES, "seed": seed, "num_envs": num_envs}
  pathlib.Path(FLAGS.out.value).write_text(json.dumps(table, indent=2) + "\n")


def define_flags() -> types.SimpleNamespace:
  """The script's flags, defined only when it runs (tests import its functions beside other
  scripts' flags of the same names)."""
  return types.SimpleNamespace(
    cells=flags.DEFINE_string("cells", "runs/web_clip/zero_shot", "zero_shot's --out"),
    agent_run=flags.DEFINE_string("agent_run", "runs/playhouse_find", "zero_shot's --agent_run"),
    models=flags.DEFINE_list("models", ["web-S"], "CLIPs: load_clip names or folders"),
    seed=flags.DEFINE_integer("seed", 1234, "zero_shot's dataset seed"),
    num_envs=flags.DEFINE_integer("num_envs", 32, "zero_shot's --num_envs"),
    out=flags.DEFINE_string("out", "runs/web_clip/prompts.json", "results file"),
    overwrite=flags.DEFINE_bool("overwrite", False, "replace the results already at --out"),
  )


if __name__ == "__main__":
  FLAGS = define_flags()
  app.run(main)
