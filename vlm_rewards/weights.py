"""Finds a CLIP checkpoint folder and reads its config and weights, with clear errors."""

import importlib.util
import json
import pathlib
import re
import types
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import transformers
from flax.core import unfreeze
from flax.traverse_util import flatten_dict, unflatten_dict

FLAX_WEIGHTS = "flax_model.msgpack"
SAFETENSORS_WEIGHTS = "model.safetensors"
TORCH_WEIGHTS = "pytorch_model.bin"
WEIGHT_FILES = (FLAX_WEIGHTS, SAFETENSORS_WEIGHTS, TORCH_WEIGHTS)
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[A-Za-z0-9][\w.\-]*)?$")


def _bundled(name: str, bundled_dir: pathlib.Path, build: str | None = None) -> pathlib.Path:
  if not (bundled_dir / "config.json").is_file():
    how = build or (
      "`python -m experiments.pretrain_clip` (see that folder's README for the exact command), "
      "which trains it and writes that folder"
    )
    raise FileNotFoundError(
      f"The CLIP model {name!r} is not built yet (no {bundled_dir}/config.json). Build it with "
      f"{how}; or pass the path of another CLIP folder."
    )
  return bundled_dir


def _download(repo_id: str) -> pathlib.Path:
  """Fetches config, tokenizer and weights of a hub id (Flax weights, else safetensors)."""
  from huggingface_hub import snapshot_download  # noqa: PLC0415 (only needed for hub ids)

  try:
    folder = pathlib.Path(
      snapshot_download(repo_id, allow_patterns=["*.json", "*.txt", FLAX_WEIGHTS])
    )
    if not (folder / FLAX_WEIGHTS).is_file():
      folder = pathlib.Path(snapshot_download(repo_id, allow_patterns=[SAFETENSORS_WEIGHTS]))
  except Exception as err:  # offline, unknown repo, gated repo: all mean "not available".
    raise FileNotFoundError(
      f"{repo_id!r} is not a local folder, and the Hugging Face hub could not provide it "
      f"({type(err).__name__}: no network, or no such model). To fix: if it is a path, check "
      "the spelling; if it is a hub id, download it where the hub is reachable (for example "
      f"`huggingface-cli download {repo_id} --local-dir DIR`), copy DIR to this machine and "
      "pass load_clip the folder path."
    ) from err
  return folder


def resolve_folder(
  name: str, bundled: Mapping[str, pathlib.Path], build: Mapping[str, str] | None = None
) -> pathlib.Path:
  """Maps a bundled model's name (a key of ``bundled``), a local folder or a hub id to a
  local folder; ``build`` names the command that builds a bundled model not shipped."""
  if name in bundled:
    return _bundled(name, bundled[name], (build or {}).get(name))
  path = pathlib.Path(name).expanduser()
  if path.is_dir():
    return path
  if path.exists():
    raise FileNotFoundError(
      f"{name} is a file; pass the folder that holds config.json and "
      "the weights (as written by save_pretrained)."
    )
  if not _HUB_ID.match(name):
    raise FileNotFoundError(
      f"No folder {name!r}. Pass an existing folder written by "
      f"save_pretrained, a Hugging Face hub id, or a bundled model ({', '.join(bundled)})."
    )
  return _download(name)


def _read_config(folder: pathlib.Path) -> transformers.CLIPConfig:
  path = folder / "config.json"
  if not path.is_file():
    raise FileNotFoundError(
      f"{folder} has no config.json: it is not a Hugging Face model "
      "folder. Save the model with save_pretrained(folder)."
    )
  try:
    raw = json.loads(path.read_text())
  except json.JSONDecodeError as err:
    raise ValueError(
      f"{path} is not valid JSON ({err}); the folder is corrupt, save the model again."
    ) from err
  if raw.get("model_type") != "clip":
    raise ValueError(
      f"{path} describes model_type={raw.get('model_type')!r}, not a 'clip' "
      "model; load_clip needs a CLIP checkpoint (CLIPModel / FlaxCLIPModel)."
    )
  return transformers.CLIPConfig.from_dict(raw)


