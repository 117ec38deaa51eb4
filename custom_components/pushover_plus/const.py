"""Constants for Pushover Plus: names, defaults and every Pushover API limit."""

from datetime import timedelta
import re
from typing import Final

DOMAIN: Final = "pushover_plus"

# The environment variable exists for the simulator and development instance.
API_BASE_URL: Final = "https://api.pushover.net/1/"
ENV_API_BASE_URL: Final = "PUSHOVER_PLUS_API_BASE_URL"

CONF_USER_KEY: Final = "user_key"
CONF_DEVICES: Final = "devices"
CONF_SOUND: Final = "sound"
CONF_PRIORITY: Final = "priority"
CONF_RETRY: Final = "retry"
CONF_EXPIRE: Final = "expire"
CONF_ACK_CALLBACK: Final = "acknowledgement_callback"
# The recipient's legacy action, notify.<service_name>: its first name's slug,
# kept when the recipient is renamed.
CONF_SERVICE_NAME: Final = "service_name"
CONF_BUILTIN_ENTRY: Final = "builtin_entry"
# A recipient account's end-to-end encryption key (64 hex characters): in a
# recipient subentry's data, and the primary recipient's in the options.
CONF_ENCRYPTION_KEY: Final = "encryption_key"
# A delivery group's group-based subscription, shown to be shared.
CONF_SUBSCRIPTION_URL: Final = "subscription_url"

# The layout of an entry's data. 1.2: the primary recipient's name and every
# recipient's legacy action are stored (see async_migrate_entry).
ENTRY_VERSION: Final = 1
ENTRY_MINOR_VERSION: Final = 2

SUBENTRY_RECIPIENT: Final = "recipient"
PRIMARY_RECIPIENT_ID: Final = "primary"

# The entry is a Pushover application, whose name Pushover's API never tells.
ENTRY_TITLE: Final = "Pushover"
# A delivery group's suggested recipient name; a user key's is the owner's.
DEFAULT_GROUP_RECIPIENT_NAME: Final = "Everyone"
DEFAULT_RETRY: Final = 60
DEFAULT_EXPIRE: Final = 3600

# Pushover API limits. Lengths count characters (code points), not bytes.
MAX_MESSAGE_LENGTH: Final = 1024
MAX_TITLE_LENGTH: Final = 250
MAX_URL_LENGTH: Final = 512
MAX_URL_TITLE_LENGTH: Final = 100
MAX_DEVICE_NAME_LENGTH: Final = 25
MAX_KEYS_PER_MESSAGE: Final = 50
MIN_RETRY: Final = 30
MAX_EXPIRE: Final = 10800
MAX_ATTACHMENT_BYTES: Final = 5_242_880
# Our own: the largest picture read to be made smaller. A 48-megapixel
# phone's photo is 12 to 25 MB as JPEG; whatever its size, a picture of more
# pixels than `picture.MAX_PIXELS` is never decoded.
MAX_PICTURE_SOURCE_BYTES: Final = 50 * 1024 * 1024
# Pushover takes one image and names no formats: these are the ones iOS and
# Android decode themselves (HEIF and AVIF on recent versions), by media type,
# with the extension of a file name.
IMAGE_TYPES: Final = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/avif": ".avif",
}
IMAGE_FORMAT_NAMES: Final = "JPEG, PNG, GIF, WebP, BMP, HEIC, HEIF, AVIF"
PRIORITY_MIN: Final = -2
PRIORITY_MAX: Final = 2
PRIORITY_EMERGENCY: Final = 2
PRIORITY_NAMES: Final = {
    "lowest": -2,
    "low": -1,
    "normal": 0,
    "high": 1,
    "emergency": 2,
}
KEY_PATTERN: Final = re.compile(r"[A-Za-z0-9]{30}")
DEVICE_NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,25}")
# Pushover's receipts page: a receipt is 30 characters of [A-Za-z0-9].
RECEIPT_LENGTH: Final = 30
# What chain ids and encryption keys are written in: `text.strip(HEX_DIGITS)`
# leaves nothing of a text that holds no other character.
HEX_DIGITS: Final = "0123456789abcdef"
RECEIPT_PATTERN: Final = re.compile(r"[A-Za-z0-9]{30}")
# Pushover documents no limit for tags; its clients cap the comma-joined list
# at 200 characters, and so do we (the simulator enforces it as Pushover's).
MAX_TAGS_LENGTH: Final = 200

