"""The corpus vocabulary: colours, materials, object categories with their drawing recipes,
backgrounds and rooms. Apps are in `apps.py`.

A category's recipe is up to `MAX_PARTS` primitive parts in a sprite frame of [-1, 1]^2 (y
down, objects standing on y = 1), painted in order. A part is a tuple
(shape, cx, cy, hw, hh, angle, round, taper, shear, cut, role):
  shape  ELLIPSE, BOX or RING (an elliptic band `round` * min(hw, hh) thick);
  round  corner radius of a box as a fraction of its smaller half-size;
  taper  half-width grows by this fraction from the middle to the bottom edge (1: triangle);
  shear  horizontal shift per unit of height (parallelograms);
  cut    keeps the part above v = cut * hh in its own frame (0: upper half, 1: all of it);
  role   which colour the part takes (`ROLES`): the object's colour, a shade of it, or fixed.
The helpers below (`E`, `B`, `T`, `L`, `R`) write parts without the defaults.

Order matters: the first 12 categories are the everyday toys of a playroom (the words a
reward for a house with toys needs), and `CorpusConfig.num_concepts` keeps a prefix.
"""

import math
from typing import NamedTuple

NONE, ELLIPSE, BOX, RING = 0, 1, 2, 3
MAX_PARTS = 6

# Colour roles of a part: the first three follow the object's colour.
ROLES = ("main", "dark", "pale", "black", "white", "wood", "metal", "orange", "leaf", "skin",
         "brown", "glass", "gold", "red", "screen")  # fmt: skip
M, D, P, K, W, WOOD, METAL, OR, LEAF, SKIN, BR, GLASS, GOLD, RED, SCR = range(len(ROLES))
ROLE_RGB = {
  K: (34, 32, 36), W: (244, 242, 236), WOOD: (158, 108, 62), METAL: (156, 160, 168),
  OR: (238, 136, 28), LEAF: (58, 146, 52), SKIN: (236, 204, 164), BR: (96, 62, 36),
  GLASS: (176, 212, 236), GOLD: (230, 184, 40), RED: (206, 38, 42), SCR: (30, 40, 70),
}  # fmt: skip


def E(cx, cy, rx, ry, role=M, ang=0.0, tap=0.0, cut=1.0):
  return (ELLIPSE, cx, cy, rx, ry, math.radians(ang), 0.0, tap, 0.0, cut, role)


def B(cx, cy, hw, hh, role=M, ang=0.0, rnd=0.0, tap=0.0, shr=0.0, cut=1.0):
  return (BOX, cx, cy, hw, hh, math.radians(ang), rnd, tap, shr, cut, role)


def T(cx, cy, half_base, hh, role=M, ang=0.0):
  """A triangle, apex up before rotation by `ang` degrees (clockwise on screen)."""
  return (BOX, cx, cy, half_base / 2, hh, math.radians(ang), 0.0, 1.0, 0.0, 1.0, role)


def L(x0, y0, x1, y1, th, role=M):
  """A stroke of half-thickness `th` from (x0, y0) to (x1, y1), round ends."""
  half = math.hypot(x1 - x0, y1 - y0) / 2 + th
  ang = math.atan2(y1 - y0, x1 - x0)
  return (BOX, (x0 + x1) / 2, (y0 + y1) / 2, half, th, ang, 1.0, 0.0, 0.0, 1.0, role)


def R(cx, cy, rx, ry, thick, role=M, ang=0.0, cut=1.0):
  return (RING, cx, cy, rx, ry, math.radians(ang), thick, 0.0, 0.0, cut, role)


class Colour(NamedTuple):
  name: str
  rgb: tuple[int, int, int]
  synonyms: tuple[str, ...] = ()


COLOURS: tuple[Colour, ...] = (
  Colour("red", (214, 40, 40)),
  Colour("orange", (246, 132, 26)),
  Colour("yellow", (246, 214, 34)),
  Colour("green", (52, 168, 62)),
  Colour("cyan", (40, 200, 214), ("turquoise",)),
  Colour("blue", (42, 84, 220)),
  Colour("purple", (132, 58, 182), ("violet",)),
  Colour("pink", (244, 126, 178)),
  Colour("white", (240, 240, 236)),
  Colour("black", (36, 36, 40)),
  Colour("brown", (128, 78, 40)),
  Colour("grey", (140, 142, 146), ("gray",)),
)


