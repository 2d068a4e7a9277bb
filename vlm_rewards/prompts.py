"""Goal text templates and prompt ensembles.

A template is a format string with one field, ``{goal}`` or ``{app}``, that receives the goal
text. Templates A-D are the AndroidEnv prompts of Baumli et al. (2023), Fig. 5 (D was best).
"""

import string
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

TEMPLATES: dict[str, str] = {
  "plain": "{goal}",
  "photo": "a photo of {goal}",
  "photo_of_the": "a photo of the {goal}",
  "render": "a rendering of {goal}",
  "first_person": "a first-person view: {goal}",
  "android": "Screenshot of {app} on Android",
  "android_a": "Open {app}",
  "android_b": "Open the {app} app",
  "android_c": "Screenshot of {app}",
  "android_d": "Screenshot of {app} on Android",
}
ENSEMBLES: dict[str, tuple[str, ...]] = {
  "photo": ("plain", "photo", "photo_of_the", "render"),
  "android": ("android_c", "android_d"),
}
_FIELDS = ("goal", "app")


def get_template(name_or_template: str) -> str:
  """Returns a named template, or the argument itself when it is a template string.

  Raises:
    ValueError: an unknown name, or a string with no ``{goal}``/``{app}`` field or another
      field.
  """
  if name_or_template in TEMPLATES:
    return TEMPLATES[name_or_template]
  fields = {f for _, f, _, _ in string.Formatter().parse(name_or_template) if f is not None}
  if len(fields) == 1 and fields <= set(_FIELDS):
    return name_or_template
  raise ValueError(
    f"{name_or_template!r} is neither a template name ({sorted(TEMPLATES)}) nor "
    "a template with exactly one field, {goal} or {app}."
  )


def format_prompt(template: str, goal: str) -> str:
  """Fills a template (name or string) with a goal: ``format_prompt("photo", "a cat")``."""
  return get_template(template).format(goal=goal, app=goal)


def format_prompts(template: str, goals: Sequence[str]) -> list[str]:
  """``format_prompt`` over a list of goals."""
  return [format_prompt(template, goal) for goal in goals]


def get_ensemble(name_or_templates: str | Sequence[str]) -> tuple[str, ...]:
  """Template names/strings of an ensemble: a named ensemble, one template, or a list."""
  if isinstance(name_or_templates, str):
    if name_or_templates in ENSEMBLES:
      return ENSEMBLES[name_or_templates]
    return (name_or_templates,)
  templates = tuple(name_or_templates)
  if not templates:
    raise ValueError("a prompt ensemble needs at least one template.")
  return templates


def ensemble_text_embeddings(
  embed_text: Callable[[list[str]], jax.Array],
  goals: Sequence[str],
  templates: str | Sequence[str] = "plain",
) -> jax.Array:
  """Embeds goals with a prompt ensemble.

  Each goal's embedding is the mean over templates of the normalised prompt embeddings,
  normalised again. One template gives its plain embedding.

  Args:
    embed_text: maps a list of N strings to L2-normalised float [N, D] (``CLIP.embed_text``).
    goals: N goal strings.
    templates: template name, template string, ensemble name, or a sequence of them.

  Returns:
    float32 [N, D] L2-normalised embeddings.
  """
  goals = list(goals)
  if not goals:
    raise ValueError("the goal list is empty; pass at least one goal.")
  names = get_ensemble(templates)
  prompts = [p for name in names for p in format_prompts(name, goals)]
  emb = jnp.asarray(embed_text(prompts), jnp.float32).reshape(len(names), len(goals), -1)
  emb = emb / jnp.linalg.norm(emb, axis=-1, keepdims=True)
  mean = emb.mean(axis=0)
  return mean / jnp.maximum(jnp.linalg.norm(mean, axis=-1, keepdims=True), 1e-12)
