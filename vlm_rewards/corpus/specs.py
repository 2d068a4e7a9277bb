"""What each image shows, sampled on the host: the ids captions name and drawers draw.

A sampler returns a dict of int32 arrays with one row per image; `concepts` turns a spec
into the concept ids an image shows (main one first, -1 padded). A concept is an object
category in a colour (`category * NUM_COLOURS + colour`) or an app (`OBJECT_CONCEPTS + app`).
"""

from typing import NamedTuple

import numpy as np

from vlm_rewards.corpus import apps as A
from vlm_rewards.corpus import concepts as C

KINDS = ("photo", "illustration", "scene", "app_icon", "screenshot", "home_screen")
OBJECT_CONCEPTS = C.NUM_CATEGORIES * C.NUM_COLOURS
NUM_CONCEPTS = OBJECT_CONCEPTS + A.NUM_APPS
MAX_CONCEPTS = 4
MAX_OBJECTS = 3
HOME_CELLS, DOCK = 20, 4
_FURNITURE_COLOURS = tuple(
  C.COLOUR_ID[c] for c in ("brown", "grey", "white", "black", "blue", "green", "red", "yellow")
)


class Vocabulary(NamedTuple):
  """The categories and apps a corpus draws from (a prefix of each list)."""

  categories: np.ndarray
  toys: np.ndarray  # categories that are not furniture
  apps: np.ndarray


def vocabulary(num_concepts: int | None = None) -> Vocabulary:
  """The first `num_concepts` categories and the first `num_concepts` apps (all if None)."""
  n_cat = C.NUM_CATEGORIES if num_concepts is None else min(num_concepts, C.NUM_CATEGORIES)
  n_app = A.NUM_APPS if num_concepts is None else min(num_concepts, A.NUM_APPS)
  if n_cat < 1:
    raise ValueError(f"num_concepts must be positive, got {num_concepts}")
  cats = np.arange(n_cat)
  toys = np.asarray([c for c in cats if not C.CATEGORIES[c].furniture])
  return Vocabulary(cats, toys if len(toys) else cats, np.arange(n_app))


def _colour(rng, cat: int) -> int:
  """Mostly one of the category's usual colours when it has some, else any colour."""
  natural = C.CATEGORIES[cat].natural
  if natural and rng.random() < 0.8:
    return C.COLOUR_ID[natural[rng.integers(len(natural))]]
  return int(rng.integers(C.NUM_COLOURS))


def _material(rng, cat: int) -> int:
  names = C.CATEGORIES[cat].materials
  if not names or rng.random() < 0.3:
    return -1
  return C.MATERIAL_ID[names[rng.integers(len(names))]]


def _objects(rng, count: int, pool: np.ndarray, n: np.ndarray) -> dict:
  """Categories, colours and materials of up to MAX_OBJECTS objects per image, distinct
  (category, colour) pairs within an image; rows past `n` repeat the first object."""
  cats = np.zeros((count, MAX_OBJECTS), np.int32)
  colours, materials = np.zeros_like(cats), np.full_like(cats, -1)
  for i in range(count):
    seen = set()
    for j in range(MAX_OBJECTS):
      for _ in range(10):
        cat = int(pool[rng.integers(len(pool))])
        colour = _colour(rng, cat)
        if (cat, colour) not in seen:
          break
      seen.add((cat, colour))
      cats[i, j], colours[i, j], materials[i, j] = cat, colour, _material(rng, cat)
  return {"n": n.astype(np.int32), "cats": cats, "colours": colours, "materials": materials}


def photos(rng, count: int, vocab: Vocabulary) -> dict:
  """1-3 objects, a background and a viewpoint (side 60%, top 20%, close-up 20%)."""
  view = rng.choice(3, count, p=[0.6, 0.2, 0.2])
  background = rng.integers(len(C.BACKGROUNDS), size=count)
  sky = np.asarray([C.BACKGROUNDS[b].floats > 0 for b in background])
  view = np.where(sky, 0, view)
  n = np.where(view == 2, 1, rng.choice([1, 2, 3], count, p=[0.5, 0.3, 0.2]))
  spec = _objects(rng, count, vocab.categories, n)
  return spec | {"background": background.astype(np.int32), "view": view.astype(np.int32)}


