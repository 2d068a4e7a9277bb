"""The 60 installed apps: goal name, icon label, Android package/activity, screen kind, colour.

The first 10 are Open Common Apps. The paper names nine (Gmail, Google Sheets, Chrome,
Calculator, Clock, Messages, Phone, Google Calendar, Google Docs); the tenth is Google Slides,
which completes the Docs / Sheets / Slides trio of Google's editors: a common app on the same
stock images, and the hardest one to tell apart from two others that look alike. The other
50 (Open Diverse Apps) are stock Android and Google apps and well-known open-source apps
(F-Droid), each under its real package name so that the android_env bridge can report it.
"""

from typing import NamedTuple


class App(NamedTuple):
  name: str  # the goal text: "Open {name}"
  label: str  # under the icon (launchers show short labels)
  activity: str  # package/activity, as `adb shell dumpsys activity` reports the foreground app
  kind: str  # what its screen shows (envs/launcher/screens.py)
  colour: str  # brand colour, hex RGB
  glyph: str  # the character on the icon


# fmt: off
# ruff: noqa: E501  (one app per line reads best as a table)
APPS: tuple[App, ...] = tuple(
  App(*row)
  for row in (
    # Open Common Apps.
    ("Gmail", "Gmail", "com.google.android.gm/.ConversationListActivityGmail", "inbox", "d93025", "M"),
    ("Google Sheets", "Sheets", "com.google.android.apps.docs.editors.sheets/.DocListActivity", "sheet", "188038", "S"),
    ("Chrome", "Chrome", "com.android.chrome/com.google.android.apps.chrome.Main", "browser", "fbbc04", "C"),
    ("Calculator", "Calculator", "com.google.android.calculator/com.android.calculator2.Calculator", "calculator", "5f6368", "="),
    ("Clock", "Clock", "com.google.android.deskclock/com.android.deskclock.DeskClock", "clock", "1a73e8", "7"),
    ("Messages", "Messages", "com.google.android.apps.messaging/.ui.ConversationListActivity", "chat", "0b57d0", "-"),
    ("Phone", "Phone", "com.google.android.dialer/.extensions.GoogleDialtactsActivity", "dialer", "1e8e3e", "P"),
    ("Google Calendar", "Calendar", "com.google.android.calendar/com.android.calendar.AllInOneActivity", "calendar", "4285f4", "3"),
    ("Google Docs", "Docs", "com.google.android.apps.docs.editors.docs/.DocListActivity", "document", "3367d6", "D"),
    ("Google Slides", "Slides", "com.google.android.apps.docs.editors.slides/.DocListActivity", "slides", "f4b400", "S"),
    # Open Diverse Apps: the ten above and these fifty.
    ("Camera", "Camera", "com.android.camera2/com.android.camera.CameraLauncher", "camera", "202124", "O"),
    ("Google Photos", "Photos", "com.google.android.apps.photos/.home.HomeActivity", "gallery", "ea8600", "P"),
    ("Google Maps", "Maps", "com.google.android.apps.maps/com.google.android.maps.MapsActivity", "maps", "34a853", "M"),
    ("YouTube", "YouTube", "com.google.android.youtube/.HomeActivity", "video", "ff0000", "Y"),
    ("Play Store", "Play Store", "com.android.vending/.AssetBrowserActivity", "store", "01875f", "P"),
    ("Settings", "Settings", "com.android.settings/.Settings", "settings", "607d8b", "S"),
    ("Contacts", "Contacts", "com.google.android.contacts/com.android.contacts.activities.PeopleActivity", "contacts", "1967d2", "C"),
    ("Files", "Files", "com.google.android.apps.nbu.files/.home.HomeActivity", "files", "8ab4f8", "F"),
    ("Google Drive", "Drive", "com.google.android.apps.docs/.app.NewMainProxyActivity", "files", "0f9d58", "D"),
    ("Keep Notes", "Keep", "com.google.android.keep/.activities.BrowseActivity", "notes", "fbbc04", "K"),
    ("Google Translate", "Translate", "com.google.android.apps.translate/.TranslateActivity", "translate", "4285f4", "T"),
    ("YouTube Music", "YT Music", "com.google.android.apps.youtube.music/.activities.MusicActivity", "player", "c00000", "M"),
    ("Google Fit", "Fit", "com.google.android.apps.fitness/.welcome.WelcomeActivity", "fitness", "e91e63", "F"),
    ("Google Wallet", "Wallet", "com.google.android.apps.walletnfcrel/com.google.commerce.tapandpay.android.wallet.WalletActivity", "wallet", "3c4043", "W"),
    ("Google News", "News", "com.google.android.apps.magazines/com.google.apps.dots.android.app.activity.CurrentsStartActivity", "reader", "5c6bc0", "N"),
    ("Google Podcasts", "Podcasts", "com.google.android.apps.podcasts/.PodcastsActivity", "player", "7b1fa2", "P"),
    ("Google Meet", "Meet", "com.google.android.apps.tachyon/.MainActivity", "videocall", "00897b", "V"),
    ("Google Chat", "Chat", "com.google.android.apps.dynamite/.startup.StartUpActivity", "chat", "00ac47", "C"),
    ("Google Tasks", "Tasks", "com.google.android.apps.tasks/.ui.TaskListsActivity", "todo", "2684fc", "T"),
    ("Recorder", "Recorder", "com.google.android.apps.recorder/.ui.main.MainActivity", "recorder", "d50000", "R"),
    ("Firefox", "Firefox", "org.mozilla.firefox/org.mozilla.fenix.HomeActivity", "browser", "ff7139", "F"),
    ("Wikipedia", "Wikipedia", "org.wikipedia/.main.MainActivity", "reader", "000000", "W"),
    ("VLC", "VLC", "org.videolan.vlc/.StartActivity", "video", "ff8800", "V"),
    ("Termux", "Termux", "com.termux/.app.TermuxActivity", "terminal", "111111", ">"),
    ("Signal", "Signal", "org.thoughtcrime.securesms/.RoutingActivity", "chat", "3a76f0", "S"),
    ("Telegram", "Telegram", "org.telegram.messenger/org.telegram.ui.LaunchActivity", "chat", "2aabee", "T"),
    ("OsmAnd", "OsmAnd", "net.osmand/.plus.activities.MapActivity", "maps", "ff8f00", "O"),
    ("AntennaPod", "AntennaPod", "de.danoeh.antennapod/.activity.MainActivity", "player", "364ff3", "A"),
    ("F-Droid", "F-Droid", "org.fdroid.fdroid/.views.main.MainActivity", "store", "1976d2", "F"),
    ("NewPipe", "NewPipe", "org.schabi.newpipe/.MainActivity", "video", "cd201f", "N"),
    ("AnkiDroid", "AnkiDroid", "com.ichi2.anki/.IntentHandler", "flashcards", "2196f3", "A"),
    ("Duolingo", "Duolingo", "com.duolingo/.app.LoginActivity", "quiz", "58cc02", "D"),
    ("K-9 Mail", "K-9 Mail", "com.fsck.k9/.activity.MessageList", "inbox", "1565c0", "K"),
    ("Markor", "Markor", "net.gsantner.markor/.activity.MainActivity", "document", "388e3c", "M"),
    ("Tasks.org", "Tasks.org", "org.tasks/com.todoroo.astrid.activity.MainActivity", "todo", "7e57c2", "T"),
    ("Kiwix", "Kiwix", "org.kiwix.kiwixmobile/.main.KiwixMainActivity", "reader", "4d4d4d", "K"),
    ("Simple Gallery", "Gallery", "com.simplemobiletools.gallery.pro/.activities.MainActivity", "gallery", "f57c00", "G"),
    ("Nextcloud", "Nextcloud", "com.nextcloud.client/com.owncloud.android.ui.activity.FileDisplayActivity", "files", "0082c9", "N"),
    ("Breezy Weather", "Weather", "org.breezyweather/.main.MainActivity", "weather", "29b6f6", "W"),
    ("OpenTracks", "OpenTracks", "de.dennisguse.opentracks/.TrackListActivity", "fitness", "43a047", "O"),
    ("MyFitnessPal", "MyFitnessPal", "com.myfitnesspal.android/.splash.SplashActivity", "todo", "0066ee", "F"),
    ("PayPal", "PayPal", "com.paypal.android.p2pmobile/.startup.activities.StartupActivity", "wallet", "003087", "P"),
    ("Robinhood", "Robinhood", "com.robinhood.android/.ui.login.LoginActivity", "stocks", "00c805", "R"),
    ("Amazon Shopping", "Amazon", "com.amazon.mShop.android.shopping/com.amazon.mShop.home.HomeActivity", "shop", "ff9900", "A"),
    ("DoorDash", "DoorDash", "com.dd.doordash/.launcher.LauncherActivity", "shop", "eb1700", "D"),
    ("Uber", "Uber", "com.ubercab/.presidio.app.core.root.RootActivity", "maps", "000000", "U"),
    ("Sky Map", "Sky Map", "com.google.android.stardroid/.activities.SplashScreenActivity", "stars", "1a237e", "*"),
    ("Google Earth", "Earth", "com.google.earth/.EarthActivity", "globe", "1565c0", "E"),
    ("Audio Recorder", "Audio Rec", "com.github.axet.audiorecorder/.activities.MainActivity", "recorder", "6a1b9a", "A"),
    ("Snapseed", "Snapseed", "com.niksoftware.snapseed/com.google.android.apps.snapseed.MainActivity", "editor", "2e7d32", "S"),
  )
)
# fmt: on
NUM_APPS = len(APPS)
NUM_COMMON = 10
TASKS = {"common": tuple(range(NUM_COMMON)), "diverse": tuple(range(NUM_APPS))}


def rgb(hex_colour: str) -> tuple[int, int, int]:
  return tuple(int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))


def other_screens(task: str) -> tuple[str, ...]:
  """What the phone may show besides a goal's app: the apps that are not goals of `task`, the
  home screen and the drawer (texts for a reward's fixed negative prompts)."""
  goals = set(TASKS[task])
  return tuple(a.name for i, a in enumerate(APPS) if i not in goals) + ("home screen", "app drawer")
