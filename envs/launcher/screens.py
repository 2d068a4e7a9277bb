"""The screen of every app once opened, painted on the host (numpy) at the base resolution
(H x W, `layout`).

Every screen has a status bar, a top bar in the app's colour with its name, and content of
the app's kind below (`PAINTERS`). A random stream per (app, variant) varies the content (rows,
colours, lengths), so two apps of one kind differ in colour, name and content, and one app's
variants differ in content.
"""

import numpy as np

from envs.launcher import apps, draw
from envs.launcher.layout import STATUS_BAR, STATUS_TIME, TOP_BAR, H, W

WHITE, PAPER, GREY, DARK = (255, 255, 255), (246, 247, 249), (196, 199, 204), (32, 33, 36)
INK = (95, 99, 104)
TOP = TOP_BAR  # content starts below the top bar


def _rand_colour(rng) -> tuple[int, int, int]:
  return tuple(int(v) for v in rng.integers(40, 230, 3))


def inbox(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  for y in range(TOP + 3, H - 14, 12):
    draw.circle(img, y + 4, 6, 4, _rand_colour(rng))
    draw.rect(img, y + 1, 13, y + 3, 13 + int(rng.integers(20, 44)), (60, 64, 67))
    draw.rect(img, y + 5, 13, y + 7, 13 + int(rng.integers(25, 48)), GREY)
  draw.rounded_rect(img, H - 16, W - 26, H - 5, W - 4, 4, draw.mix(c, WHITE, 0.7))
  draw.text(img, H - 13, W - 22, "NEW", c)


def sheet(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  draw.rect(img, TOP, 0, TOP + 6, W, (232, 234, 237))
  draw.rect(img, TOP, 0, H, 8, (232, 234, 237))
  for x in range(8, W, 14):
    draw.rect(img, TOP, x, H, x + 1, GREY)
  for y in range(TOP + 6, H, 6):
    draw.rect(img, y, 0, y + 1, W, GREY)
  for _ in range(10):
    col, row = int(rng.integers(0, 4)), int(rng.integers(1, 15))
    draw.rect(
      img,
      TOP + 6 * row + 2,
      10 + 14 * col,
      TOP + 6 * row + 5,
      20 + 14 * col,
      draw.mix(c, WHITE, 0.3),
    )


def browser(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  draw.rounded_rect(img, TOP + 2, 3, TOP + 10, W - 4, 3, (232, 234, 237))
  draw.text(img, TOP + 4, 7, "WWW.", INK)
  draw.rect(img, TOP + 14, 4, TOP + 38, W - 4, _rand_colour(rng))
  draw.text_lines(img, rng, TOP + 42, H - 14, 4, W - 4, GREY)
  draw.rect(img, H - 10, 0, H, W, (241, 243, 244))
  for x in (8, 24, 40, 56):
    draw.rect(img, H - 7, x - 2, H - 3, x + 2, INK)


def calculator(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  draw.text(
    img, TOP + 6, 6, str(int(rng.integers(100, 999))) + "+" + str(int(rng.integers(10, 99))), INK
  )
  draw.text(img, TOP + 16, 14, str(int(rng.integers(100, 999))), DARK, scale=2)
  keys = "789/456-123+0.=C"
  for i, key in enumerate(keys):
    row, col = divmod(i, 4)
    cy, cx = TOP + 38 + 15 * row, 9 + 15 * col
    fill = draw.mix(c, WHITE, 0.2) if col == 3 else (232, 234, 237)
    draw.circle(img, cy, cx, 6.5, fill)
    draw.text(img, int(cy) - 2, cx - 1, key, draw.ink_on(fill))


def clock(img, rng, c):
  draw.rect(img, TOP, 0, H, W, DARK)
  cy, cx = TOP + 34, W / 2
  draw.circle(img, cy, cx, 24, (48, 49, 52))
  draw.ring(img, cy, cx, 24, 2, c)
  hour, minute = rng.uniform(0, 2 * np.pi, 2)
  draw.line(img, cy, cx, cy - 12 * np.cos(hour), cx + 12 * np.sin(hour), WHITE, 2)
  draw.line(
    img, cy, cx, cy - 19 * np.cos(minute), cx + 19 * np.sin(minute), draw.mix(c, WHITE, 0.4), 1.5
  )
  draw.text(
    img,
    TOP + 64,
    12,
    f"{int(rng.integers(1, 12)):02d}:{int(rng.integers(0, 59)):02d}",
    WHITE,
    scale=2,
  )
  for x in (8, 24, 40, 56):
    draw.circle(img, H - 7, x, 3, c if x == 24 else GREY)


def chat(img, rng, c):
  draw.rect(img, TOP, 0, H, W, PAPER)
  y = TOP + 3
  while y < H - 22:
    h, w = int(rng.integers(6, 12)), int(rng.integers(22, 44))
    if rng.uniform() < 0.5:
      draw.rounded_rect(img, y, 3, y + h, 3 + w, 3, (225, 227, 230))
    else:
      draw.rounded_rect(img, y, W - 4 - w, y + h, W - 4, 3, c)
    y += h + 3
  draw.rounded_rect(img, H - 14, 3, H - 4, W - 16, 4, WHITE)
  draw.circle(img, H - 9, W - 8, 5, c)


def dialer(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  draw.text(img, TOP + 4, 6, "".join(str(d) for d in rng.integers(0, 10, 10)), DARK, max_width=52)
  for i, key in enumerate("123456789*0#"):
    row, col = divmod(i, 3)
    cy, cx = TOP + 22 + 15 * row, 14 + 18 * col
    draw.circle(img, cy, cx, 6.5, draw.mix(c, WHITE, 0.85))
    draw.text(img, int(cy) - 2, cx - 1, key if key != "#" else "-", DARK)
  draw.circle(img, H - 12, W / 2, 7, (30, 142, 62))


def calendar(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  draw.text(img, TOP + 3, 4, "MAY", DARK, scale=2)
  today = int(rng.integers(1, 28))
  for day in range(1, 31):
    row, col = divmod(day + 2, 7)
    y, x = TOP + 18 + 11 * row, 1 + 9 * col
    if day == today:
      draw.circle(img, y + 2.5, x + 4, 5, c)
    draw.text(
      img, y, x + (2 if day < 10 else 0), str(day), WHITE if day == today else INK, max_width=8
    )
  for _ in range(4):
    row, col = int(rng.integers(0, 5)), int(rng.integers(0, 7))
    draw.rect(img, TOP + 25 + 11 * row, 2 + 9 * col, TOP + 27 + 11 * row, 8 + 9 * col, c)


def document(img, rng, c):
  draw.rect(img, TOP, 0, H, W, (225, 227, 230))
  draw.rect(img, TOP + 4, 5, H - 2, W - 5, WHITE)
  draw.rect(img, TOP + 9, 10, TOP + 13, 10 + int(rng.integers(20, 40)), DARK)
  draw.text_lines(img, rng, TOP + 18, H - 6, 10, W - 10, (120, 124, 128), gap=5)


def slides(img, rng, c):
  draw.rect(img, TOP, 0, H, W, (225, 227, 230))
  for i in range(3):
    y = TOP + 4 + 32 * i
    draw.rect(img, y, 4, y + 27, W - 4, WHITE)
    draw.rect(img, y, 4, y + 8, W - 4, draw.mix(c, WHITE, 0.1 * i))
    draw.rect(img, y + 12, 10, y + 15, 10 + int(rng.integers(20, 40)), INK)
    draw.rect(img, y + 18, 10, y + 21, 10 + int(rng.integers(15, 35)), GREY)


def camera(img, rng, c):
  draw.rect(img, TOP, 0, H, W, (0, 0, 0))
  sky, ground = _rand_colour(rng), _rand_colour(rng)
  draw.rect(img, TOP + 4, 0, TOP + 40, W, sky)
  draw.rect(img, TOP + 40, 0, TOP + 76, W, ground)
  draw.circle(img, TOP + 22, 44, 7, (250, 230, 120))
  draw.ring(img, H - 16, W / 2, 9, 2, WHITE)
  draw.circle(img, H - 16, W / 2, 6, WHITE)
  draw.text(img, TOP + 80, 20, "PHOTO", (250, 200, 60))


def gallery(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  for row in range(6):
    for col in range(3):
      y, x = TOP + 2 + 16 * row, 1 + 21 * col
      draw.rect(img, y, x, y + 15, x + 20, _rand_colour(rng))


def maps(img, rng, c):
  draw.rect(img, TOP, 0, H, W, (232, 240, 220))
  draw.line(img, TOP + rng.integers(0, 90), 0, TOP + rng.integers(0, 90), W, (170, 210, 250), 6)
  for _ in range(4):
    y0, y1 = TOP + rng.integers(0, 100, 2)
    draw.line(img, y0, 0, y1, W, WHITE, 3)
  draw.line(img, TOP, rng.integers(0, 64), H, rng.integers(0, 64), (252, 214, 104), 3)
  py, px = TOP + int(rng.integers(25, 70)), int(rng.integers(12, 52))
  draw.circle(img, py, px, 5, (234, 67, 53))
  draw.triangle(img, [(py + 3, px - 4), (py + 3, px + 4), (py + 10, px)], (234, 67, 53))
  draw.rounded_rect(img, TOP + 2, 3, TOP + 11, W - 4, 4, WHITE)
  draw.rounded_rect(img, H - 14, 20, H - 4, W - 4, 4, c)


def video(img, rng, c):
  draw.rect(img, TOP, 0, H, W, (15, 15, 15))
  for i in range(3):
    y = TOP + 3 + 32 * i
    draw.rect(img, y, 2, y + 20, W - 2, _rand_colour(rng))
    draw.triangle(img, [(y + 5, 27), (y + 15, 27), (y + 10, 36)], WHITE)
    draw.rect(img, y + 23, 2, y + 25, 2 + int(rng.integers(30, 58)), (200, 200, 200))
  draw.rect(img, y + 20, 2, y + 21, 30, c)


def player(img, rng, c):
  draw.rect(img, TOP, 0, H, W, draw.mix(c, (0, 0, 0), 0.6))
  art = _rand_colour(rng)
  draw.rect(img, TOP + 6, 10, TOP + 50, W - 10, art)
  draw.circle(img, TOP + 28, W / 2, 10, draw.mix(art, WHITE, 0.5))
  draw.rect(img, TOP + 56, 8, TOP + 59, W - 8, (200, 200, 200))
  draw.rect(img, TOP + 66, 8, TOP + 68, W - 8, (90, 90, 90))
  draw.rect(img, TOP + 66, 8, TOP + 68, 8 + int(rng.integers(8, 46)), WHITE)
  draw.circle(img, TOP + 82, W / 2, 8, WHITE)
  draw.rect(img, TOP + 78, 29, TOP + 86, 31, DARK)
  draw.rect(img, TOP + 78, 33, TOP + 86, 35, DARK)
  for x in (12, 52):
    draw.triangle(img, [(TOP + 78, x - 3), (TOP + 86, x - 3), (TOP + 82, x + 3)], WHITE)


def settings(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  draw.rounded_rect(img, TOP + 2, 3, TOP + 10, W - 4, 4, (232, 234, 237))
  for y in range(TOP + 14, H - 8, 12):
    draw.circle(img, y + 4, 7, 4, _rand_colour(rng))
    draw.rect(img, y + 3, 15, y + 5, 15 + int(rng.integers(16, 30)), (60, 64, 67))
    on = rng.uniform() < 0.5
    draw.rounded_rect(img, y + 1, W - 14, y + 7, W - 4, 3, c if on else GREY)
    draw.circle(img, y + 4, W - 7 if on else W - 11, 2.5, WHITE)


def store(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  draw.rect(img, TOP + 3, 3, TOP + 30, W - 3, _rand_colour(rng))
  for row in range(3):
    for col in range(3):
      y, x = TOP + 36 + 22 * row, 4 + 20 * col
      draw.rounded_rect(img, y, x, y + 14, x + 14, 3, _rand_colour(rng))
      draw.rect(img, y + 16, x, y + 18, x + 12, GREY)


def contacts(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  letters = sorted(rng.choice(list("ABCDEFGHJKLMNPRST"), 7, replace=False))
  for i, letter in enumerate(letters):
    y = TOP + 3 + 13 * i
    draw.circle(img, y + 5, 8, 5, _rand_colour(rng))
    draw.text(img, y + 3, 7, letter, WHITE)
    draw.rect(img, y + 4, 17, y + 6, 17 + int(rng.integers(18, 40)), (60, 64, 67))


def files(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  for row in range(4):
    for col in range(2):
      y, x = TOP + 4 + 24 * row, 4 + 30 * col
      draw.rect(img, y, x, y + 4, x + 10, draw.mix(c, (0, 0, 0), 0.2))
      draw.rect(img, y + 3, x, y + 16, x + 26, c)
      draw.rect(img, y + 18, x, y + 20, x + int(rng.integers(10, 26)), INK)


def notes(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  for col in range(2):
    y = TOP + 3
    while y < H - 10:
      h = int(rng.integers(14, 30))
      fill = draw.mix(_rand_colour(rng), WHITE, 0.6)
      draw.rounded_rect(img, y, 3 + 30 * col, min(y + h, H - 2), 30 + 30 * col, 3, fill)
      draw.text_lines(img, rng, y + 3, min(y + h, H - 2) - 2, 6 + 30 * col, 27 + 30 * col, INK)
      y += h + 3


def translate(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  draw.rounded_rect(img, TOP + 2, 3, TOP + 11, 29, 4, draw.mix(c, WHITE, 0.8))
  draw.rounded_rect(img, TOP + 2, 35, TOP + 11, W - 4, 4, draw.mix(c, WHITE, 0.8))
  draw.text(img, TOP + 4, 8, "EN", c)
  draw.text(img, TOP + 4, 41, "FR", c)
  draw.text_lines(img, rng, TOP + 16, TOP + 44, 5, W - 5, DARK, gap=5)
  draw.rect(img, TOP + 48, 0, TOP + 85, W, draw.mix(c, WHITE, 0.2))
  draw.text_lines(img, rng, TOP + 52, TOP + 82, 5, W - 5, WHITE, gap=5)
  draw.circle(img, H - 12, W / 2, 8, c)


def videocall(img, rng, c):
  draw.rect(img, TOP, 0, H, W, (32, 33, 36))
  for i in range(2):
    y = TOP + 3 + 46 * i
    draw.rect(img, y, 3, y + 42, W - 3, _rand_colour(rng))
    draw.circle(img, y + 16, W / 2, 8, draw.mix(_rand_colour(rng), WHITE, 0.3))
    draw.circle(img, y + 42, W / 2, 14, draw.mix(_rand_colour(rng), WHITE, 0.3))
  draw.rect(img, H - 8, 0, H, W, (32, 33, 36))
  draw.circle(img, H - 6, W / 2, 4, (234, 67, 53))


def todo(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  for y in range(TOP + 4, H - 16, 10):
    done = rng.uniform() < 0.4
    draw.ring(img, y + 3, 7, 3.5, 1, c)
    if done:
      draw.circle(img, y + 3, 7, 2.5, c)
    draw.rect(img, y + 2, 14, y + 4, 14 + int(rng.integers(14, 44)), GREY if done else (60, 64, 67))
  draw.circle(img, H - 10, W - 10, 7, c)
  draw.text(img, H - 12, W - 11, "+", draw.ink_on(c))


def recorder(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  for x in range(2, W - 2, 3):
    h = int(rng.integers(2, 24))
    draw.rect(img, TOP + 38 - h, x, TOP + 38 + h, x + 2, draw.mix(c, WHITE, 0.3))
  draw.text(
    img, TOP + 70, 12, f"0{int(rng.integers(0, 9))}:{int(rng.integers(10, 59))}", DARK, scale=2
  )
  draw.circle(img, H - 13, W / 2, 9, c)
  draw.rect(img, H - 16, W // 2 - 3, H - 10, W // 2 + 3, WHITE)


def terminal(img, rng, c):
  draw.rect(img, TOP, 0, H, W, (0, 0, 0))
  for y in range(TOP + 2, H - 12, 7):
    draw.text(img, y, 1, ">", (80, 220, 80))
    draw.rect(img, y + 2, 6, y + 3, 6 + int(rng.integers(6, 56)), (200, 200, 200))
  draw.rect(img, H - 10, 0, H, W, (40, 40, 40))
  draw.text(img, H - 8, 2, "ESC CTRL ALT", (200, 200, 200), max_width=60)


def flashcards(img, rng, c):
  draw.rect(img, TOP, 0, H, W, PAPER)
  draw.rounded_rect(img, TOP + 6, 5, TOP + 62, W - 5, 4, WHITE)
  draw.text(img, TOP + 26, 14, "".join(rng.choice(list("ABCDEFGHKLMNRST"), 4)), DARK, scale=2)
  for i, colour in enumerate(((234, 67, 53), (251, 188, 4), (52, 168, 83), (66, 133, 244))):
    draw.rounded_rect(img, TOP + 70, 3 + 15 * i, TOP + 82, 15 + 15 * i, 3, colour)


def quiz(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  draw.rect(img, TOP + 3, 4, TOP + 6, W - 4, (229, 229, 229))
  draw.rect(img, TOP + 3, 4, TOP + 6, 4 + int(rng.integers(10, 50)), c)
  draw.circle(img, TOP + 22, 14, 9, _rand_colour(rng))
  draw.rounded_rect(img, TOP + 14, 26, TOP + 30, W - 4, 4, PAPER)
  for i in range(3):
    draw.rounded_rect(img, TOP + 38 + 14 * i, 4, TOP + 49 + 14 * i, W - 4, 3, (229, 229, 229))
  draw.rounded_rect(img, H - 14, 4, H - 4, W - 4, 4, c)


def reader(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  draw.rect(img, TOP + 4, 4, TOP + 10, 4 + int(rng.integers(30, 56)), (20, 20, 20))
  draw.rect(img, TOP + 14, 4, TOP + 42, W - 4, _rand_colour(rng))
  draw.text_lines(img, rng, TOP + 46, H - 4, 4, W - 4, (110, 110, 110))


def weather(img, rng, c):
  for y in range(TOP, H):
    draw.rect(img, y, 0, y + 1, W, draw.mix(c, (20, 60, 140), (y - TOP) / (H - TOP)))
  draw.circle(img, TOP + 18, 20, 11, (255, 213, 79))
  draw.circle(img, TOP + 24, 36, 9, WHITE)
  draw.circle(img, TOP + 26, 46, 7, WHITE)
  draw.text(img, TOP + 42, 16, f"{int(rng.integers(5, 35))}", WHITE, scale=3)
  for i in range(5):
    draw.circle(img, H - 12, 7 + 12 * i, 3, (255, 213, 79) if rng.uniform() < 0.5 else WHITE)


def fitness(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  for i, colour in enumerate((c, draw.mix(c, (66, 133, 244), 0.7))):
    draw.ring(img, TOP + 28, W / 2, 22 - 7 * i, 5, draw.mix(colour, WHITE, 0.7))
    end = rng.uniform(0.3, 1.0) * 2 * np.pi
    for t in np.linspace(0, end, 40):
      draw.circle(
        img,
        TOP + 28 - (19.5 - 7 * i) * np.cos(t),
        W / 2 + (19.5 - 7 * i) * np.sin(t),
        2.5,
        colour,
      )
  for i in range(7):
    h = int(rng.integers(4, 28))
    draw.rect(img, H - 6 - h, 5 + 8 * i, H - 6, 10 + 8 * i, c)


def wallet(img, rng, c):
  draw.rect(img, TOP, 0, H, W, PAPER)
  draw.rounded_rect(img, TOP + 4, 4, TOP + 38, W - 4, 4, c)
  draw.rect(img, TOP + 10, 8, TOP + 16, 17, (230, 190, 90))
  draw.text(
    img, TOP + 28, 8, "**** " + str(int(rng.integers(1000, 9999))), draw.ink_on(c), max_width=50
  )
  for y in range(TOP + 44, H - 6, 11):
    draw.circle(img, y + 4, 7, 4, _rand_colour(rng))
    draw.rect(img, y + 3, 14, y + 5, 14 + int(rng.integers(12, 26)), (60, 64, 67))
    draw.rect(
      img,
      y + 3,
      W - 14,
      y + 5,
      W - 4,
      (30, 142, 62) if rng.uniform() < 0.5 else (217, 48, 37),
    )


def stocks(img, rng, c):
  draw.rect(img, TOP, 0, H, W, WHITE)
  draw.text(
    img, TOP + 4, 4, f"{int(rng.integers(100, 999))}.{int(rng.integers(10, 99))}", DARK, scale=2
  )
  walk = np.cumsum(rng.normal(0, 3, W // 2))
  walk = TOP + 50 - 16 * (walk - walk.min()) / max(np.ptp(walk), 1e-6)
  for i in range(len(walk) - 1):
    draw.line(img, walk[i], 2 * i, walk[i + 1], 2 * i + 2, c, 1.5)
  for i, name in enumerate(("1D", "1W", "1M", "1Y")):
    draw.text(img, TOP + 62, 3 + 16 * i, name, c if i == 0 else INK)
  draw.rounded_rect(img, H - 16, 4, H - 5, W - 4, 5, c)


def shop(img, rng, c):
  draw.rect(img, TOP, 0, H, W, PAPER)
  draw.rounded_rect(img, TOP + 2, 3, TOP + 10, W - 4, 4, WHITE)
  for row in range(3):
    for col in range(2):
      y, x = TOP + 14 + 34 * row, 3 + 30 * col
      draw.rect(img, y, x, y + 31, x + 28, WHITE)
      draw.circle(img, y + 11, x + 14, 8, _rand_colour(rng))
      draw.rect(img, y + 23, x + 3, y + 25, x + 20, INK)
      draw.rect(img, y + 27, x + 3, y + 29, x + 12, c)


def stars(img, rng, c):
  draw.rect(img, TOP, 0, H, W, (5, 8, 30))
  for y, x in zip(rng.integers(TOP, H, 40), rng.integers(0, W, 40), strict=True):
    draw.rect(img, y, x, y + 1, x + 1, WHITE)
  points = np.stack([rng.integers(TOP + 10, H - 10, 5), rng.integers(5, W - 5, 5)], 1)
  for (y0, x0), (y1, x1) in zip(points[:-1], points[1:], strict=True):
    draw.line(img, y0, x0, y1, x1, (120, 160, 255), 1)
  draw.ring(img, TOP + 50, W / 2, 26, 1, (200, 60, 60))


def globe(img, rng, c):
  draw.rect(img, TOP, 0, H, W, (0, 0, 0))
  cy, cx = TOP + 48, W / 2
  draw.circle(img, cy, cx, 28, (40, 90, 200))
  for _ in range(5):
    draw.circle(
      img, cy + rng.uniform(-18, 18), cx + rng.uniform(-18, 18), rng.uniform(4, 9), (70, 150, 70)
    )
  draw.ring(img, cy, cx, 29, 1.5, (150, 200, 255))
  draw.rounded_rect(img, TOP + 2, 3, TOP + 11, W - 4, 4, WHITE)


def editor(img, rng, c):
  draw.rect(img, TOP, 0, H, W, (24, 24, 24))
  draw.rect(img, TOP + 6, 4, TOP + 70, W - 4, _rand_colour(rng))
  draw.circle(img, TOP + 30, 30, 14, _rand_colour(rng))
  draw.rect(img, TOP + 76, 4, TOP + 78, W - 4, (90, 90, 90))
  draw.circle(img, TOP + 77, 4 + rng.uniform(0, 56), 3, WHITE)
  for i in range(4):
    draw.circle(img, H - 12, 9 + 15 * i, 5, c if i == 1 else (120, 120, 120))


PAINTERS = {
  f.__name__: f
  for f in (
    inbox,
    sheet,
    browser,
    calculator,
    clock,
    chat,
    dialer,
    calendar,
    document,
    slides,
    camera,
    gallery,
    maps,
    video,
    player,
    settings,
    store,
    contacts,
    files,
    notes,
    translate,
    videocall,
    todo,
    recorder,
    terminal,
    flashcards,
    quiz,
    reader,
    weather,
    fitness,
    wallet,
    stocks,
    shop,
    stars,
    globe,
    editor,
  )
}


def app_screen(index: int, variant: int = 0) -> np.ndarray:
  """uint8[H, W, 3]: app `index`'s screen at the base resolution, its content drawn from the
  random stream of (index, variant) (deterministic)."""
  app = apps.APPS[index]
  c = apps.rgb(app.colour)
  img = draw.canvas(H, W, (255, 255, 255))
  PAINTERS[app.kind](img, np.random.default_rng([1000 + index, variant]), c)
  draw.rect(img, 0, 0, STATUS_BAR, W, draw.mix(c, (0, 0, 0), 0.35))
  draw.text(img, 1, 2, STATUS_TIME, (255, 255, 255))
  draw.rect(img, 1, W - 7, 5, W - 2, (255, 255, 255))
  draw.rect(img, STATUS_BAR, 0, TOP, W, c)
  draw.text(img, STATUS_BAR + 4, 2, app.name, draw.ink_on(c), max_width=W - 3)
  return draw.to_uint8(img)