# Our own limits, stricter than Pushover's documented rules.
# Pushover documents no most devices per message; 50, as many as the user
# keys one call may carry, is far above any household's device count.
MAX_DEVICES_PER_MESSAGE: Final = 50
# A timestamp is the original time of a message that reached Pushover late:
# not before the Unix epoch, and not more than a day ahead (any time zone
# mix-up or clock skew stays within it; milliseconds for seconds do not).
TIMESTAMP_MIN: Final = 0
TIMESTAMP_MAX_AHEAD: Final = timedelta(days=1)
# Links that run code or carry content instead of opening a page or an app.
REFUSED_URL_SCHEMES: Final = ("javascript", "data", "vbscript")

# The built-in `pushover` integration, whose entries can move to this one.
BUILTIN_DOMAIN: Final = "pushover"

# A primary key without active devices is asked about again this often,
# until a device is logged in with it.
NO_DEVICES_RECHECK_INTERVAL: Final = timedelta(hours=1)

# Good-citizen rules for talking to Pushover.
MAX_CONCURRENT_REQUESTS: Final = 2
REQUEST_TIMEOUT_SECONDS: Final = 15

# The account's sounds and devices, offered by the send action's form, are
# read again when older than this, and only when they may be needed.
CHOICES_MAX_AGE: Final = timedelta(hours=1)
# What setup could not read (Pushover down at a start) is asked again this
# often until it answers, so the form does not lack it for an hour.
CHOICES_RETRY_INTERVAL: Final = timedelta(minutes=5)

# The limits path: a monthly quota needs no fast poll.
LIMITS_POLL_INTERVAL: Final = timedelta(hours=1)
LIMITS_RESET_GRACE: Final = timedelta(minutes=1)

# The receipts path. Pushover asks for no poll faster than every 5 seconds.
RECEIPT_POLL_MIN: Final = timedelta(seconds=5)
RECEIPT_POLL_MAX: Final = timedelta(minutes=5)
# A receipt is polled at a twelfth of its age: every 5 s in its first minute,
# every 5 minutes once it is an hour old.
RECEIPT_POLL_AGE_DIVISOR: Final = 12

EVENT_ACKNOWLEDGED: Final = f"{DOMAIN}_acknowledged"
EVENT_EXPIRED: Final = f"{DOMAIN}_expired"
EVENT_CANCELLED: Final = f"{DOMAIN}_cancelled"
EVENT_ESCALATED: Final = f"{DOMAIN}_escalated"
# The tag of an escalation chain's messages: the prefix, then the chain's id.
CHAIN_TAG_PREFIX: Final = "escalation-"
# The error of a send that reached some of its recipients (its translation key).
PARTLY_REFUSED: Final = "send_partly_refused"

# The outbox: what Pushover cannot take now waits, within these bounds.
MAX_QUEUED_MESSAGES: Final = 1000
MAX_QUEUED_BYTES: Final = 50 * 1024 * 1024
MAX_QUEUED_AGE: Final = timedelta(hours=24)
# Pushover asks for no retry sooner than 5 seconds, with growing back-off.
RETRY_FIRST: Final = timedelta(seconds=5)
RETRY_MAX: Final = timedelta(minutes=5)
RETRY_JITTER: Final = 0.2
# A queue that has not moved for this long gets a repair notice.
OUTBOX_STUCK_AFTER: Final = timedelta(minutes=15)

