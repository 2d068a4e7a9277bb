"""One owner per rule: scans of the source tree that name the one module allowed to state it.

A second copy of a rule drifts from the first: an episode end that forgets truncation, a `>=`
where the reward says `>`, a softmax with another temperature. The episode rules belong to
`envs/wrappers.py`; the CLIP success probability (Eq. 1) and its threshold (Eq. 2) belong to
`vlm_rewards/rewards.py`, which `RewardModel` calls; environments get rewards from a reward
model they are given and compute none themselves. Tests are not scanned: they may restate a
rule to check it.
"""

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCE_DIRS = (
  "envs",
  "vlm_rewards",
  "agents",
  "experiments",
  "benchmarks",
  "studies",
  "tools",
  "examples",
)
WRAPPERS = "envs/wrappers.py"
REWARDS = "vlm_rewards/rewards.py"


def _parse_tree(*dirs: str) -> dict[str, ast.Module]:
  """{path relative to the root: parsed module} of every Python file under `dirs`."""
  trees = {}
  for name in dirs:
    for path in sorted((ROOT / name).rglob("*.py")):
      trees[path.relative_to(ROOT).as_posix()] = ast.parse(path.read_text(), str(path))
  return trees


SOURCE = _parse_tree(*SOURCE_DIRS)


def _identifier(node: ast.AST) -> str:
  """The name an expression is about: `x`, `a.b.x`, `x[i]` and `x(...)` all give "x"."""
  while isinstance(node, (ast.Subscript, ast.Call)):
    node = node.value if isinstance(node, ast.Subscript) else node.func
  if isinstance(node, ast.Name):
    return node.id
  if isinstance(node, ast.Attribute):
    return node.attr
  return ""


def _where(path: str, node: ast.AST) -> str:
  return f"{path}:{node.lineno}"


def _nodes(kind, *, outside: tuple[str, ...] = ()):
  """(path, node) of every node of `kind` in the source, except in paths starting `outside`."""
  for path, tree in SOURCE.items():
    if outside and path.startswith(outside):
      continue
    for node in ast.walk(tree):
      if isinstance(node, kind):
        yield path, node


def test_the_scan_sees_the_owners():
  """The scans below pass vacuously if they read nothing; they read the owners' rules."""
  assert WRAPPERS in SOURCE and REWARDS in SOURCE and len(SOURCE) > 50
  defined = {node.name for path, node in _nodes(ast.FunctionDef) if path == WRAPPERS}
  assert {"episode_step", "episode_ends", "dm_env_step"} <= defined
  calls = {_identifier(node.func) for path, node in _nodes(ast.Call) if path == REWARDS}
  assert "softmax" in calls


# ----------------------------------------------------------------------------- episode rules

EPISODE_RULES = {
  "episode_step",
  "episode_ends",
  "dm_env_step",
  "EpisodeStep",
  "EpisodeStats",
  "initial_stats",
}


def test_only_the_wrappers_define_the_episode_rules():
  copies = [
    f"{_where(path, node)} {node.name}"
    for path, node in _nodes((ast.FunctionDef, ast.ClassDef), outside=(WRAPPERS,))
    if node.name in EPISODE_RULES
  ]
  assert not copies, f"episode rules defined outside {WRAPPERS}: {copies}"


def test_only_the_wrappers_decide_where_an_episode_ends():
  """An episode ends on its reward or its time limit: `terminal | truncated`, which only
  `wrappers.episode_ends` may write (elsewhere, call it)."""
  ends = []
  for path, node in _nodes((ast.BinOp, ast.BoolOp), outside=(WRAPPERS,)):
    operands = [node.left, node.right] if isinstance(node, ast.BinOp) else node.values
    is_or = isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or)
    if (is_or or isinstance(node.op, ast.BitOr)) and any(
      _identifier(x).endswith("truncated") for x in operands
    ):
      ends.append(_where(path, node))
  assert not ends, f"episode ends computed outside {WRAPPERS}: {ends}"


def test_only_the_wrappers_build_dm_env_steps():
  """dm_env's MID and LAST steps (reward, discount) come from `wrappers.dm_env_step`; a
  dm_env environment builds only its FIRST step (`dm_env.restart`) itself."""
  built = [
    f"{_where(path, node)} {_identifier(node.func)}"
    for path, node in _nodes(ast.Call, outside=(WRAPPERS,))
    if isinstance(node.func, ast.Attribute)
    and _identifier(node.func.value) == "dm_env"
    and node.func.attr in ("termination", "truncation", "transition", "TimeStep")
  ]
  assert not built, f"dm_env steps built outside {WRAPPERS}: {built}"


def _classes(directory: str):
  for path, node in _nodes(ast.ClassDef):
    if path.startswith(directory):
      methods = {m.name: m for m in node.body if isinstance(m, ast.FunctionDef)}
      yield path, node, methods