class Material(NamedTuple):
  name: str
  gloss: float  # strength of the specular highlight
  grain: float  # wood grain stripes
  fuzz: float  # fine fur / fabric noise


MATERIALS: tuple[Material, ...] = (
  Material("plastic", 0.7, 0.0, 0.0),
  Material("rubber", 0.35, 0.0, 0.0),
  Material("wooden", 0.1, 1.0, 0.0),
  Material("metal", 0.9, 0.0, 0.0),
  Material("plush", 0.0, 0.0, 1.0),
  Material("ceramic", 0.8, 0.0, 0.0),
  Material("glass", 1.0, 0.0, 0.0),
  Material("knitted", 0.0, 0.0, 0.7),
  Material("paper", 0.05, 0.0, 0.2),
)
MATERIAL_ID = {m.name: i for i, m in enumerate(MATERIALS)}


class Category(NamedTuple):
  name: str
  synonyms: tuple[str, ...]  # other names alt text uses ("toy duck", "rubber duck")
  materials: tuple[str, ...]  # plausible ones; () for things that are not made (animals, food)
  parts: tuple[tuple, ...]
  natural: tuple[str, ...] = ()  # colours it usually has; () for any colour
  furniture: bool = False  # drawn large against the walls of indoor scenes


_TOY = ("plastic", "wooden", "rubber")
# fmt: off
CATEGORIES: tuple[Category, ...] = (
  Category("ball", ("toy ball", "rubber ball", "beach ball"), ("rubber", "plastic"),
           (E(0, .12, .84, .84), B(0, .12, .83, .12, P, rnd=1))),
  Category("cube", ("toy block", "block", "wooden cube"), ("wooden", "plastic"),
           (B(-.14, .25, .62, .62), B(.03, -.55, .62, .18, P, shr=.95),
            B(.65, .07, .62, .17, D, ang=90, shr=-1.05))),
  Category("duck", ("rubber duck", "toy duck", "duckling"), ("rubber", "plastic"),
           (E(.12, .42, .78, .48), E(-.42, -.32, .38, .36), E(-.86, -.2, .24, .1, OR),
            E(.2, .3, .36, .16, P, ang=-12), E(-.5, -.42, .07, .07, K))),
  Category("teddy bear", ("teddy", "stuffed bear", "plush bear", "bear"), ("plush", "knitted"),
           (E(-.33, -.68, .16, .16), E(.33, -.68, .16, .16), E(0, .45, .52, .5),
            E(0, -.3, .44, .4), E(0, -.18, .19, .14, P), E(0, -.27, .07, .05, K))),
  Category("car", ("toy car", "race car", "model car"), ("plastic", "metal"),
           (B(0, .28, .95, .28, rnd=.5), B(-.08, -.12, .52, .22, rnd=.4, tap=.35),
            B(-.08, -.1, .4, .13, GLASS, rnd=.3, tap=.35),
            E(-.55, .58, .21, .21, K), E(.55, .58, .21, .21, K))),
  Category("robot", ("toy robot", "robot toy", "android robot"), ("plastic", "metal"),
           (L(0, -.65, 0, -.95, .04, METAL), L(-.5, .05, -.78, .55, .08, METAL),
            L(.5, .05, .78, .55, .08, METAL), B(0, .38, .46, .52, rnd=.15),
            B(0, -.38, .36, .26, P, rnd=.25), B(0, -.4, .24, .07, SCR, rnd=.6))),
  Category("mug", ("coffee mug", "tea mug", "cup of coffee"), ("ceramic", "metal"),
           (R(.55, .15, .3, .32, .35), B(-.1, .18, .56, .74, rnd=.15),
            E(-.1, -.54, .55, .09, BR))),
  Category("boat", ("toy boat", "sailboat", "sailing boat"), ("wooden", "plastic"),
           (L(.1, -.95, .1, .2, .04, BR), T(.45, -.35, .6, .52, W),
            B(0, .45, .92, .26, tap=-.35), B(0, .32, .92, .05, P))),
  Category("plane", ("toy plane", "airplane", "aeroplane", "jet plane"), ("plastic", "metal"),
           (B(0, -.02, .96, .17, rnd=.4, tap=.4, shr=.2), B(0, .78, .38, .1, rnd=.5),
            B(0, 0, .15, .92, rnd=1), E(0, -.6, .08, .14, GLASS),
            E(-.48, .08, .07, .14, D), E(.48, .08, .07, .14, D))),
  Category("lamp", ("table lamp", "desk lamp", "floor lamp"), ("metal", "ceramic"),
           (E(0, .88, .42, .1, D), L(0, .85, 0, -.1, .05, METAL),
            E(0, -.02, .16, .1, GOLD), B(0, -.42, .44, .34, tap=.35))),
  Category("rocket", ("toy rocket", "space rocket", "spaceship"), ("plastic", "metal"),
           (T(0, .95, .32, .18, OR, ang=180), T(-.3, .62, .5, .28, D), T(.3, .62, .5, .28, D),
            E(0, .02, .3, .8, tap=.25), E(0, -.18, .13, .13, GLASS))),
  Category("guitar", ("acoustic guitar", "electric guitar", "toy guitar"), ("wooden",),
           (B(0, -.52, .07, .45, BR), B(0, -.95, .1, .08, BR, rnd=.3), E(0, .5, .46, .42),
            E(0, .02, .34, .3), E(0, .2, .12, .12, K), B(0, .6, .16, .04, K))),
  Category("chair", ("wooden chair", "kitchen chair"), ("wooden", "plastic", "metal"),
           (B(-.4, -.4, .08, .55), L(-.42, .15, -.42, .95, .06, D),
            L(.42, .15, .42, .95, .06, D), B(0, .1, .52, .09))),
  Category("table", ("coffee table", "side table", "wooden table"), ("wooden", "metal"),
           (L(-.75, -.1, -.75, .95, .06, D), L(.75, -.1, .75, .95, .06, D),
            B(0, -.18, .92, .09)), furniture=True),
  Category("bottle", ("water bottle", "plastic bottle"), ("plastic", "glass"),
           (B(0, .32, .36, .64, rnd=.4), B(0, -.5, .13, .22), B(0, -.76, .15, .08, K),
            B(0, .34, .37, .2, W))),
  Category("banana", ("ripe banana", "banana fruit"), (),
           (R(0, -.62, .92, .82, .42, ang=180, cut=-.2), E(-.86, -.28, .07, .07, BR),
            E(.86, -.28, .07, .07, BR)), ("yellow", "green")),
  Category("shoe", ("sneaker", "running shoe", "trainer"), ("knitted", "rubber"),
           (B(.2, .26, .58, .32, rnd=.6), E(-.45, .42, .42, .24), B(.48, 0, .3, .14, D, rnd=.5),
            B(0, .64, .95, .1, W, rnd=.5))),
  Category("clock", ("wall clock", "alarm clock"), ("plastic", "metal", "wooden"),
           (E(0, 0, .86, .86), E(0, 0, .7, .7, W), L(0, 0, 0, -.52, .05, K),
            L(0, 0, .36, .12, .05, K), E(0, 0, .07, .07, RED))),
  Category("tree", ("oak tree", "small tree", "bush"), (),
           (B(0, .6, .12, .4, BR), E(-.38, .05, .45, .4), E(.38, .05, .45, .4), E(0, -.3, .62, .55),
            E(-.15, -.45, .25, .18, P)), ("green", "orange", "yellow")),
  Category("cat", ("kitten", "kitty", "house cat"), (),
           (L(.7, .45, .92, -.3, .07), E(.15, .45, .6, .38), T(-.7, -.36, .22, .16),
            T(-.32, -.36, .22, .16), E(-.5, -.05, .35, .32), E(-.6, -.08, .06, .07, K)),
           ("black", "white", "orange", "grey", "brown")),
  Category("dog", ("puppy", "doggy", "pet dog"), (),
           (B(-.28, .72, .09, .26), B(.5, .72, .09, .26), E(.15, .32, .6, .32),
            E(-.55, -.15, .32, .3), E(-.85, -.05, .2, .13), E(-.4, -.06, .12, .26, D, ang=15)),
           ("brown", "white", "black", "grey")),
  Category("apple", ("fresh apple", "apple fruit"), (),
           (E(0, .16, .76, .72, tap=-.1), L(0, -.52, .08, -.85, .05, BR),
            E(.3, -.7, .2, .09, LEAF, ang=-30)), ("red", "green", "yellow")),
  Category("book", ("hardcover book", "notebook", "novel"), ("paper",),
           (B(.04, 0, .66, .86, W), B(0, .02, .66, .86, rnd=.08), B(-.6, .02, .08, .86, D),
            B(.04, -.42, .36, .08, P))),
  Category("hat", ("sun hat", "top hat", "fedora"), ("knitted",),
           (E(0, .48, .96, .18, D), B(0, .02, .56, .46, rnd=.3, tap=.12), B(0, .32, .57, .1, K))),
  Category("cup", ("teacup", "tea cup", "coffee cup"), ("ceramic", "plastic"),
           (E(0, .66, .86, .13, P), R(.58, .05, .22, .24, .3),
            B(0, .1, .58, .5, rnd=.35, tap=-.28), E(0, -.38, .58, .08, BR))),
  Category("bicycle", ("bike", "kids bike"), ("metal",),
           (R(-.55, .4, .38, .38, .14, K), R(.55, .4, .38, .38, .14, K), L(-.55, .4, -.05, .4, .05),
            L(-.05, .4, .3, -.15, .05), L(-.55, .4, -.2, -.15, .05), L(.55, .4, .3, -.3, .05))),
  Category("umbrella", ("rain umbrella", "parasol"), ("plastic",),
           (L(0, -.1, 0, .72, .04, K), R(-.12, .72, .12, .12, .3, K, ang=180, cut=0),
            E(0, -.1, .96, .66, cut=0), E(0, -.1, .33, .66, D, cut=0))),
  Category("key", ("house key", "door key", "metal key"), ("metal",),
           (R(-.55, 0, .32, .32, .3), B(.22, 0, .52, .07), B(.56, .14, .05, .1),
            B(.4, .14, .05, .1)), ("yellow", "grey")),
  Category("balloon", ("party balloon", "helium balloon"), ("rubber",),
           (L(0, .58, .12, 1, .02, K), T(0, .56, .18, .06), E(0, -.2, .6, .74, tap=-.15))),
  Category("kite", ("flying kite", "paper kite"), ("plastic",),
           (L(0, .6, .18, 1, .02, K), T(0, -.45, .9, .32), T(0, .28, .9, .42, D, ang=180))),
  Category("fish", ("goldfish", "toy fish"), (),
           (T(.72, 0, .64, .3, ang=-90), E(-.1, 0, .66, .4), T(.05, -.38, .4, .14, D),
            E(-.46, -.08, .07, .07, K)), ("orange", "yellow", "blue")),
  Category("bird", ("little bird", "songbird", "toy bird"), (),
           (T(.62, .22, .34, .22, ang=60), E(.05, .18, .5, .38), E(-.4, -.3, .28, .26),
            T(-.74, -.27, .2, .1, OR, ang=-90), E(.15, .12, .34, .2, D, ang=-20),
            E(-.48, -.36, .05, .05, K))),
  Category("house", ("toy house", "dollhouse", "little house"), ("wooden", "plastic"),
           (B(0, .38, .72, .56), T(0, -.45, 1.8, .36, RED), B(0, .62, .15, .32, BR),
            B(-.42, .2, .15, .14, GLASS), B(.42, .2, .15, .14, GLASS))),
  Category("heart", ("heart shape", "love heart"), ("plastic",),
           (E(-.34, -.22, .42, .42), E(.34, -.22, .42, .42), B(0, .16, .52, .52, ang=45))),
  Category("flower", ("daisy", "tulip", "blossom"), (),
           (L(0, -.2, 0, 1, .04, LEAF), E(0, -.45, .18, .4), E(0, -.45, .4, .18),
            E(0, -.45, .17, .38, ang=45), E(0, -.45, .17, .38, ang=-45),
            E(0, -.45, .14, .14, GOLD))),
  Category("mushroom", ("toadstool", "toy mushroom"), (),
           (B(0, .5, .26, .45, SKIN, rnd=.4), E(0, .02, .86, .62, cut=0),
            E(-.35, -.3, .12, .1, W), E(.28, -.4, .1, .09, W)), ("red", "brown")),
  Category("pencil", ("colored pencil", "crayon"), ("wooden",),
           (B(-.1, 0, .62, .13), T(.72, 0, .28, .2, SKIN, ang=90), B(-.78, 0, .08, .13, P),
            B(-.66, 0, .05, .14, METAL), T(.86, 0, .1, .06, K, ang=90))),
  Category("backpack", ("school bag", "rucksack", "bag"), ("knitted", "plastic"),
           (R(0, -.7, .3, .22, .3, D, cut=0), B(0, .15, .6, .78, rnd=.5),
            B(0, -.28, .56, .2, D, rnd=.5), B(0, .48, .42, .28, D, rnd=.4))),
  Category("laptop", ("notebook computer", "computer"), ("metal", "plastic"),
           (B(0, -.22, .76, .52), B(0, -.22, .66, .43, SCR), B(0, .38, .92, .08, D, tap=-.08))),
  Category("tv", ("television", "flat screen tv", "tv set"), ("plastic",),
           (B(0, .78, .1, .16, K), B(0, .92, .42, .05, K), B(0, 0, .92, .62, rnd=.08),
            B(0, 0, .82, .52, SCR)), ("black", "grey", "white"), furniture=True),
  Category("sofa", ("couch", "settee"), ("knitted",),
           (B(0, -.12, .82, .34, rnd=.3), B(0, .36, .92, .3, rnd=.3),
            B(-.86, .22, .14, .38, D, rnd=.5), B(.86, .22, .14, .38, D, rnd=.5),
            B(0, .22, .7, .12, P, rnd=.8)), furniture=True),
  Category("bed", ("single bed", "kids bed"), ("wooden",),
           (B(-.88, 0, .1, .55, WOOD), B(0, .42, .96, .2, WOOD), B(0, .16, .9, .12, W),
            B(.2, .18, .72, .16, rnd=.3), E(-.6, .02, .2, .1, W)), furniture=True),
  Category("bookshelf", ("bookcase", "shelf"), ("wooden",),
           (B(0, 0, .72, .96), B(0, -.5, .6, .2, BR), B(0, .05, .6, .2, BR), B(0, .58, .6, .2, BR),
            B(-.2, -.5, .35, .17, P), B(.15, .05, .4, .17, D)), ("brown", "white", "black"),
           furniture=True),
  Category("bucket", ("pail", "toy bucket", "sand bucket"), ("plastic", "metal"),
           (R(0, -.38, .56, .56, .08, METAL, cut=0), B(0, .24, .62, .62, tap=-.22),
            E(0, -.38, .62, .1, D))),
  Category("drum", ("toy drum", "snare drum"), ("wooden", "plastic"),
           (L(-.45, -.85, .05, -.35, .03, WOOD), B(0, .24, .72, .46), E(0, -.22, .72, .16, W),
            B(0, .68, .72, .05, K))),
  Category("truck", ("toy truck", "lorry", "dump truck"), ("plastic", "metal"),
           (B(.25, .05, .68, .42, rnd=.1), B(-.68, .17, .3, .3, D, rnd=.3),
            B(-.72, .06, .18, .14, GLASS, rnd=.3), E(-.6, .62, .2, .2, K), E(.5, .62, .2, .2, K))),
  Category("bus", ("school bus", "city bus", "toy bus"), ("plastic", "metal"),
           (B(0, .1, .96, .5, rnd=.2), B(.06, -.12, .82, .14, GLASS), B(-.8, .2, .1, .3, D),
            E(-.55, .62, .17, .17, K), E(.55, .62, .17, .17, K))),
  Category("train", ("toy train", "locomotive", "steam engine"), ("wooden", "plastic", "metal"),
           (B(.25, .2, .56, .36), B(-.48, -.08, .3, .6, D), B(.58, -.38, .1, .2, K),
            E(-.42, .66, .18, .18, K), E(.22, .66, .18, .18, K), E(.66, .66, .15, .15, K))),
  Category("teapot", ("tea pot", "kettle"), ("ceramic", "metal"),
           (R(-.66, .15, .25, .3, .28), L(.55, .25, .95, -.2, .08), E(0, .22, .64, .52),
            E(0, -.3, .32, .12, D, cut=0), E(0, -.44, .07, .06, D))),
  Category("ice cream", ("ice cream cone", "gelato"), (),
           (T(0, .45, .82, .55, SKIN, ang=180), E(0, -.25, .5, .44), E(.12, -.7, .12, .12, RED)),
           ("pink", "white", "brown", "green", "yellow")),
  Category("cake", ("birthday cake", "layer cake"), (),
           (B(0, .38, .8, .48), B(0, -.06, .8, .13, W, rnd=1), B(0, -.38, .05, .2, GOLD),
            E(0, -.64, .06, .1, OR))),
  Category("vase", ("flower vase", "pot"), ("ceramic", "glass"),
           (E(0, .3, .52, .6), B(0, -.4, .2, .26, tap=-.5), E(0, -.64, .28, .06, D))),
  Category("sock", ("wool sock", "ankle sock"), ("knitted",),
           (B(-.18, -.2, .3, .62, rnd=.3), B(.15, .5, .48, .22, rnd=1), B(-.18, -.72, .31, .1, W))),
  Category("t-shirt", ("tshirt", "shirt", "tee"), ("knitted",),
           (B(-.58, -.38, .26, .18, ang=35, rnd=.2), B(.58, -.38, .26, .18, ang=-35, rnd=.2),
            B(0, .2, .5, .72, rnd=.1), E(0, -.52, .18, .1, D))),
  Category("traffic cone", ("cone", "safety cone"), ("plastic", "rubber"),
           (T(0, .05, .9, .8), B(0, .12, .3, .1, W, tap=.2), B(0, .88, .75, .08, D)),
           ("orange", "red", "yellow")),
  Category("crown", ("royal crown", "toy crown"), ("metal", "plastic"),
           (T(-.46, -.25, .36, .3), T(0, -.35, .36, .4), T(.46, -.25, .36, .3),
            B(0, .3, .66, .32), E(0, .3, .11, .11, RED)), ("yellow", "grey", "purple")),
  Category("elephant", ("toy elephant", "baby elephant"), ("plush", "plastic"),
           (B(-.25, .72, .14, .24), B(.5, .72, .14, .24), E(.12, .12, .7, .5),
            L(-.86, 0, -.86, .72, .1), E(-.62, -.22, .36, .36), E(-.42, -.18, .24, .34, D)),
           ("grey", "blue", "pink")),
  Category("rabbit", ("bunny", "toy rabbit", "hare"), ("plush",),
           (E(-.15, -.7, .1, .3, ang=-8), E(.15, -.7, .1, .3, ang=8), E(0, .45, .5, .5),
            E(0, -.2, .36, .32), E(0, -.12, .1, .07, P)), ("white", "grey", "brown", "pink")),
  Category("dinosaur", ("toy dinosaur", "dino", "t-rex"), ("plastic", "rubber"),
           (L(.45, .3, .95, .6, .12), B(-.2, .72, .08, .24), B(.3, .72, .08, .24),
            E(.05, .25, .55, .4), L(-.3, .05, -.55, -.5, .14), E(-.62, -.62, .26, .16))),
  Category("gift box", ("present", "gift", "wrapped present"), ("paper",),
           (B(0, .25, .7, .62), B(0, .25, .1, .62, W), B(0, -.42, .76, .14, D),
            B(0, -.42, .1, .14, W), E(-.2, -.65, .2, .1, W, ang=-20),
            E(.2, -.65, .2, .1, W, ang=20))),
  Category("potted plant", ("house plant", "plant", "pot plant"), ("ceramic",),
           (E(-.3, -.2, .2, .48, LEAF, ang=-25), E(.3, -.2, .2, .48, LEAF, ang=25),
            E(0, -.38, .2, .55, LEAF), B(0, .6, .38, .36, tap=-.25))),
  Category("headphones", ("headset", "over-ear headphones"), ("plastic", "metal"),
           (R(0, .1, .72, .72, .14, cut=0), B(-.72, .25, .16, .3, rnd=.6),
            B(.72, .25, .16, .3, rnd=.6))),
  Category("lollipop", ("candy", "lolly"), (),
           (L(0, .1, 0, 1, .04, W), E(0, -.35, .55, .55), R(0, -.35, .32, .32, .2, W))),
  Category("helicopter", ("toy helicopter", "chopper"), ("plastic", "metal"),
           (L(.35, .05, .95, -.12, .08), B(0, .62, .55, .03, K), E(0, .12, .5, .38),
            L(0, -.42, 0, -.22, .04, K), B(0, -.45, .92, .03, K), E(-.25, 0, .2, .18, GLASS))),
  Category("watch", ("wristwatch", "smart watch"), ("metal", "plastic"),
           (B(0, 0, .2, .96, rnd=.5), E(0, 0, .42, .42, METAL), E(0, 0, .33, .33, W),
            L(0, 0, 0, -.24, .03, K), L(0, 0, .16, .06, .03, K))),
)
# fmt: on
CATEGORY_ID = {c.name: i for i, c in enumerate(CATEGORIES)}
COLOUR_ID = {c.name: i for i, c in enumerate(COLOURS)}
NUM_CATEGORIES, NUM_COLOURS = len(CATEGORIES), len(COLOURS)


