"""Screen geometry of the launcher at its base resolution (pixels; y down, x right).

The screen is a grid of ROWS x COLS cells of CELL_H x CELL_W pixels, which is also the grid
of tap positions (android_env's discrete action grid, taps at cell centres):

  row 0        status bar (STATUS_BAR px) and the search widget
  rows 1..4    home: 4 x 4 app cells (icon and label); drawer: rows 1..5 hold 5 x 4 apps
  row 5        home: page dots and the dock (4 icons, no labels)
"""

ROWS, COLS = 6, 4
CELL_H, CELL_W = 20, 16
H, W = ROWS * CELL_H, COLS * CELL_W  # 120 x 64, portrait
STATUS_BAR = 6
TOP_BAR = 20  # app screens: status bar + title bar
STATUS_TIME = "12:30"

HOME_ROWS = (1, 2, 3, 4)  # rows of home-page app cells
DOCK_ROW = 5
DRAWER_ROWS = (1, 2, 3, 4, 5)
PAGE_CELLS = len(HOME_ROWS) * COLS  # 16 apps per home page
DOCK_CELLS = COLS
DRAWER_CELLS = len(DRAWER_ROWS) * COLS  # 20 apps per drawer page

ICON = 10  # icon side
ICON_Y, ICON_X = 2, 3  # icon offset in a cell
LABEL_Y = 13  # label top in a cell (5 px glyphs)
DOCK_ICON_Y = 7  # icon offset in the dock row (page dots above it)
DOTS_Y = 2  # page dots' top in the dock row
