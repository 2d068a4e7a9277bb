"""Runnable examples of the three contracts (README, "Add your own ..."): an environment
(`corridor_env`, with its config `corridor_config`), an agent (`reinforce_agent`) and a CLIP
pretrained and saved as a Hugging Face folder (`own_clip`)."""
