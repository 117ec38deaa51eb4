"""Tests of the simulator's phone page, its live feed and its HTML sanitiser."""

import asyncio
from html.parser import HTMLParser
import json
import re
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from pushover_simulator import (
    DESKTOP_TRIAL_SECONDS,
    TEST_APP_TOKEN,
    TEST_DEVICES,
    TEST_EMAIL,
    TEST_ENCRYPTION_KEY,
    TEST_GROUP_KEY,
    TEST_GROUP_MEMBER_KEY,
    TEST_GROUP_MEMBERS,
    TEST_GROUP_NAME,
    TEST_GROUP_SUBSCRIPTION_CODE,
    TEST_NO_DESKTOP_EMAIL,
    TEST_NO_DESKTOP_PASSWORD,
    TEST_NO_DEVICE_EMAIL,
    TEST_NO_DEVICE_PASSWORD,
    TEST_NO_DEVICE_USER_KEY,
    TEST_PASSWORD,
    TEST_SECOND_ENCRYPTION_KEY,
    TEST_SECOND_USER_KEY,
    TEST_SUBSCRIBERS_GROUP_KEY,
    TEST_SUBSCRIBERS_GROUP_NAME,
    TEST_SUBSCRIPTION_CODE,
    TEST_TWOFA_EMAIL,
    TEST_TWOFA_PASSWORD,
    TEST_USER_KEY,
    PushoverSimulator,
    Receipt,
)
from pushover_simulator.__main__ import _banner
from pushover_simulator.phone import (
    image_type,
    receipt_status,
    retry_count,
)
from pushover_simulator.sanitise import safe_http_url, sanitise_html

from . import START, FakeClock
from .inbox import connect, delete_through, new_client

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EVENT_TIMEOUT = 3.0

type Json = dict[str, Any]


def url(sim: PushoverSimulator, path: str) -> str:
    """Build a URL from a root-relative path."""
    return sim.root_url + path.removeprefix("/")


async def send(
    session: aiohttp.ClientSession, sim: PushoverSimulator, **fields: str
) -> Json:
    """POST a form-encoded messages.json: a valid send with fields overridden."""
    base = {"token": TEST_APP_TOKEN, "user": TEST_USER_KEY, "message": "Door open"}
    return await post_message(session, sim, {**base, **fields})


async def post_message(
    session: aiohttp.ClientSession,
    sim: PushoverSimulator,
    body: aiohttp.FormData | dict[str, str],
) -> Json:
    """POST messages.json; expect it accepted; return the answer."""
    async with session.post(sim.base_url + "messages.json", data=body) as response:
        answer: Json = await response.json()
        assert response.status == 200, answer
        return answer


async def view(session: aiohttp.ClientSession, sim: PushoverSimulator) -> Json:
    """GET what the phone page shows."""
    async with session.get(url(sim, "/_sim/phone/state")) as response:
        assert response.status == 200
        body: Json = await response.json()
        return body


async def control(
    session: aiohttp.ClientSession,
    sim: PushoverSimulator,
    method: str,
    path: str,
    body: Json | None = None,
) -> tuple[int, Json]:
    """Call the /_sim control API as the page does."""
    async with session.request(method, url(sim, path), json=body) as response:
        return response.status, await response.json()


def assert_not_counted(sim: PushoverSimulator) -> None:
    """No API request was logged, counted in flight or faulted."""
    assert sim.requests == []
    assert sim.max_concurrent_requests == 0


# The page and its files


@pytest.mark.parametrize("path", ["/", "/_sim/phone"])
async def test_page_is_served_with_a_strict_policy(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, path: str
) -> None:
    """The page: HTML, a CSP allowing only its own script, no inline script."""
    async with session.get(url(simulator, path)) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        csp = response.headers["Content-Security-Policy"]
        page = await response.text()
    assert "script-src 'self'" in csp
    assert "default-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.DOTALL)
    assert scripts == [""]  # one script, loaded from a file
    assert '<script src="/_sim/static/phone.js"' in page
    assert '<link rel="stylesheet" href="/_sim/static/phone.css">' in page
    assert not re.search(r"\son[a-z]+\s*=", page)  # no inline handlers
    assert "style=" not in page
    for testid in (
        "message-list",
        "glance-panel",
        "group-panel",
        "subscription-panel",
        "fault-panel",
        "quota-panel",
        "credentials",
        "connection-status",
    ):
        assert f'data-testid="{testid}"' in page


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("phone.js", "text/javascript"), ("phone.css", "text/css")],
)
async def test_static_files_are_served(
    simulator: PushoverSimulator,
    session: aiohttp.ClientSession,
    name: str,
    content_type: str,
) -> None:
    """The script and style sheet come from the package, with their types."""
    async with session.get(url(simulator, f"/_sim/static/{name}")) as response:
        assert response.status == 200
        assert response.content_type == content_type
        assert response.charset == "utf-8"
        assert len(await response.read()) > 1000
    async with session.get(url(simulator, "/_sim/static/phone.html")) as missing:
        assert missing.status == 404
    async with session.get(url(simulator, "/_sim/static/..%2fphone.py")) as missing:
        assert missing.status == 404