def scenes(rng, count: int, vocab: Vocabulary) -> dict:
  """A room, two pieces of its furniture and 1-3 objects on the floor."""
  room = rng.integers(len(C.ROOMS), size=count)
  furniture = np.zeros((count, 2), np.int32)
  for i, r in enumerate(room):
    names = C.ROOMS[r].furniture
    furniture[i] = [C.CATEGORY_ID[names[k]] for k in rng.choice(len(names), 2, replace=False)]
  colours = np.asarray(_FURNITURE_COLOURS)[rng.integers(len(_FURNITURE_COLOURS), size=(count, 2))]
  n = rng.choice([1, 2, 3], count, p=[0.5, 0.3, 0.2])
  spec = _objects(rng, count, vocab.toys, n)
  return spec | {
    "room": room.astype(np.int32),
    "furniture": furniture,
    "furniture_colours": colours.astype(np.int32),
  }


def icons(rng, count: int, vocab: Vocabulary) -> dict:
  """An app and how its icon is shown: alone (60%), over its name, in a store listing."""
  app = vocab.apps[rng.integers(len(vocab.apps), size=count)]
  return {
    "app": app.astype(np.int32),
    "layout": rng.choice(3, count, p=[0.6, 0.25, 0.15]).astype(np.int32),
  }


def screenshots(rng, count: int, vocab: Vocabulary) -> dict:
  return {"app": vocab.apps[rng.integers(len(vocab.apps), size=count)].astype(np.int32)}


def homes(rng, count: int, vocab: Vocabulary) -> dict:
  """A dock of DOCK distinct apps (the ones captions name) and a grid of HOME_CELLS cells,
  each holding an app 75% of the time (-1: empty)."""
  apps = vocab.apps
  dock = np.stack([rng.choice(apps, DOCK, replace=len(apps) < DOCK) for _ in range(count)])
  grid = apps[rng.integers(len(apps), size=(count, HOME_CELLS))]
  grid = np.where(rng.random((count, HOME_CELLS)) < 0.75, grid, -1)
  return {"grid": grid.astype(np.int32), "dock": dock.astype(np.int32)}


SAMPLERS = {
  "photo": photos,
  "illustration": photos,
  "scene": scenes,
  "app_icon": icons,
  "screenshot": screenshots,
  "home_screen": homes,
}


def concepts(kind: str, spec: dict) -> np.ndarray:
  """int32 [count, MAX_CONCEPTS]: the concept ids each image shows, main first, -1 padded."""
  if kind in ("photo", "illustration", "scene"):
    ids = spec["cats"] * C.NUM_COLOURS + spec["colours"]
    ids = np.where(np.arange(MAX_OBJECTS)[None] < spec["n"][:, None], ids, -1)
  elif kind == "home_screen":
    ids = OBJECT_CONCEPTS + spec["dock"]
  else:
    ids = OBJECT_CONCEPTS + spec["app"][:, None]
  out = np.full((ids.shape[0], MAX_CONCEPTS), -1, np.int32)
  out[:, : ids.shape[1]] = ids
  return out


def concept_name(concept: int) -> str:
  """ "red duck" or "app Gmail" for a concept id."""
  if concept < 0:
    return "-"
  if concept >= OBJECT_CONCEPTS:
    return f"app {A.APPS[concept - OBJECT_CONCEPTS].name}"
  cat, colour = divmod(concept, C.NUM_COLOURS)
  return f"{C.COLOURS[colour].name} {C.CATEGORIES[cat].name}"


def take(spec: dict, rows) -> dict:
  return {k: v[rows] for k, v in spec.items()}
