"""Pushover's subscriptions, free of HTTP: users subscribe to an application.

An application's subscription is set up on its page at pushover.net, either
group-based (each subscriber joins a delivery group the sender writes to) or
web-based (the sender sends a person to the subscription URL with `success`
and `failure` parameters; once they confirm, Pushover sends the browser to
`success` with `pushover_user_key`, or to `failure` when they decline). In
both cases the subscriber gets a new user key of their own, valid for that
application only, and their real key stays private; it is deleted when they
unsubscribe.

Where Pushover's pages are silent, the simulator chooses:

- A web-based subscription needs both `success` and `failure`, each an
  absolute http(s) URL; without them (or with others) the page shows the
  problem and sends the browser nowhere. A group-based one needs neither;
  when given, they must be such URLs and are used the same way.
- The key is added to `success` as one more query parameter; `failure` is
  used as given.
- A user who subscribes again gets the same key (with the device chosen
  now); one key per user and subscription.
"""

from collections.abc import Callable, Mapping
from typing import Final

from yarl import URL

from .accounts import Directory, GroupMember, Subscriber, Subscription
from .models import JsonObject

USER_KEY_PARAMETER: Final = "pushover_user_key"
SUBSCRIBER_KEY_PREFIX: Final = "u"
REDIRECTS: Final = ("success", "failure")

UNKNOWN_SUBSCRIPTION: Final = "no application has this subscription code"
UNKNOWN_ACCOUNT: Final = "user is not an account of this simulator"
NOT_THEIR_DEVICE: Final = "device is not one of the user's devices"


def redirect_problems(
    subscription: Subscription, redirects: Mapping[str, str | None]
) -> list[str]:
    """Say what is wrong with the `success` and `failure` URLs, if anything."""
    problems: list[str] = []
    for name in REDIRECTS:
        value = redirects.get(name)
        if not value:
            if subscription.group is None:
                problems.append(
                    f"{name} is required: the URL the browser returns to "
                    "(a web-based subscription)"
                )
        elif not _is_http_url(value):
            problems.append(f"{name} must be an absolute http or https URL")
    return problems


def _is_http_url(value: str) -> bool:
    """Tell whether a value is an absolute http(s) URL with a host."""
    try:
        url = URL(value)
    except ValueError:
        return False
    return url.scheme in {"http", "https"} and bool(url.host)


def success_url(success: str, key: str) -> str:
    """Add the subscriber's key to the sender's `success` URL."""
    return str(URL(success).update_query({USER_KEY_PARAMETER: key}))


class SubscriptionError(ValueError):
    """A subscription code, account or device does not fit; the text says which."""


class Subscriptions:
    """The applications' subscriptions and the users who subscribed."""

    def __init__(self, directory: Directory, on_change: Callable[[], None]) -> None:
        """Work on the directory's subscriptions and subscribers."""
        self._directory = directory
        self._on_change = on_change

    def find(self, code: str) -> Subscription | None:
        """Return the subscription with this code, None if there is none."""
        return self._directory.subscriptions.get(code)

    def subscribe(self, code: str, user: str, device: str | None) -> Subscriber:
        """Subscribe an account, on one device or on all.

        A group-based subscription also adds the new key to its group.
        Raises SubscriptionError when the code, account or device is wrong.
        """
        subscription = self.find(code)
        if subscription is None:
            raise SubscriptionError(UNKNOWN_SUBSCRIPTION)
        if user not in self._directory.users:
            raise SubscriptionError(UNKNOWN_ACCOUNT)
        if device is not None and device not in self._directory.own_devices(user):
            raise SubscriptionError(NOT_THEIR_DEVICE)
        known = next(
            (
                subscriber
                for subscriber in self._directory.subscribers.values()
                if (subscriber.code, subscriber.user) == (code, user)
            ),
            None,
        )
        key = (
            known.key
            if known is not None
            else self._directory.new_key(SUBSCRIBER_KEY_PREFIX)
        )
        subscriber = Subscriber(key, code, subscription.token, user, device)
        self._directory.subscribers[key] = subscriber
        if subscription.group is not None:
            self._join(subscription.group, subscriber)
        self._on_change()
        return subscriber

    def _join(self, group_key: str, subscriber: Subscriber) -> None:
        """Put the subscriber's key in the group, with the device they chose."""
        group = self._directory.groups[group_key]
        group.members = [m for m in group.members if m.user != subscriber.key]
        group.members.append(GroupMember(subscriber.key, subscriber.device))

    def unsubscribe(self, key: str) -> Subscriber | None:
        """Delete a subscriber's key (and its group entries); None if unknown."""
        subscriber = self._directory.subscribers.pop(key, None)
        if subscriber is None:
            return None
        for group in self._directory.groups.values():
            group.members = [m for m in group.members if m.user != key]
        self._on_change()
        return subscriber

    def to_json(self) -> list[JsonObject]:
        """Describe each subscription and its subscribers."""
        return [
            {
                "code": subscription.code,
                "token": subscription.token,
                "app": self._directory.apps[subscription.token].name,
                "kind": "web" if subscription.group is None else "group",
                "group": subscription.group,
                "subscribers": [
                    {
                        "key": subscriber.key,
                        "user": subscriber.user,
                        "device": subscriber.device,
                    }
                    for subscriber in self._directory.subscribers.values()
                    if subscriber.code == subscription.code
                ],
            }
            for subscription in self._directory.subscriptions.values()
        ]