async def test_script_inserts_markup_only_from_the_sanitised_field(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Everything but html_safe goes into the page as text."""
    async with session.get(url(simulator, "/_sim/static/phone.js")) as response:
        script = await response.text()
    code = "\n".join(
        line for line in script.splitlines() if not line.lstrip().startswith("//")
    )
    assert re.findall(r"\.innerHTML\s*=\s*([^;]+);", code) == ["message.html_safe"]
    for sink in ("outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in code
    assert "new Function" not in code
    assert "textContent" in code
    for testid in ("message", "message-title", "message-body", "ack-button"):
        assert f'testid: "{testid}"' in code


async def test_page_requests_are_not_api_traffic(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Page, files, feed, favicon: not counted, and armed faults stay armed."""
    simulator.faults.update({"fail_next": 1, "drop_next": 1, "malformed_next": 1})
    for path in (
        "/",
        "/_sim/phone",
        "/_sim/static/phone.js",
        "/_sim/static/phone.css",
        "/_sim/phone/state",
        "/favicon.ico",
    ):
        async with session.get(url(simulator, path)) as response:
            assert response.status in {200, 204}, path
    async with session.get(url(simulator, "/_sim/events")) as stream:
        await next_event(stream)
    assert_not_counted(simulator)
    assert (
        simulator.faults.fail_next,
        simulator.faults.drop_next,
        simulator.faults.malformed_next,
    ) == (1, 1, 1)


# The sanitiser

LINK_END = ' target="_blank" rel="noopener noreferrer">'
# Exactly the tags the sanitiser may write (a font whose colour was refused
# and a link whose URL was refused keep their tag, without the attribute,
# and such a link may list its two fixed attributes the other way round);
# text between them is escaped, so once they are taken out no "<" or ">"
# may be left.
WRITTEN_TAG = re.compile(
    r"</?(?:b|i|u)>"
    r'|<font(?: color="(?:#[0-9A-Fa-f]{3}|#[0-9A-Fa-f]{6}|[A-Za-z]{1,20})")?>|</font>'
    r'|<a(?: href="https?://[^"<>\s]+")?'
    r'(?: target="_blank" rel="noopener noreferrer"'
    r'| rel="noopener noreferrer" target="_blank")>|</a>',
    re.IGNORECASE,
)
HOSTILE_ATTRIBUTE = re.compile(
    r"\son[a-z]+\s*=|style=|javascript:|data:", re.IGNORECASE
)


class _Text(HTMLParser):
    """Collect the text a browser would show for some markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(markup: str) -> str:
    """Return the text of some markup."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return "".join(parser.text)


def assert_only_allowed_markup(markup: str) -> None:
    """Every tag is b/i/u/font[color]/a[http(s) href]; nothing else survives."""
    rest = WRITTEN_TAG.sub("", markup)
    assert "<" not in rest, markup
    assert ">" not in rest, markup
    for href in re.findall(r'<a href="([^"]*)"', markup):
        assert not href.lower().startswith(("javascript", "data", "vbscript"))


def link(href: str, text: str) -> str:
    """Return the markup the sanitiser writes for a kept link."""
    return f'<a href="{href}"{LINK_END}{text}</a>'


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<b>bold</b> <i>it</i> <u>under</u>", "<b>bold</b> <i>it</i> <u>under</u>"),
        ("<B>loud</B>", "<b>loud</b>"),
        ('<font color="#ff0000">red</font>', '<font color="#ff0000">red</font>'),
        ('<font color="#F00">red</font>', '<font color="#F00">red</font>'),
        ("<font color=green>green</font>", '<font color="green">green</font>'),
        ('<font color=" blue ">blue</font>', '<font color="blue">blue</font>'),
        (
            '<a href="https://example.com/?a=1&amp;b=2">cam</a>',
            link("https://example.com/?a=1&amp;b=2", "cam"),
        ),
        (
            "<a href=http://10.0.0.2:8123/lovelace>HA</a>",
            link("http://10.0.0.2:8123/lovelace", "HA"),
        ),
        (
            '<a href="https://ok.example/" target="_self" rel="opener">t</a>',
            link("https://ok.example/", "t"),
        ),
        (
            '<b><font color="red"><a href="https://x.example/">all</a></font></b>',
            f'<b><font color="red">{link("https://x.example/", "all")}</font></b>',
        ),
        # Misnested and unclosed tags are mended as a browser mends them.
        ("<b><i>x</b>y</i>", "<b><i>x</i></b><i>y</i>"),
        ("<b>unclosed", "<b>unclosed</b>"),
        ("stray</b> end", "stray end"),
        ("x < y && y > z", "x &lt; y &amp;&amp; y &gt; z"),
        ("quote \" and ' here", "quote \" and ' here"),
        ("line 1\nline 2", "line 1\nline 2"),
        ("café ☕", "café ☕"),
        ("<p>para</p><div>block</div><br>end", "parablockend"),
    ],
)
def test_sanitiser_keeps_the_pushover_subset(source: str, expected: str) -> None:
    """b, i, u, font colour and http(s) links survive; text is escaped."""
    assert sanitise_html(source) == expected
    assert_only_allowed_markup(sanitise_html(source))


