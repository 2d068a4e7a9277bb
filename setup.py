"""Vision-language models as a source of rewards, end to end in JAX."""

from setuptools import find_namespace_packages, setup

setup(
  name="vlm-rewards",
  version="0.1.0",
  description="CLIP rewards, a procedural JAX Playhouse and an IMPALA agent in one compiled step",
  python_requires=">=3.11",
  # namespace discovery: the asset folders (no __init__.py) count as packages, so their data
  # files ship without setuptools' "package would be ignored" warning
  packages=find_namespace_packages(include=["vlm_rewards*", "envs*", "agents*", "experiments*"]),
  package_data={"vlm_rewards": ["assets/**/*"]},
  include_package_data=True,
  install_requires=[
    "jax>=0.7,<0.11",
    "flax>=0.10,<0.13",
    "optax>=0.2.4,<0.3",
    "transformers>=4.45,<5",
    "dm-env>=1.6,<2",
    "rlax>=0.1.6,<0.2",
    "chex>=0.1.87,<0.2",
    "orbax-checkpoint>=0.11,<0.13",
    "ml-collections>=0.1.1,<2",
    "numpy>=1.26,<3",
    "tqdm>=4.60,<5",
    "matplotlib>=3.7,<4",
    "imageio>=2.30,<3",
    "pillow>=10,<14",
    "tensorboardX>=2.6,<3",
    "safetensors>=0.4,<1",
    # The AndroidEnv bridge (envs/android/): android_env imports immutabledict without
    # declaring it, and its generated protos need protobuf >= 6.33 and grpcio >= 1.81.1.
    "android-env>=1.3,<2",
    "immutabledict>=4",
    "protobuf>=6.33",
    "grpcio>=1.81.1",
    # Sweep aggregation (experiments/sweep.py): interval estimates over seeds. rliable's arch
    # dependency (< 8) does not import under pandas 3.
    "rliable>=1.2,<2",
    "pandas>=2,<3",
  ],
  extras_require={
    "test": ["torch==2.13.0", "pytest>=8,<10", "ruff>=0.6,<1"],
  },
)