def test_every_dm_env_environment_steps_through_the_shared_rules():
  offenders, seen = [], 0
  for path, node, methods in _classes("envs/"):
    if "dm_env.Environment" in {ast.unparse(b) for b in node.bases}:
      seen += 1
      calls = {_identifier(c.func) for c in ast.walk(methods["step"]) if isinstance(c, ast.Call)}
      if "dm_env_step" not in calls:
        offenders.append(f"{_where(path, node)} {node.name}.step")
  assert seen >= 2  # the ground-truth one of envs/wrappers.py and the android bridge
  assert not offenders, f"dm_env environments with their own episode rules: {offenders}"


def test_jax_environments_have_no_episode_path_of_their_own():
  """A contract environment (it has `reset_state`) is stepped by the wrappers only: no
  standalone `reset`/`step` beside them, which would be a second set of episode rules."""
  extra = [
    f"{_where(path, node)} {node.name}.{name}"
    for path, node, methods in _classes("envs/")
    if "reset_state" in methods
    for name in ("reset", "step", "outcome", "observe")
    if name in methods
  ]
  assert not extra, f"episode paths beside envs/wrappers.py: {extra}"


# ----------------------------------------------------------------------------- the reward

POLICY_CODE = ("agents/", "examples/reinforce_agent.py")  # a softmax over action logits: no reward


def test_only_rewards_computes_the_success_probability():
  """Eq. 1 is a softmax over similarities / temperature: `rewards.success_probability`."""
  found = [
    f"{_where(path, node)} {_identifier(node.func)}"
    for path, node in _nodes(ast.Call, outside=(REWARDS, *POLICY_CODE))
    if _identifier(node.func) in ("softmax", "log_softmax")
  ]
  found += [
    f"{_where(path, node)} / {_identifier(node.right)}"
    for path, node in _nodes(ast.BinOp, outside=(REWARDS,))
    if isinstance(node.op, ast.Div) and "temperature" in _identifier(node.right)
  ]
  assert not found, f"success probabilities computed outside {REWARDS}: {found}"


_THRESHOLD = re.compile(r"^(threshold|beta)$|_threshold$|^threshold_")
_PROBABILITY = re.compile(r"^(p|probs?|probabilit(y|ies))$|_p$|^p_|_probabilit(y|ies)$")
_ORDER = (ast.Gt, ast.GtE, ast.Lt, ast.LtE)


def _thresholds_a_probability(node: ast.Compare) -> bool:
  names = [_identifier(x) for x in (node.left, *node.comparators)]
  return (
    any(isinstance(op, _ORDER) for op in node.ops)
    and any(_THRESHOLD.search(n) for n in names)
    and any(_PROBABILITY.search(n) for n in names)
  )


def test_only_rewards_thresholds_the_probability():
  """Eq. 2 fires where `p > threshold` (strictly): `rewards.fires`, which the online reward
  and offline evaluation share, so that a threshold chosen offline means the same online."""
  found = [
    f"{_where(path, node)} {ast.unparse(node)}"
    for path, node in _nodes(ast.Compare, outside=(REWARDS,))
    if _thresholds_a_probability(node)
  ]
  assert not found, f"probabilities thresholded outside {REWARDS}: {found}"


@pytest.mark.parametrize(
  "code, caught",
  [
    ("fire = p >= beta", True),
    ("fire = hard_p > beta", True),
    ("fire = probability[m] > self.threshold", True),
    ("clipped = rho_tm1 > config.clip_rho_threshold", False),
    ("ok = 0.0 <= threshold <= 1.0", False),
  ],
)
def test_the_threshold_scan_tells_a_threshold_from_other_comparisons(code, caught):
  assert _thresholds_a_probability(ast.parse(code).body[0].value) == caught


REWARD_MATH = {
  "success_probability",
  "binary_reward",
  "cosine_reward",
  "goal_baseline_reward",
  "fires",
  "embed_images",
  "image_embed_fn",
}


def test_environments_leave_the_reward_to_vlm_rewards():
  """An environment imports nothing of `vlm_rewards` and computes no reward: one that scores
  frames (the android bridge) calls the `reward_fn` of the reward model it is given."""
  found = []
  for path, node in _nodes((ast.Import, ast.ImportFrom, ast.Attribute, ast.Name)):
    if not path.startswith("envs/"):
      continue
    if isinstance(node, ast.Import):
      found += [
        f"{_where(path, node)} import {a.name}" for a in node.names if "vlm_rewards" in a.name
      ]
    elif isinstance(node, ast.ImportFrom):
      if (node.module or "").startswith("vlm_rewards"):
        found.append(f"{_where(path, node)} from {node.module}")
    elif _identifier(node) in REWARD_MATH:
      found.append(f"{_where(path, node)} {_identifier(node)}")
  assert not found, f"reward code in environments: {found}"