@pytest.mark.parametrize(
    ("source", "text"),
    [
        # Script tags, in any case and wherever they stand.
        ("<script>alert(1)</script>after", "after"),
        ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>after", "after"),
        ("<b>bold<script>alert(1)</script></b>", "bold"),
        ('<a href="https://a.example/"><script>alert(1)</script>x</a>', "x"),
        ("<script>alert(1)", ""),  # unclosed: the rest is script
        ("<scr\0ipt>alert(1)</script>", None),
        # Event handlers, on kept tags too.
        ("<img src=x onerror=alert(1)>after", "after"),
        ("<img/src=x/onerror=alert(1)>after", "after"),
        ('<a href="https://a.example/" onclick="evil()">ok</a>', "ok"),
        ('<b onmouseover="alert(1)" style="color:red">bold</b>', "bold"),
        ("<u onclick=alert(1)>u</u>", "u"),
        ("<i autofocus onfocus=alert(1) tabindex=0>i</i>", "i"),
        ('<font color="red" onmouseover="x" style="x">red</font>', "red"),
        ("<b/onmouseover=alert(1)>x</b>", None),
        ("<b id=x name=y class=z title=t>attrs</b>", "attrs"),
        ('<body onload="alert(1)">body</body>', "body"),
        ('<iframe src="javascript:alert(1)">inner</iframe>after', "after"),
        # javascript:, data: and other links that are not absolute http(s).
        ('<a href="javascript:alert(1)">link</a>', "link"),
        ('<a href="JavaScript:alert(1)">link</a>', "link"),
        ('<a href="jav&#x61;script:alert(1)">link</a>', "link"),
        ('<a href="jav&#97;script&colon;alert(1)">link</a>', "link"),
        ('<a href=" java\tscript:alert(1)">link</a>', "link"),
        ('<a href="java\nscript:alert(1)">link</a>', "link"),
        ('<a href="&#14;javascript:alert(1)">link</a>', "link"),
        ('<a href="data:text/html,<script>alert(1)</script>">link</a>', "link"),
        (
            '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg">d</a>',
            "d",
        ),
        ('<a href="DATA:image/svg+xml,<svg onload=alert(1)>">d</a>', "d"),
        ('<a href="vbscript:msgbox(1)">link</a>', "link"),
        ('<a href="//evil.example/">link</a>', "link"),
        ('<a href="/relative">link</a>', "link"),
        ('<a href="https:alert(1)">link</a>', "link"),
        ('<a href="https://a.example/ x">link</a>', "link"),
        ('<a href="https://ok.example/"x" onclick=alert(1)>q</a>', "q"),
        ("<a href='https://x.example/\"onclick=\"alert(1)'>q</a>", "q"),
        (
            '<a href="https://a.example/" title="</a><script>alert(1)</script>">t</a>',
            "t",
        ),
        # Style attributes and style elements.
        ('<font color="red;background:url(javascript:x)">x</font>', "x"),
        ('<font color="expression(alert(1))">x</font>', "x"),
        ('<i style="background:url(javascript:alert(1))">i</i>', "i"),
        ('<a href="https://a.example/" style="position:fixed;inset:0">a</a>', "a"),
        ('<div style="position:fixed" onclick="x">text</div>', "text"),
        ("<style>body{display:none}</style>after", "after"),
        # Nested and malformed tags.
        ("<scr<script>ipt>alert(1)</script>", None),
        ("<scr<script>ipt>alert(1)</scr</script>ipt>", None),
        ("<<script>script>alert(1)<</script>/script>", None),
        ("<b <script>alert(1)</script>>x</b>", None),
        ('<font color="red"<script>>x</font>', None),
        ('<a href="https://a.example/>unterminated', None),
        (
            '<a href="https://a.example/"><a href="https://b.example/">x</a></a>',
            "x",
        ),
        ("<b><i><u>deep</b></i></u>tail", "deeptail"),
        ("<svg><script>alert(1)</script></svg>after", "after"),
        ("<svg onload=alert(1)>hidden", ""),  # unclosed: all dropped
        ("<math><mi xlink:href=javascript:alert(1)>X</mi></math>after", "after"),
        ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', None),
        ("<!-- <script>alert(1)</script> -->after", "after"),
        ("<![CDATA[<script>alert(1)</script>]]>after", "alert(1)]]>after"),
        ('<object data="x.swf"></object>after', "after"),
        ('<embed src="x.swf">after', "after"),
        ('<form action="https://evil.example"><input name=x></form>after', "after"),
        ('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">after', None),
        ('<base href="javascript:/">after', "after"),
        ("<textarea><b>x</b></textarea>after", "after"),
        # Escaped markup stays text.
        ("&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"),
        ("&#60;img src=x onerror=alert(1)&#62;", "<img src=x onerror=alert(1)>"),
    ],
)
def test_sanitiser_neutralises_attacks(source: str, text: str | None) -> None:
    """Scripts, handlers, styles and bad links go; text is kept as text."""
    markup = sanitise_html(source)
    assert_only_allowed_markup(markup)
    if text is not None:
        assert visible_text(markup) == text
    assert "<script" not in markup.lower()
    for tag in re.findall(r"<[^>]*>", markup):
        assert not HOSTILE_ATTRIBUTE.search(tag), tag


