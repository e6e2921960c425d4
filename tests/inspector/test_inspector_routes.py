"""The inspector's routes without a browser: the page and its files, their headers, the lock,
and that the package ships every file the page loads."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources

from mockgpt.routes.inspector import CONTENT_TYPES
from tests.support import InProcess, assert_envelope

MakeAsgi = Callable[..., InProcess]

STATIC = resources.files("mockgpt") / "static"


def test_inspector_page_is_served_as_html(asgi: InProcess) -> None:
    response = asgi.get("/_mockgpt/")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>mockgpt inspector</title>" in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_inspector_page_loads_only_its_own_files(asgi: InProcess) -> None:
    """Every script, style and module import names a file of the package (no CDN)."""
    page = asgi.get("/_mockgpt/").text
    wanted = set(re.findall(r'(?:src|href)="static/([^"]+)"', page))
    for name in list(wanted):
        wanted |= set(re.findall(r'from "\./([^"]+)"', (STATIC / name).read_text("utf-8")))
    assert {"inspector.js", "inspector.css", "api.js", "requests.js"} <= wanted

    for name in sorted(wanted):
        response = asgi.get(f"/_mockgpt/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"] == CONTENT_TYPES[name[name.rfind(".") :]]
    assert "http://" not in page.replace("http://127.0.0.1", "")
    assert "https://" not in page


def test_inspector_serves_no_other_file(asgi: InProcess) -> None:
    unknown = asgi.get("/_mockgpt/static/nope.js")
    outside = asgi.get("/_mockgpt/static/..%2F..%2Fapp.py")
    python = asgi.get("/_mockgpt/static/__init__.py")

    message = assert_envelope(unknown, 404, param=None)["message"]
    assert "'nope.js'" in message
    assert "inspector.js" in message
    assert_envelope(outside, 404, param=None)
    assert_envelope(python, 404, param=None)


def test_inspector_page_needs_no_token_but_its_data_does(make_asgi: MakeAsgi) -> None:
    """The page holds no data: it opens in a browser, then asks for the admin token."""
    asgi = make_asgi(api_key="sk-key-7f3a", admin_token="adm-token-91c2")

    page = asgi.get("/_mockgpt/")
    script = asgi.get("/_mockgpt/static/inspector.js")
    journal = asgi.get("/_mockgpt/journal")
    unlocked = asgi.get("/_mockgpt/journal", headers={"authorization": "Bearer adm-token-91c2"})
    foreign = asgi.get("/_mockgpt/", headers={"host": "evil.example"})

    assert (page.status_code, script.status_code) == (200, 200)
    assert "adm-token-91c2" not in page.text
    assert "sk-key-7f3a" not in page.text
    assert assert_envelope(journal, 401, param=None)["code"] == "invalid_api_key"
    assert unlocked.status_code == 200
    assert unlocked.json()["data"] == []  # the page and its files are not journalled
    assert assert_envelope(foreign, 403, param=None)["code"] == "invalid_host"


def test_inspector_page_names_the_servers_test_header(make_asgi: MakeAsgi) -> None:
    named = make_asgi(test_header="X-Worker-Id").get("/_mockgpt/")
    default = make_asgi().get("/_mockgpt/")

    assert '<meta name="mockgpt-test-header" content="X-Worker-Id" />' in named.text
    assert '<meta name="mockgpt-test-header" content="X-Mockgpt-Test" />' in default.text
    assert named.headers["content-length"] == str(len(named.content))
