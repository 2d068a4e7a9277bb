"""The README's examples run as it says: the corridor environment and the REINFORCE agent train
through the unchanged fused trainer, `examples.own_clip` saves a CLIP that `load_clip` reads,
and every module and config file that a README command names exists."""

import importlib.util
import pathlib
import re
import subprocess
import sys

import pytest

from examples import corridor_config, corridor_env, reinforce_agent
from experiments import registry
from experiments import train as train_lib
from experiments.configs import playhouse_find
from vlm_rewards import clip

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
  """The shell commands of README.md's code blocks, continuation lines joined."""
  blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
  lines = "\n".join(blocks).replace("\\\n", " ").splitlines()
  return [line.split("#")[0] for line in lines if " -m " in line]


def _load_config(argument: str):
  """The config of a `--config=path[:arg]` flag."""
  path, _, arg = argument.partition(":")
  spec = importlib.util.spec_from_file_location("_readme_config", ROOT / path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(arg) if arg else module.get_config()


def test_readme_commands_name_modules_configs_and_keys_that_exist():
  commands = _commands()
  assert len(commands) >= 10, commands  # the scan reads the commands
  for command in commands:
    for module in re.findall(r"-m\s+([\w.]+)", command):
      assert importlib.util.find_spec(module) is not None, command
    for argument in re.findall(r"--config=(\S+)", command):
      assert (ROOT / argument.partition(":")[0]).is_file(), command
      config = _load_config(argument)
      for key in re.findall(r"--config\.([\w.]+)=", command):
        node = config
        for part in key.split("."):
          assert part in node, (key, command)
          node = node[part]


def test_the_readme_example_configs_build_the_examples():
  """The corridor by its config's import path; REINFORCE on any config's `agent` keys."""
  env = registry.make_env(corridor_config.get_config().env)
  assert isinstance(env, corridor_env.Corridor) and env.max_steps == 6
  agent_config = playhouse_find.get_config("smoke").agent
  agent_config.name = "examples.reinforce_agent:make_agent"
  assert registry.make_agent(agent_config, 5, 10).act is not None


def _ground_truth_config(model_dir, agent=None):
  """The corridor on the ground-truth reward, at a size where a policy beats random: the tiny
  CLIP only embeds the goal text (the torso reads pixels)."""
  config = corridor_config.get_config()
  config.reward.update(source="ground_truth", model=str(model_dir))
  config.update(num_envs=32, unroll_length=8, updates_per_call=8, eval_envs=128)
  config.agent.network.update(torso="cnn", hidden_size=64)
  config.agent.learner.lr_schedule = "constant"
  if agent is not None:
    config.agent.name = agent
    config.agent.learner.learning_rate = 3e-3
  config.total_frames = 32 * 8 * 8 * 12
  config.log_every_calls = config.eval_every_calls = config.checkpoint_every_calls = 12
  return config


def _beats_random(rows, pool: str, margin: float):
  random_rate = rows[0][f"eval/random_{pool}_gt_success"]
  final = rows[-1][f"eval/{pool}_gt_success"]
  print(f"{pool} ground-truth success {final:.3f}, random policy {random_rate:.3f}")
  assert final > random_rate + margin, (random_rate, final)


@pytest.mark.long
def test_the_corridor_example_trains_through_the_unchanged_trainer(tmp_path, tiny_clip_dirs):
  _, rows = train_lib.train(_ground_truth_config(tiny_clip_dirs["flax"]), tmp_path)
  _beats_random(rows, "train", 0.2)  # measured: 0.48 against random 0.15 after 25k frames


@pytest.mark.long
def test_the_reinforce_example_trains_through_the_unchanged_trainer(tmp_path, tiny_clip_dirs):
  agent = f"{reinforce_agent.__name__}:make_agent"  # by import path, as in the README
  _, rows = train_lib.train(_ground_truth_config(tiny_clip_dirs["flax"], agent), tmp_path)
  _beats_random(rows, "train", 0.2)


def test_own_clip_saves_a_clip_that_load_clip_reads(tmp_path):
  """The README command, a few steps long, in its own process (its --out flag would clash with
  other modules' in this one)."""
  out = tmp_path / "my_clip"
  command = [sys.executable, "-m", "examples.own_clip", f"--out={out}", "--steps=4"]
  result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert result.returncode == 0, result.stderr[-3000:]
  assert f"--config.reward.model={out}" in result.stdout
  loaded = clip.load_clip(out)
  assert loaded.image_size == 64 and loaded.embed_text(["a red square"]).shape == (1, 32)