@pytest.mark.parametrize(
    ("source", "href"),
    [
        ('<a href="javascript:alert(1)">x</a>', None),
        ('<a href="https://a.example/" onclick="evil()">x</a>', "https://a.example/"),
        ('<a href=" https://a.example/ ">x</a>', "https://a.example/"),
    ],
)
def test_refused_link_is_no_link(source: str, href: str | None) -> None:
    """A link keeps its http(s) URL or none at all: then nothing to follow."""
    markup = sanitise_html(source)

    assert re.findall(r'href="([^"]*)"', markup) == ([] if href is None else [href])
    assert markup.startswith("<a ")
    assert WRITTEN_TAG.sub("", markup) == "x"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.com/a?b=c", "https://example.com/a?b=c"),
        ("  http://example.com  ", "http://example.com"),
        ("HTTPS://EXAMPLE.COM", "HTTPS://EXAMPLE.COM"),
        ("javascript:alert(1)", None),
        ("https:alert(1)", None),
        ("https://", None),
        ("http://exa mple.com", None),
        ("http://example.com/\nx", None),
        ("ftp://example.com", None),
        ("homeassistant://navigate/lovelace", None),
        (None, None),
    ],
)
def test_safe_http_url(value: str | None, expected: str | None) -> None:
    """Only absolute http(s) URLs with a host become links."""
    assert safe_http_url(value) == expected


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("image/png", "image/png"),
        ("IMAGE/JPEG; charset=binary", "image/jpeg"),
        ("image/svg+xml", "image/svg+xml"),
        ("image/png\r\nX-Evil: 1", "application/octet-stream"),
        ("text/html", "application/octet-stream"),
        (None, "application/octet-stream"),
    ],
)
def test_attachment_type_is_a_plain_image_type(
    content_type: str | None, expected: str
) -> None:
    """The served type is a bare image/... media type, or a neutral one."""
    assert image_type(content_type) == expected


# The feed