def _weights_file(folder: pathlib.Path) -> pathlib.Path:
  for name in WEIGHT_FILES:
    if (folder / name).is_file():
      return folder / name
  found = sorted(p.name for p in folder.iterdir())
  raise FileNotFoundError(
    f"{folder} has no weights: expected one of {', '.join(WEIGHT_FILES)} (sharded checkpoints "
    f"are not supported), found {found}. Save the model with save_pretrained(folder)."
  )


def torch_available() -> bool:
  """Whether torch can be imported (needed only to convert ``pytorch_model.bin``)."""
  return importlib.util.find_spec("torch") is not None


def _safetensors_is_flax(path: pathlib.Path) -> bool:
  from safetensors import safe_open  # noqa: PLC0415

  with safe_open(str(path), framework="np") as handle:
    return (handle.metadata() or {}).get("format") == "flax"


def _convert_pytorch(config: transformers.CLIPConfig, weights_file: pathlib.Path):
  """Converts PyTorch-format weights to Flax params without a random initialisation.

  transformers' converter only reads the Flax model's parameter keys and shapes, so it is
  given the abstract shape tree (``jax.eval_shape``) instead of initialised weights, which
  ``FlaxCLIPModel.from_pretrained(from_pt=True)`` would compute op by op (seconds).
  """
  from transformers import modeling_flax_pytorch_utils as pt_utils  # noqa: PLC0415

  model = transformers.FlaxCLIPModel(config, _do_init=False)
  shapes = types.SimpleNamespace(
    params=model.params_shape_tree, base_model_prefix=model.base_model_prefix
  )
  return pt_utils.load_pytorch_checkpoint_in_flax_state_dict(shapes, str(weights_file), False)


def _match_config(params, config: transformers.CLIPConfig, weights_file: pathlib.Path):
  """Keeps the parameters the config's model has; raises if any is missing or misshapen."""
  model = transformers.FlaxCLIPModel(config, _do_init=False)
  expected = flatten_dict(unfreeze(model.params_shape_tree))
  flat = flatten_dict(unfreeze(params))
  bad = [
    "/".join(key)
    for key, leaf in expected.items()
    if key not in flat or tuple(flat[key].shape) != tuple(leaf.shape)
  ]
  if bad:
    raise ValueError(
      f"{weights_file} does not match its config.json: {len(bad)} parameters are missing or "
      f"have another shape (first: {bad[:3]}). It is not a full CLIP checkpoint of this "
      "config; re-save the model with save_pretrained."
    )
  return unflatten_dict({key: flat[key] for key in expected})


def _read_params(folder: pathlib.Path, config, weights_file: pathlib.Path):
  """Reads Flax params from Flax, safetensors or PyTorch weights (no random init)."""
  if weights_file.name == TORCH_WEIGHTS and not torch_available():
    raise ImportError(
      f"{weights_file} holds PyTorch weights and converting them needs torch, which is not "
      "installed: `pip install torch` (CPU build is enough), or convert the folder once to "
      "Flax/safetensors on a machine that has torch."
    )
  from_pt = weights_file.name == TORCH_WEIGHTS or (
    weights_file.name == SAFETENSORS_WEIGHTS and not _safetensors_is_flax(weights_file)
  )
  if from_pt:
    return _convert_pytorch(config, weights_file)
  _, params = transformers.FlaxCLIPModel.from_pretrained(str(folder), _do_init=False)
  return params


def load_params(folder: pathlib.Path):
  """Reads ``(CLIPConfig, params)`` from a folder; params are float32 device arrays."""
  config = _read_config(folder)
  weights_file = _weights_file(folder)
  try:
    params = _read_params(folder, config, weights_file)
  except ImportError:
    raise
  except Exception as err:
    raise ValueError(
      f"Could not read the weights in {weights_file} ({type(err).__name__}: {err}). The file is "
      "corrupt, truncated or not a CLIP checkpoint: download it again or re-save the model "
      "with save_pretrained."
    ) from err
  params = _match_config(params, config, weights_file)
  return config, jax.tree.map(lambda x: jnp.asarray(x, jnp.float32), params)