EVENT_DELIVERED: Final = f"{DOMAIN}_delivered"
EVENT_DROPPED: Final = f"{DOMAIN}_dropped"

# Glances (glances.json): small data for a watch or a lock screen.
CONF_GLANCE: Final = "glance"
MAX_GLANCE_TEXT_LENGTH: Final = 100
GLANCE_PERCENT_MIN: Final = 0
GLANCE_PERCENT_MAX: Final = 100
# Pushover asks for at least 20 minutes between a user's glance updates
# (watchOS stops taking them otherwise); it does not throttle itself.
GLANCE_MIN_INTERVAL: Final = timedelta(minutes=20)

# Delivery groups (the Groups API). Whether a recipient's key is a group is
# what users/validate.json said of it, stored with the recipient.
CONF_IS_GROUP: Final = "is_group"
# A group's members change rarely, and every change we make is read back.
GROUP_POLL_INTERVAL: Final = timedelta(hours=1)
MAX_GROUP_MEMO_LENGTH: Final = 200
# The inbox: Pushover's Open Client API, with which the entry receives the
# account's messages as one of its desktop devices.
PUSH_URL: Final = "wss://client.pushover.net/push"
# Set beside ENV_API_BASE_URL for another push server; without it, a changed
# API base URL has its push socket at /push of the same server (the simulator).
ENV_PUSH_URL: Final = "PUSHOVER_PLUS_PUSH_URL"
DESKTOP_LICENSING_URL: Final = "https://pushover.net/licensing"
# Absent from application entries, which came first.
CONF_ENTRY_KIND: Final = "kind"
ENTRY_KIND_INBOX: Final = "inbox"
CONF_SECRET: Final = "secret"  # noqa: S105 - the key's name, not a secret
CONF_DEVICE_ID: Final = "device_id"
CONF_DEVICE_NAME: Final = "device_name"
CONF_IGNORED_APPS: Final = "ignored_apps"
INBOX_TITLE: Final = "Pushover inbox"
DEFAULT_INBOX_DEVICE_NAME: Final = "HomeAssistant"
# An Open Client device registers with the os "O".
OPEN_CLIENT_OS: Final = "O"
# Pushover's page names the keep-alive frame but not how often it comes; the
# simulator sends one every 30 seconds. Three missed ones (90 s, inside the
# 60-180 s after which published clients give a silent socket up) mean the
# connection died without closing.
PUSH_KEEP_ALIVE_INTERVAL: Final = timedelta(seconds=30)
PUSH_WATCHDOG: Final = 3 * PUSH_KEEP_ALIVE_INTERVAL
# How long the push server may take to accept the connection.
PUSH_CONNECT_TIMEOUT_SECONDS: Final = 30
# The apps the options offer to ignore: the latest ones seen, at most this many.
MAX_SEEN_APPS: Final = 30
# The last-message sensor's state: Home Assistant's limit of 255 characters.
MAX_STATE_LENGTH: Final = 255

EVENT_MESSAGE_RECEIVED: Final = f"{DOMAIN}_message_received"
# Invitations by link (web-based subscriptions). Our own bounds: an
# invitation is a one-time link that someone may forward or leak, so it
# lasts two days, long enough to be seen the next evening; what became of it
# is kept a week longer so that a late visit is told, then purged. A few
# open at once are plenty for a household and keep a leaked flow harmless.
INVITATION_LIFETIME: Final = timedelta(hours=48)
INVITATION_KEPT_AFTER_EXPIRY: Final = timedelta(days=7)
MAX_OPEN_INVITATIONS: Final = 5
MAX_INVITATION_RECORDS: Final = 50
# An entry's invitations in Home Assistant's store: `.storage/<key>`.
INVITATIONS_STORAGE_KEY: Final = DOMAIN + ".invitations.{entry_id}"
INVITATIONS_STORAGE_VERSION: Final = 1