async def test_feed_describes_messages_newest_first(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """Everything the page shows, with sanitised markup only for html=1."""
    await send(session, simulator, message="<script>alert(1)</script>plain")
    clock.now = START + 60
    await send(
        session,
        simulator,
        title="<img src=x onerror=alert(1)>",
        message='<b>Hot</b> <a href="javascript:alert(1)">x</a>',
        html="1",
        priority="1",
        sound="siren",
        url="https://example.com/cam",
        url_title="Camera",
        device="watch",
    )
    clock.now = START + 120
    await send(
        session,
        simulator,
        message="mono  text",
        monospace="1",
        priority="-2",
        url="javascript:alert(1)",
        timestamp="1773000000",
    )
    shown = await view(session, simulator)
    assert shown["total_messages"] == 3
    newest, styled, plain = shown["messages"]
    assert (newest["monospace"], newest["html_safe"], newest["priority"]) == (
        True,
        None,
        -2,
    )
    assert newest["priority_label"] == "lowest"
    assert (newest["url"], newest["url_href"]) == ("javascript:alert(1)", None)
    assert newest["time"] == 1_773_000_000  # the sender's timestamp wins
    assert newest["received_at"] == int(START) + 120
    assert styled == styled | {
        "title": "<img src=x onerror=alert(1)>",
        "message": '<b>Hot</b> <a href="javascript:alert(1)">x</a>',
        "html": True,
        "html_safe": f"<b>Hot</b> <a{LINK_END}x</a>",
        "priority": 1,
        "priority_label": "high",
        "sound": "siren",
        "url": "https://example.com/cam",
        "url_href": "https://example.com/cam",
        "url_title": "Camera",
        "time": int(START) + 60,
        "devices": ["watch"],
        "recipients": [TEST_USER_KEY],
        "app": "Pushover Plus Test",
        "attachment_url": None,
        "receipt": None,
    }
    assert (plain["html"], plain["html_safe"]) == (False, None)
    assert plain["message"] == "<script>alert(1)</script>plain"
    assert plain["sound"] is None
    assert plain["id"] == simulator.messages[0].request


async def test_feed_shows_faults_quota_and_credentials(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """The panel's current faults and quota; the account's test credentials."""
    status, _ = await control(
        session, simulator, "POST", "/_sim/faults", {"fail_next": 2, "fail_status": 502}
    )
    assert status == 200
    status, _ = await control(
        session, simulator, "POST", "/_sim/remaining", {"remaining": 42}
    )
    assert status == 200
    shown = await view(session, simulator)
    assert (shown["faults"]["fail_next"], shown["faults"]["fail_status"]) == (2, 502)
    assert shown["quota"]["remaining"] == 42
    account = shown["account"]
    assert account["apps"][0] == {"token": TEST_APP_TOKEN, "name": "Pushover Plus Test"}
    assert {
        "key": TEST_USER_KEY,
        "devices": list(TEST_DEVICES),
        "encryption_key": TEST_ENCRYPTION_KEY,
    } in account["users"]
    assert account["groups"] == [
        {
            "key": TEST_GROUP_KEY,
            "name": TEST_GROUP_NAME,
            "members": list(TEST_GROUP_MEMBERS),
        },
        {
            "key": TEST_SUBSCRIBERS_GROUP_KEY,
            "name": TEST_SUBSCRIBERS_GROUP_NAME,
            "members": [],
        },
    ]
    status, _ = await control(session, simulator, "DELETE", "/_sim/faults")
    assert (await view(session, simulator))["faults"]["fail_next"] == 0


async def send_emergency(
    session: aiohttp.ClientSession, sim: PushoverSimulator, **fields: str
) -> str:
    """Send an emergency message (retry 60 s, expire 300 s); return its receipt."""
    answer = await send(session, sim, priority="2", retry="60", expire="300", **fields)
    receipt: str = answer["receipt"]
    return receipt


async def test_emergency_retry_count_and_status_follow_the_clock(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """Sent once, then once per retry until expiry; then expired."""
    receipt = await send_emergency(session, simulator)
    expected = [(0, 1), (59, 1), (60, 2), (150, 3), (299, 5)]
    for elapsed, count in expected:
        clock.now = START + elapsed
        [message] = (await view(session, simulator))["messages"]
        assert message["receipt"]["id"] == receipt
        assert (message["receipt"]["status"], message["receipt"]["retry_count"]) == (
            "pending",
            count,
        ), elapsed
        assert message["receipt"]["can_acknowledge"] is True
    clock.now = START + 300
    [message] = (await view(session, simulator))["messages"]
    assert message["receipt"] | {"id": ""} == message["receipt"] | {
        "id": "",
        "status": "expired",
        "retry_count": 5,
        "can_acknowledge": False,
        "retry": 60,
        "expire": 300,
        "expires_at": int(START) + 300,
    }


async def test_cancelled_emergency_stops_counting(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """A cancelled emergency reads cancelled; its count stops at the cancel."""
    receipt = await send_emergency(session, simulator)
    clock.now = START + 70
    cancel = simulator.base_url + f"receipts/{receipt}/cancel.json"
    async with session.post(cancel, data={"token": TEST_APP_TOKEN}) as response:
        assert response.status == 200
    clock.now = START + 250
    [message] = (await view(session, simulator))["messages"]
    assert (message["receipt"]["status"], message["receipt"]["retry_count"]) == (
        "cancelled",
        2,
    )
    assert message["receipt"]["can_acknowledge"] is False


def test_retry_count_is_capped_at_fifty() -> None:
    """At most 50 deliveries, however long the expiry."""
    receipt = Receipt(
        receipt="r",
        token=TEST_APP_TOKEN,
        request="q",
        recipients=[TEST_USER_KEY],
        retry=30,
        expire=10800,
        created_at=int(START),
    )
    assert retry_count(receipt, START + 29) == 1
    assert retry_count(receipt, START + 30 * 10) == 11
    assert retry_count(receipt, START + 10_000) == 50
    assert receipt_status(receipt, START + 10_000) == "pending"
    assert receipt_status(receipt, START + 10_800) == "expired"
    receipt.cancelled_at = int(START) + 20_000
    assert receipt_status(receipt, START + 20_000) == "expired"


async def test_acknowledge_button_path_calls_back(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """The button's request acknowledges, POSTs the callback, updates status."""
    received: list[dict[str, str]] = []

    async def callback(request: web.Request) -> web.Response:
        received.append({k: str(v) for k, v in (await request.post()).items()})
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/ack", callback)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        callback_url = f"http://127.0.0.1:{site.port}/ack"
        receipt = await send_emergency(session, simulator, callback=callback_url)
        clock.now = START + 90
        [message] = (await view(session, simulator))["messages"]
        shown = message["receipt"]
        assert (shown["ack_user"], shown["ack_device"]) == (TEST_USER_KEY, "phone")
        body = {
            "receipt": shown["id"],
            "user": shown["ack_user"],
            "device": shown["ack_device"],
        }
        status, answer = await control(
            session, simulator, "POST", "/_sim/acknowledge", body
        )
        assert (status, answer["acknowledged"]) == (200, 1)
    finally:
        await runner.cleanup()
    assert received == [
        {
            "receipt": receipt,
            "acknowledged": "1",
            "acknowledged_at": str(int(START) + 90),
            "acknowledged_by": TEST_USER_KEY,
            "acknowledged_by_device": "phone",
        }
    ]
    clock.now = START + 200
    [message] = (await view(session, simulator))["messages"]
    assert message["receipt"] | {"id": ""} == message["receipt"] | {
        "id": "",
        "status": "acknowledged",
        "retry_count": 2,
        "can_acknowledge": False,
        "called_back": True,
        "callback_status": 200,
        "acknowledged_by": TEST_USER_KEY,
        "acknowledged_by_device": "phone",
    }
    status, again = await control(session, simulator, "POST", "/_sim/acknowledge", body)
    assert status == 400
    assert "acknowledged" in again["errors"][0]
    assert_not_counted_except_api(simulator, 1)


def assert_not_counted_except_api(sim: PushoverSimulator, count: int) -> None:
    """Only the test's own /1/ requests were logged."""
    assert len(sim.requests) == count
    assert all(record.path.startswith("/1/") for record in sim.requests)


async def test_acknowledger_prefers_the_targeted_device(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Sent to a device: acknowledged there; to a group: as its first member."""
    await send_emergency(session, simulator, device="watch")
    await send_emergency(session, simulator, user=TEST_GROUP_KEY)
    group, watch = (await view(session, simulator))["messages"]
    assert (watch["receipt"]["ack_user"], watch["receipt"]["ack_device"]) == (
        TEST_USER_KEY,
        "watch",
    )
    assert (group["receipt"]["ack_user"], group["receipt"]["ack_device"]) == (
        TEST_GROUP_MEMBERS[0],
        TEST_DEVICES[0],
    )


# Attachments


async def test_attachment_is_served_with_its_type(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """The image comes back as sent, typed, and sandboxed when opened alone."""
    form = aiohttp.FormData(
        {"token": TEST_APP_TOKEN, "user": TEST_USER_KEY, "message": "Snapshot"}
    )
    form.add_field("attachment", PNG, filename="snap.png", content_type="image/png")
    answer = await post_message(session, simulator, form)
    [message] = (await view(session, simulator))["messages"]
    assert message["attachment_url"] == f"/_sim/attachments/{answer['request']}"
    assert message["attachment_type"] == "image/png"
    async with session.get(url(simulator, message["attachment_url"])) as response:
        assert response.status == 200
        assert response.content_type == "image/png"
        assert await response.read() == PNG
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    async with session.get(url(simulator, "/_sim/attachments/unknown")) as missing:
        assert missing.status == 404
    assert_not_counted_except_api(simulator, 1)


async def test_message_without_attachment_has_none(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """No attachment: no URL, and its request id does not serve one."""
    answer = await send(session, simulator)
    [message] = (await view(session, simulator))["messages"]
    assert message["attachment_url"] is None
    path = f"/_sim/attachments/{answer['request']}"
    async with session.get(url(simulator, path)) as response:
        assert response.status == 404


# Live updates


async def next_event(response: aiohttp.ClientResponse) -> Json:
    """Read the next Server-Sent Event with data; return its JSON (a `state`)."""
    name, data = "message", list[str]()
    async with asyncio.timeout(EVENT_TIMEOUT):
        while True:
            raw = await response.content.readline()
            if not raw:
                msg = "the event stream ended"
                raise EOFError(msg)
            line = raw.decode().rstrip("\n")
            if not line:
                if data:
                    assert name == "state"
                    event: Json = json.loads("\n".join(data))
                    return event
                name = "message"
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)


async def test_events_stream_every_change(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """State at once, then an event per change: message, faults, quota, ack."""
    async with session.get(url(simulator, "/_sim/events")) as stream:
        assert stream.status == 200
        assert stream.content_type == "text/event-stream"
        assert stream.headers["Cache-Control"] == "no-cache"
        first = await next_event(stream)
        assert first["messages"] == []
        await send(session, simulator, title="Live", message="<b>now</b>", html="1")
        event = await next_event(stream)
        [message] = event["messages"]
        assert (message["title"], message["html_safe"]) == ("Live", "<b>now</b>")
        await control(session, simulator, "POST", "/_sim/faults", {"delay": 0.5})
        assert (await next_event(stream))["faults"]["delay"] == 0.5
        await control(session, simulator, "DELETE", "/_sim/faults")
        assert (await next_event(stream))["faults"]["delay"] == 0
        await control(session, simulator, "POST", "/_sim/remaining", {"remaining": 3})
        assert (await next_event(stream))["quota"]["remaining"] == 3
        receipt = await send_emergency(session, simulator)
        pending = await next_event(stream)
        assert pending["messages"][0]["receipt"]["status"] == "pending"
        await simulator.acknowledge(receipt)
        acknowledged = await next_event(stream)
        assert acknowledged["messages"][0]["receipt"]["status"] == "acknowledged"


async def test_events_catch_silent_changes(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """Changes nobody announces (time passing, faults set from Python) still go out."""
    await send_emergency(session, simulator)
    async with session.get(url(simulator, "/_sim/events")) as stream:
        first = await next_event(stream)
        assert first["messages"][0]["receipt"]["retry_count"] == 1
        clock.now = START + 60
        second = await next_event(stream)
        assert second["messages"][0]["receipt"]["retry_count"] == 2
        simulator.faults.drop_next = 4
        assert (await next_event(stream))["faults"]["drop_next"] == 4


async def test_stop_ends_open_streams_quickly(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """An open event stream does not hold the simulator's shutdown."""
    async with session.get(url(simulator, "/_sim/events")) as stream:
        await next_event(stream)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await simulator.stop()
        assert loop.time() - started < 0.9
        assert await stream.content.read() == b""
    assert simulator.state._listeners == []


async def test_reset_clears_the_phone(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """After /_sim/reset the feed is empty again."""
    await send(session, simulator)
    async with session.get(url(simulator, "/_sim/events")) as stream:
        assert len((await next_event(stream))["messages"]) == 1
        status, _ = await control(session, simulator, "POST", "/_sim/reset")
        assert status == 200
        assert (await next_event(stream))["messages"] == []


# The inbox: Open Client devices beside the delivered messages


async def test_page_has_the_inbox_panel_and_push_buttons(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """The panel, its six push buttons and the script that drives them."""
    async with session.get(url(simulator, "/")) as response:
        page = await response.text()
    async with session.get(url(simulator, "/_sim/static/phone.js")) as response:
        script = await response.text()
    for testid in ("inbox-panel", "inbox-list", "inbox-empty"):
        assert f'data-testid="{testid}"' in page
    for action in ("drop", "reload", "error", "elsewhere", "silence", "resume"):
        assert f'data-action="push-{action}"' in page
        assert f'"push-{action}": ["{action}",' in script
    assert '"/_sim/push"' in script
    for testid in ("inbox-device", "inbox-message", "inbox-session"):
        assert f'testid: "{testid}"' in script


async def test_view_shows_inbox_devices_with_their_pending_messages(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """Each device: push session, licence, pending messages newest first."""
    assert (await view(session, simulator))["inbox"] == []
    client = await new_client(session, simulator)
    member = await new_client(
        session, simulator, "pager2", TEST_NO_DESKTOP_EMAIL, TEST_NO_DESKTOP_PASSWORD
    )
    await send(session, simulator, title="First", message="one")
    await send(session, simulator, message="two", priority="1")
    socket = await connect(session, simulator, client)
    inbox, trial = (await view(session, simulator))["inbox"]
    assert {k: inbox[k] for k in ("id", "name", "user", "session", "receiving")} == {
        "id": client.device_id,
        "name": "inbox",
        "user": TEST_USER_KEY,
        "session": "connected",
        "receiving": True,
    }
    assert (inbox["trial_ends_at"], inbox["total_pending"]) == (None, 2)
    assert inbox["pending"] == [
        {
            "id": 2,
            "title": None,
            "message": "two",
            "app": "Pushover Plus Test",
            "priority": 1,
            "date": int(START),
            "acked": 0,
        },
        {
            "id": 1,
            "title": "First",
            "message": "one",
            "app": "Pushover Plus Test",
            "priority": 0,
            "date": int(START),
            "acked": 0,
        },
    ]
    assert (trial["id"], trial["session"], trial["total_pending"]) == (
        member.device_id,
        "none",
        0,
    )
    assert trial["trial_ends_at"] == START + DESKTOP_TRIAL_SECONDS
    simulator.push.act("silence")
    assert (await view(session, simulator))["inbox"][0]["session"] == "silent"
    await delete_through(session, simulator, client, 2)
    assert (await view(session, simulator))["inbox"][0]["pending"] == []
    clock.now = START + DESKTOP_TRIAL_SECONDS
    assert (await view(session, simulator))["inbox"][1]["receiving"] is False
    await socket.close()


async def test_view_lists_the_logins_with_the_current_two_factor_code(
    simulator: PushoverSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """The credentials panel shows each login; the 2FA code follows the clock."""
    logins = (await view(session, simulator))["account"]["logins"]
    assert logins == [
        {
            "email": TEST_EMAIL,
            "password": TEST_PASSWORD,
            "user": TEST_USER_KEY,
            "desktop": True,
            "twofa_code": None,
        },
        {
            "email": TEST_TWOFA_EMAIL,
            "password": TEST_TWOFA_PASSWORD,
            "user": TEST_SECOND_USER_KEY,
            "desktop": True,
            "twofa_code": simulator.twofa_code(TEST_TWOFA_EMAIL),
        },
        {
            "email": TEST_NO_DESKTOP_EMAIL,
            "password": TEST_NO_DESKTOP_PASSWORD,
            "user": TEST_GROUP_MEMBER_KEY,
            "desktop": False,
            "twofa_code": None,
        },
        {
            "email": TEST_NO_DEVICE_EMAIL,
            "password": TEST_NO_DEVICE_PASSWORD,
            "user": TEST_NO_DEVICE_USER_KEY,
            "desktop": False,
            "twofa_code": None,
        },
    ]
    clock.now = START + 30
    code = (await view(session, simulator))["account"]["logins"][1]["twofa_code"]
    assert code == simulator.twofa_code(TEST_TWOFA_EMAIL) != logins[1]["twofa_code"]


async def test_events_follow_the_inbox(
    simulator: PushoverSimulator, session: aiohttp.ClientSession
) -> None:
    """Registering, a push session starting and a delete each send an event."""
    async with session.get(url(simulator, "/_sim/events")) as stream:
        assert (await next_event(stream))["inbox"] == []
        client = await new_client(session, simulator)
        while not (event := await next_event(stream))["inbox"]:
            continue
        assert event["inbox"][0]["session"] == "none"
        socket = await connect(session, simulator, client)
        assert (await next_event(stream))["inbox"][0]["session"] == "connected"
        await socket.close()
        assert (await next_event(stream))["inbox"][0]["session"] == "none"


def test_banner_prints_the_logins_and_the_push_url() -> None:
    """`python -m pushover_simulator` names every login and the WebSocket."""
    text = _banner("http://h:1/1/", "http://h:1/", "ws://h:1/push")
    assert "ws://h:1/push" in text
    for email, password in (
        (TEST_EMAIL, TEST_PASSWORD),
        (TEST_TWOFA_EMAIL, TEST_TWOFA_PASSWORD),
        (TEST_NO_DESKTOP_EMAIL, TEST_NO_DESKTOP_PASSWORD),
        (TEST_NO_DEVICE_EMAIL, TEST_NO_DEVICE_PASSWORD),
    ):
        assert f"{email} / {password}" in text
    assert f"user key:      {TEST_USER_KEY}" in text


def test_banner_prints_the_encryption_keys_and_subscription_pages() -> None:
    """The keys to enter in an app, and each subscription's page."""
    text = _banner("http://h:1/1/", "http://h:1/", "ws://h:1/push")
    assert TEST_ENCRYPTION_KEY in text
    assert TEST_SECOND_ENCRYPTION_KEY in text
    assert f"http://h:1/subscribe/{TEST_SUBSCRIPTION_CODE}?success=" in text
    assert f"http://h:1/subscribe/{TEST_GROUP_SUBSCRIPTION_CODE} " in text
    assert TEST_SUBSCRIBERS_GROUP_KEY in text
