"""Captions in the style of web alt text, several per image, and their noise.

Captions describe what an image shows (objects, colours, materials, surroundings, rooms,
apps and their screens) as alt text and stock-photo titles do. They never state a goal or
an action: no imperative verbs, no relations a success test would check (`FORBIDDEN`, and
the test against the environments' goal strings in tests/test_corpus.py).
"""

from vlm_rewards.corpus import apps as A
from vlm_rewards.corpus import concepts as C

FORBIDDEN = ("go near", "lift", "put", "open", "pick up", "next to", "is held", "is near")

NUMBERS = {2: "two", 3: "three"}
FILLERS = (
  "stock photo",
  "hd",
  "free download",
  "4k",
  "png",
  "jpg",
  "image",
  "wallpaper",
  "high quality",
  "royalty free",
  "new",
  "hq",
  "photo",
  "picture",
  "vector",
  "cute",
  "best",
  "2",
  "clip art",
  "closeup",
  "simple",
  "free",
)
UNRELATED = (
  "IMG_{n}.jpg",
  "untitled",
  "image",
  "click to enlarge",
  "thumbnail",
  "DSC{n}",
  "product image",
  "view more",
  "banner",
  "Screenshot_{n}.png",
  "photo {n}",
  "img",
  "file",
  "see more",
  "loading",
)

PHOTO_ONE = (
  "{obj}",
  "{obj} {bg}",
  "a photo of {obj}",
  "photo of {obj} {bg}",
  "{obj} {bg}.",
  "picture of {obj}",
  "{obj} - stock image",
  "a small {bare} {bg}",
  "{colour} {cat}",
  "{cat} in {colour}",
  "an image of {obj} {bg}",
  "{obj}, photographed {bg}",
  "{colour} {cat} {bg}",
  "my {bare}",
  "{a_cat} that is {colour}",
)
PHOTO_VIEW = {
  1: ("top view of {obj} {bg}", "{obj} seen from above", "flat lay of {obj} {bg}"),
  2: ("close-up of {obj}", "a close-up photo of {obj}", "macro shot of {obj}"),
}
PHOTO_MANY = (
  "{objs} {bg}",
  "a photo of {objs}",
  "{count} {group} {bg}: {objs}",
  "{objs}",
  "{objs}, {bg}",
  "{count} {group}: {objs}",
  "photo of {objs} {bg}",
)
CARTOON = (
  "cartoon of {obj}",
  "{obj} clipart",
  "illustration of {obj}",
  "a drawing of {obj}",
  "{obj} icon",
  "cute cartoon {bare}",
  "{obj}, vector art",
  "flat illustration of {obj}",
  "{colour} {cat} cartoon",
  "clip art of {obj}",
  "{a_colour_cat} drawn in a flat style",
)
CARTOON_MANY = (
  "cartoon of {objs}",
  "illustration of {objs}",
  "{objs} clipart",
  "flat vector illustration of {objs}",
  "{count} cartoon {group}: {objs}",
)
SCENE = (
  "{a_room} with {obj}",
  "{obj} on the floor of {a_room}",
  "{objs} in {a_room}",
  "interior of {a_room} with {objs}",
  "{a_room} with {a_furniture}, and {obj} on the floor",
  "{obj} in {a_room}",
  "a cozy {room} with {obj}",
  "{room} interior with {objs}",
  "toys on the floor of {a_room}: {objs}",
  "{a_room} and {obj}",
  "photo of {a_room} with {a_furniture} and {objs}",
  "{objs} on the floor, {room}",
)
ICON = (
  "{app} app icon",
  "the {app} logo",
  "{app} icon",
  "icon of the {app} app",
  "{app} logo png",
  "{app} app logo",
  "the {app} app icon",
  "{app} symbol",
)
ICON_LAYOUT = {
  1: ("{app} icon with its name", "{app} app icon and name"),
  2: ("{app} app page in a store", "{app} app listing", "{app} in the app store"),
}
SCREENSHOT = (
  "screenshot of {screen} in the {app} app",
  "{app} app on a phone screen",
  "a phone showing the {app} app",
  "{app} screenshot",
  "screenshot of {app}",
  "{app} on Android",
  "the {app} app",
  "{screen} in {app}",
  "{app}: {screen}",
  "android screenshot of the {app} app",
  "mobile app ui of {app}",
  "{screen} on a phone",
  "{app} app showing {screen}",
  "Screenshot of {app} on Android",
)
HOME = (
  "an Android home screen with {apps} icons",
  "a phone home screen",
  "home screen with {apps}",
  "android launcher with app icons",
  "{apps} icons on a home screen",
  "a smartphone home screen showing {apps}",
  "phone wallpaper with app icons",
  "home screen of a phone with {apps}",
  "app icons on an android phone: {apps}",
)
GROUPS = ("toys", "objects", "things", "items")


PLURAL = ("headphones", "over-ear headphones")  # nouns that take no article


def article(words: str) -> str:
  """ "a red duck", "an orange ball", "blue headphones"."""
  if words.endswith(PLURAL):
    return words
  return ("an " if words[0] in "aeiou" else "a ") + words


def colour_word(rng, colour: int) -> str:
  c = C.COLOURS[colour]
  names = (c.name,) + c.synonyms
  return names[0] if rng.random() < 0.8 else names[rng.integers(len(names))]


def category_word(rng, cat: int) -> str:
  c = C.CATEGORIES[cat]
  return c.name if rng.random() < 0.6 else c.synonyms[rng.integers(len(c.synonyms))]