class Background(NamedTuple):
  """A photo's surroundings: `phrases` are what captions say ("on a wooden table")."""

  name: str
  phrases: tuple[str, ...]
  upper: tuple[int, int, int]  # wall / sky colour
  lower: tuple[int, int, int]  # surface colour
  sky: float  # 1: blue gradient with clouds above the horizon
  planks: float  # wood boards on the surface
  tiles: float  # a checker on the surface
  rough: float  # coarse noise on the surface (grass, sand, carpet)
  corner: float  # a room corner: a second wall plane at a random x
  floats: float = 0.0  # objects hang in the air (no ground under them)


BACKGROUNDS: tuple[Background, ...] = (
  Background("table", ("on a wooden table", "on a table", "on a desk"),
             (226, 220, 208), (168, 116, 70), 0, 1, 0, 0, 0),
  Background("floor", ("on the floor", "on a wooden floor", "on the parquet"),
             (214, 206, 196), (186, 140, 92), 0, 1, 0, .2, .6),
  Background("tiles", ("on a tiled floor", "on the kitchen floor", "on floor tiles"),
             (222, 226, 228), (206, 206, 200), 0, 0, 1, 0, .5),
  Background("grass", ("on the grass", "on a lawn", "in the garden", "outdoors"),
             (150, 196, 236), (84, 150, 60), 1, 0, 0, 1, 0),
  Background("sky", ("against the sky", "against a blue sky", "in the sky"),
             (110, 170, 232), (170, 200, 230), 1, 0, 0, 0, 0, 1),
  Background("studio", ("on a white background", "isolated on white", "on a plain background"),
             (240, 240, 238), (230, 230, 228), 0, 0, 0, 0, 0),
  Background("carpet", ("on a carpet", "on a rug", "on the carpet"),
             (220, 212, 200), (150, 60, 64), 0, 0, 0, .6, .5),
  Background("sand", ("on the sand", "on the beach", "in a sandbox"),
             (140, 190, 236), (226, 200, 150), 1, 0, 0, .7, 0),
  Background("corner", ("in the corner of a room", "in a room", "indoors"),
             (206, 196, 180), (172, 132, 90), 0, 1, 0, .1, 1),
)  # fmt: skip


class Room(NamedTuple):
  name: str
  furniture: tuple[str, ...]  # categories that stand against its walls
  wall: tuple[int, int, int]
  floor: tuple[int, int, int]
  tiles: float  # tiled floor (else boards)


ROOMS: tuple[Room, ...] = (
  Room("living room", ("sofa", "tv", "bookshelf", "table", "lamp", "potted plant"),
       (222, 206, 170), (150, 104, 64), 0),
  Room("bedroom", ("bed", "bookshelf", "lamp", "chair"), (190, 206, 226), (170, 126, 84), 0),
  Room("kitchen", ("table", "chair", "potted plant"), (236, 236, 226), (200, 196, 186), 1),
  Room("playroom", ("bookshelf", "table", "chair", "sofa"), (236, 200, 200), (150, 180, 110), 0),
  Room("hallway", ("potted plant", "bookshelf", "chair"), (210, 210, 214), (120, 92, 70), 0),
  Room("office", ("table", "chair", "bookshelf", "potted plant", "lamp"),
       (200, 210, 200), (110, 110, 120), 1),
)  # fmt: skip

VIEWPOINTS = ("side", "top", "close-up")
