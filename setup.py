"""Vision-language models as a source of rewards, end to end in JAX.

`pip install .` is the core: the reward model, the Playhouse and launcher, the fused trainer,
pretraining and the analysis commands. Extras add the rest; `requirements*.txt` are the
pinned locks that `make` installs (see the README's quick start and "GPU and TPU").
"""

from setuptools import find_namespace_packages, setup

# The JAX and Flax ranges hold every version this project has run with: jax 0.10.2 / flax
# 0.12.8 (the CPU lock, Python 3.11) and jax 0.11.2 / flax 0.12.10 (the H200 runs, Python 3.12).
JAX_RANGE = ">=0.7,<0.12"

EXTRAS = {
  # The AndroidEnv bridge (envs/android/): android_env imports immutabledict without
  # declaring it, and its generated protos need protobuf >= 6.33 and grpcio >= 1.81.1.
  "android": ["android-env>=1.3,<2", "immutabledict>=4", "protobuf>=6.33", "grpcio>=1.81.1"],
  # Sebulba's actors on a Ray cluster (experiments/sebulba_ray.py, sebulba.actors="ray").
  "ray": ["ray>=2.40,<3"],
  # Interval estimates: rliable's over a sweep's seeds (experiments/sweep.py; its arch
  # dependency, < 8, does not import under pandas 3), statsmodels' for proportions (studies).
  "sweep": ["rliable>=1.2,<2", "pandas>=2,<3", "statsmodels>=0.14"],
  # Loading PyTorch CLIP weights (`load_clip` of a folder with pytorch_model.bin), and the
  # PyTorch side of benchmarks/reward_throughput.py; never needed to train.
  "torch": ["torch>=2.4"],
  # gs:// workdirs: etils.epath reaches GCS through gcsfs (TensorFlow's gfile where installed).
  "gcs": ["gcsfs>=2024.2"],
  # Optional experiment tracking (--config.logger.wandb=True).
  "wandb": ["wandb>=0.17"],
  # Accelerator builds of jaxlib at the same JAX (pip keeps the jax that is installed).
  "cuda12": [f"jax[cuda12]{JAX_RANGE}"],
  "tpu": [f"jax[tpu]{JAX_RANGE}"],
}
# What the test suite imports: every extra but wandb and the accelerators, the TensorBoard
# viewer (tests read event files with it), and the test runners.
EXTRAS["test"] = [
  *EXTRAS["android"],
  *EXTRAS["ray"],
  *EXTRAS["sweep"],
  *EXTRAS["torch"],
  "tensorboard>=2.15",
  "pytest>=8,<10",
  "pytest-xdist>=3.5,<4",
  "ruff>=0.6,<1",
]
EXTRAS["dev"] = EXTRAS["test"]

setup(
  name="vlm-rewards",
  version="0.1.0",
  description="CLIP rewards, a procedural JAX Playhouse and an IMPALA agent in one compiled step",
  license="Apache-2.0",
  python_requires=">=3.11",
  # namespace discovery: the asset folders (no __init__.py) count as packages, so their data
  # files ship without setuptools' "package would be ignored" warning
  packages=find_namespace_packages(include=["vlm_rewards*", "envs*", "agents*", "experiments*"]),
  package_data={"vlm_rewards": ["assets/**/*"]},
  include_package_data=True,
  install_requires=[
    f"jax{JAX_RANGE}",
    "flax>=0.10,<0.13",
    "optax>=0.2.4,<0.3",
    # transformers 5 removed the Flax models that vlm_rewards/clip.py builds on (README,
    # "Add your own CLIP", says how to plug in another CLIP).
    "transformers>=4.45,<5",
    "huggingface-hub>=0.23,<1",
    "safetensors>=0.4,<1",
    "dm-env>=1.6,<2",
    "rlax>=0.1.6,<0.2",
    "distrax>=0.1.5,<0.2",
    "chex>=0.1.87,<0.2",
    "orbax-checkpoint>=0.11,<0.13",
    "etils[epath]>=1.7",
    "ml-collections>=0.1.1,<2",
    "absl-py>=2",
    "numpy>=1.26,<3",
    "scipy>=1.11,<2",
    "tqdm>=4.60,<5",
    "matplotlib>=3.7,<4",
    "imageio>=2.30,<3",
    "pillow>=10,<14",
    "tensorboardX>=2.6,<3",
  ],
  extras_require=EXTRAS,
)