def object_words(rng, cat: int, colour: int, material: int) -> str:
  """ "red rubber duck", "blue mug", "teddy bear in pink" without an article."""
  words = [colour_word(rng, colour)]
  if material >= 0 and rng.random() < 0.4:
    words.append(C.MATERIALS[material].name)
  return " ".join(words + [category_word(rng, cat)])


def join(items: list[str]) -> str:
  if len(items) == 1:
    return items[0]
  return ", ".join(items[:-1]) + " and " + items[-1]


def _objects(rng, spec: dict) -> dict:
  """Fields for the object templates from a photo, illustration or scene spec."""
  n = int(spec["n"])
  words = [
    object_words(rng, spec["cats"][i], spec["colours"][i], spec["materials"][i]) for i in range(n)
  ]
  main_cat, main_colour = int(spec["cats"][0]), int(spec["colours"][0])
  return {
    "obj": article(words[0]),
    "bare": words[0],
    "objs": join([article(w) for w in words]),
    "colour": (colour := colour_word(rng, main_colour)),
    "cat": (cat := category_word(rng, main_cat)),
    "a_cat": article(cat),
    "a_colour_cat": article(f"{colour} {cat}"),
    "count": NUMBERS.get(n, "one"),
    "group": GROUPS[rng.integers(len(GROUPS))],
  }


def photo(rng, spec: dict, cartoon: bool = False) -> str:
  """One caption of a photo (or an illustration) spec."""
  fields = _objects(rng, spec)
  bg = C.BACKGROUNDS[int(spec["background"])]
  fields["bg"] = bg.phrases[rng.integers(len(bg.phrases))]
  many = int(spec["n"]) > 1 and rng.random() < 0.8
  if cartoon:
    templates = CARTOON_MANY if many else CARTOON
  else:
    view = int(spec["view"])
    templates = PHOTO_MANY if many else PHOTO_ONE + PHOTO_VIEW.get(view, ()) * 2
  return templates[rng.integers(len(templates))].format(**fields)


def scene(rng, spec: dict) -> str:
  """One caption of an indoor scene spec."""
  fields = _objects(rng, spec)
  fields["room"] = C.ROOMS[int(spec["room"])].name
  fields["a_room"] = article(fields["room"])
  furniture = int(spec["furniture"][rng.integers(2)])
  fields["a_furniture"] = article(C.CATEGORIES[furniture].name)
  return SCENE[rng.integers(len(SCENE))].format(**fields)


def app_name(rng, app: int) -> str:
  a = A.APPS[app]
  return a.name if rng.random() < 0.85 or a.label == a.name else a.label


def icon(rng, spec: dict) -> str:
  templates = ICON + ICON_LAYOUT.get(int(spec["layout"]), ()) * 2
  return templates[rng.integers(len(templates))].format(app=app_name(rng, int(spec["app"])))


def screenshot(rng, spec: dict) -> str:
  app = int(spec["app"])
  screens = A.SCREENS[A.APPS[app].kind]
  fields = {"app": app_name(rng, app), "screen": screens[rng.integers(len(screens))]}
  return SCREENSHOT[rng.integers(len(SCREENSHOT))].format(**fields)


def home(rng, spec: dict) -> str:
  dock = [int(a) for a in spec["dock"] if a >= 0]  # the first is the main concept: always named
  k = int(rng.integers(0, len(dock))) if dock else 0
  chosen = dock[:1] + [dock[1:][i] for i in rng.permutation(len(dock) - 1)[:k]] if dock else []
  names = [app_name(rng, a) for a in chosen]
  templates = HOME if names else tuple(t for t in HOME if "{apps}" not in t)
  return templates[rng.integers(len(templates))].format(apps=join(names) if names else "")


def add_noise(
  rng,
  caption: str,
  spec: dict,
  kind: str,
  word_rate: float,
  colour_rate: float,
  unrelated_rate: float,
) -> str:
  """Web-style noise: an unrelated caption, a wrong colour word, a dropped or an inserted
  word, changed case."""
  if rng.random() < unrelated_rate:
    return UNRELATED[rng.integers(len(UNRELATED))].format(n=rng.integers(1000, 9999))
  if rng.random() < colour_rate and "colours" in spec:
    caption = wrong_colour(rng, caption, int(spec["colours"][0]))
  if rng.random() < word_rate:
    words = caption.split()
    if rng.random() < 0.4 and len(words) > 2:
      del words[rng.integers(len(words))]
    else:
      filler = FILLERS[rng.integers(len(FILLERS))]
      words.insert(0 if rng.random() < 0.3 else len(words), filler)
    caption = " ".join(words)
  if rng.random() < 0.3:
    caption = caption[:1].upper() + caption[1:]
  return caption


def wrong_colour(rng, caption: str, colour: int) -> str:
  """The caption with the first word naming `colour` swapped for another colour."""
  names = {C.COLOURS[colour].name, *C.COLOURS[colour].synonyms}
  others = [c.name for i, c in enumerate(C.COLOURS) if i != colour]
  words = caption.split(" ")
  for i, word in enumerate(words):
    if word.strip(",.:") in names:
      words[i] = word.replace(word.strip(",.:"), others[rng.integers(len(others))])
      return " ".join(words)
  return caption


CAPTIONERS = {
  "photo": photo,
  "illustration": lambda rng, spec: photo(rng, spec, cartoon=True),
  "scene": scene,
  "app_icon": icon,
  "screenshot": screenshot,
  "home_screen": home,
}


def captions(
  rng, kind: str, spec: dict, count: int, noise: tuple[float, float, float]
) -> list[str]:
  """`count` captions of one image (`noise`: word, wrong-colour and unrelated rates)."""
  make = CAPTIONERS[kind]
  return [add_noise(rng, make(rng, spec), spec, kind, *noise) for _ in range(count)]
