"""The subscription page a person visits to subscribe to an application.

- GET /subscribe/{code}?success=…&failure=…: the page, with the
  application's name, a choice of the simulated account (and device) that
  subscribes, and the buttons Subscribe and Decline;
- POST /subscribe/{code} (the page's form): subscribe, then send the browser
  to `success` with `pushover_user_key` (303), or on Decline to `failure`.

Pushover serves this page at pushover.net/subscribe/{code}; the simulator at
its own root. The page needs no script: a plain form, so a browser test can
go through it. Its policy leaves out `form-action`, which browsers also
apply to the redirect that follows the form. The page is neither counted
nor faulted as API traffic.
"""

from html import escape
from typing import Final

from aiohttp import web

from .accounts import Directory, Subscription
from .keys import STATE_KEY
from .subscriptions import (
    REDIRECTS,
    SubscriptionError,
    redirect_problems,
    success_url,
)

SUBSCRIBE_PREFIX: Final = "/subscribe/"
STYLE_PATH: Final = "/_sim/static/subscribe.css"
PAGE_CSP: Final = (
    "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
CHOICE_SUBSCRIBE: Final = "subscribe"
CHOICE_DECLINE: Final = "decline"
ALL_DEVICES: Final = ""


def add_subscribe_routes(app: web.Application) -> None:
    """Register the subscription page and its form."""
    app.router.add_get(SUBSCRIBE_PREFIX + "{code}", _page)
    app.router.add_post(SUBSCRIBE_PREFIX + "{code}", _answer)


def _html(title: str, body: str, status: int = 200) -> web.Response:
    """Wrap a body in the page's frame; every value in it is already escaped."""
    page = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(title)} - Pushover simulator</title>\n"
        f'<link rel="stylesheet" href="{STYLE_PATH}">\n</head>\n'
        f'<body>\n<main class="card" data-testid="subscribe-page">\n'
        f"<h1>{escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )
    return web.Response(
        text=page,
        status=status,
        content_type="text/html",
        headers={
            "Content-Security-Policy": PAGE_CSP,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


def _problem_page(problems: list[str], status: int) -> web.Response:
    """Show why the subscription cannot go on; the browser goes nowhere."""
    items = "".join(f"<li>{escape(problem)}</li>" for problem in problems)
    return _html(
        "Cannot subscribe",
        f'<ul class="problems" data-testid="subscribe-problems">{items}</ul>',
        status,
    )


def _found(request: web.Request) -> Subscription | web.Response:
    """Find the subscription in the path, or the page saying there is none."""
    code = request.match_info["code"]
    subscription = request.app[STATE_KEY].subscriptions.find(code)
    if subscription is None:
        return _problem_page([f"no application has the subscription {code!r}"], 404)
    return subscription


def _subscriber_options(directory: Directory) -> str:
    """List each simulated account on all its devices, then on each one."""
    options: list[str] = []
    for user in directory.users:
        for device in (ALL_DEVICES, *directory.own_devices(user)):
            label = f"{user} on {device or 'all devices'}"
            value = escape(f"{user}:{device}")
            options.append(f'<option value="{value}">{escape(label)}</option>')
    return "".join(options)


async def _page(request: web.Request) -> web.Response:
    """GET /subscribe/{code}: ask the visitor to subscribe or decline."""
    found = _found(request)
    if isinstance(found, web.Response):
        return found
    redirects = {name: request.query.get(name) for name in REDIRECTS}
    problems = redirect_problems(found, redirects)
    if problems:
        return _problem_page(problems, 400)
    directory = request.app[STATE_KEY].directory
    app_name = directory.apps[found.token].name
    kind = "web" if found.group is None else "group"
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(value)}">'
        for name, value in redirects.items()
        if value
    )
    body = (
        f'<p data-testid="subscribe-app">Subscribe to notifications from '
        f"<strong>{escape(app_name)}</strong>?</p>\n"
        f'<p class="hint">A {kind}-based subscription: you get a new user key '
        "for this application only; yours stays private.</p>\n"
        f'<form method="post" action="{SUBSCRIBE_PREFIX}{escape(found.code)}">'
        f"{hidden}"
        '<label for="subscriber">Subscribe as</label>'
        '<select id="subscriber" name="subscriber" data-testid="subscribe-as">'
        f"{_subscriber_options(directory)}</select>"
        # Subscribe comes first, so that Enter subscribes; the style sheet
        # shows it on the right.
        '<div class="buttons">'
        f'<button type="submit" name="choice" value="{CHOICE_SUBSCRIBE}" '
        'data-testid="subscribe-confirm">Subscribe</button>'
        f'<button type="submit" name="choice" value="{CHOICE_DECLINE}" '
        'class="secondary" data-testid="subscribe-decline">Decline</button>'
        "</div></form>"
    )
    return _html(app_name, body)


async def _answer(request: web.Request) -> web.Response:
    """POST /subscribe/{code}: subscribe or decline, then go back to the sender."""
    found = _found(request)
    if isinstance(found, web.Response):
        return found
    form = await request.post()
    redirects = {name: _text(form.get(name)) or None for name in REDIRECTS}
    problems = redirect_problems(found, redirects)
    if problems:
        return _problem_page(problems, 400)
    choice = _text(form.get("choice"))
    if choice == CHOICE_DECLINE:
        return _redirect(redirects["failure"], "You did not subscribe.")
    if choice != CHOICE_SUBSCRIBE:
        return _problem_page(["choose Subscribe or Decline"], 400)
    user, _, device = _text(form.get("subscriber")).partition(":")
    try:
        subscribed = request.app[STATE_KEY].subscriptions.subscribe(
            found.code, user, device or None
        )
    except SubscriptionError as error:
        return _problem_page([str(error)], 400)
    success = redirects["success"]
    target = None if success is None else success_url(success, subscribed.key)
    return _redirect(target, "You are subscribed.")


def _text(value: object) -> str:
    """Return a form value as text; a file part counts as nothing."""
    return value if isinstance(value, str) else ""


def _redirect(target: str | None, done: str) -> web.Response:
    """Send the browser back to the sender, or say what happened."""
    if target is None:
        return _html("Pushover", f'<p data-testid="subscribe-done">{escape(done)}</p>')
    raise web.HTTPSeeOther(location=target)
