"""One bad request must never hurt the server or its other clients (issue 12 regressions).

The admin lock, foreign hosts and origins, bounded journal, errors and stored objects, the
answer-size bound, the body timeout, a client gone mid-upload, and inputs that used to 500.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable

import httpx
import pytest

from mockgpt import ServerConfig
from mockgpt.app import create_app
from mockgpt.server import MockServer
from mockgpt.state import MAX_ERRORS, ServerState
from tests.support import USER, InProcess, assert_envelope

CHAT = "/v1/chat/completions"
OK = {"model": "gpt-4o-mini", "messages": USER}

MakeAsgi = Callable[..., InProcess]


# -- the admin lock ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "token"),
    [({"api_key": "sk-k"}, "sk-k"), ({"api_key": "sk-k", "admin_token": "adm"}, "adm")],
    ids=["api-key", "admin-token"],
)
def test_admin_routes_need_the_admin_token(
    make_asgi: MakeAsgi, settings: dict[str, str], token: str
) -> None:
    asgi = make_asgi(**settings)

    for method, path in [("GET", "/_mockgpt/journal"), ("POST", "/_mockgpt/reset")]:
        refused = asgi.request(method, path)
        wrong = asgi.request(method, path, headers={"authorization": "Bearer nope"})
        allowed = asgi.request(method, path, headers={"authorization": f"Bearer {token}"})
        assert assert_envelope(refused, 401, param=None)["code"] == "invalid_api_key"
        assert wrong.status_code == 401
        assert allowed.status_code == 200
    assert asgi.request("GET", "/health").status_code == 200  # probes need no key


def test_admin_token_is_not_the_api_key(make_asgi: MakeAsgi) -> None:
    asgi = make_asgi(api_key="sk-k", admin_token="adm")

    response = asgi.request("GET", "/_mockgpt/journal", headers={"authorization": "Bearer sk-k"})

    assert response.status_code == 401


def test_admin_reset_from_a_foreign_web_page_is_refused(asgi: InProcess) -> None:
    asgi.post(CHAT, OK)
    simple = {"content-type": "text/plain", "origin": "https://evil.example"}

    refused = asgi.request("POST", "/_mockgpt/reset", content=b"{}", headers=simple)
    local = asgi.request(
        "POST", "/_mockgpt/reset", content=b"{}", headers={"origin": "http://localhost:5173"}
    )

    assert assert_envelope(refused, 403, param=None)["code"] == "foreign_origin"
    assert local.status_code == 200


def test_foreign_host_is_refused(asgi: InProcess) -> None:
    """DNS rebinding: a page served as evil.example that resolves to 127.0.0.1."""
    refused = asgi.request("POST", CHAT, json_body=OK, headers={"host": "evil.example"})
    loopback = asgi.request("POST", CHAT, json_body=OK, headers={"host": "127.0.0.1:8000"})
    ipv6 = asgi.request("POST", CHAT, json_body=OK, headers={"host": "[::1]:8000"})

    assert assert_envelope(refused, 403, param=None)["code"] == "invalid_host"
    assert "--allowed-host" in refused.json()["error"]["message"]
    assert (loopback.status_code, ipv6.status_code) == (200, 200)


def test_allowed_host_and_all_interfaces_serve_other_names(make_asgi: MakeAsgi) -> None:
    named = make_asgi(allowed_hosts=("mock.internal",))
    everywhere = make_asgi(host="0.0.0.0")

    for client in (named, everywhere):
        answer = client.request("POST", CHAT, json_body=OK, headers={"host": "mock.internal"})
        assert answer.status_code == 200


def test_journal_masks_every_credential_header(asgi: InProcess) -> None:
    secrets = {
        "authorization": "Bearer sk-secret",
        "api-key": "azure-secret",
        "x-api-key": "anthropic-secret",
        "cookie": "session=secret",
        "proxy-authorization": "Basic secret",
    }
    asgi.request("POST", CHAT, json_body=OK, headers=secrets)

    journal = asgi.request("GET", "/_mockgpt/journal").text

    assert "secret" not in journal
    headers = json.loads(journal)["data"][-1]["headers"]
    assert headers["authorization"] == "Bearer ***"
    assert {headers[k] for k in secrets if k != "authorization"} == {"***"}


def test_config_repr_shows_no_secret() -> None:
    config = ServerConfig(api_key="sk-secret", admin_token="adm-secret", upstream_api_key="up")

    assert "secret" not in repr(config)
    assert "'up'" not in repr(config)


# -- bounded state ----------------------------------------------------------------------------


def test_journal_keeps_at_most_journal_body_bytes_of_each_body(make_asgi: MakeAsgi) -> None:
    asgi = make_asgi(journal_body_bytes=100)
    prompt = "word " * 200

    answer = asgi.post(CHAT, {"model": "m", "messages": [{"role": "user", "content": prompt}]})

    assert answer.status_code == 200
    assert prompt.strip() in answer.text  # the client got the whole answer
    [entry] = json.loads(asgi.request("GET", "/_mockgpt/journal").text)["data"]
    assert len(entry["body"]) == 100
    assert len(entry["response_body"]) == 100
    assert entry["truncated"] == ["body", "response_body"]


def test_journal_keeps_at_most_journal_bytes_in_all(make_asgi: MakeAsgi) -> None:
    asgi = make_asgi(journal_bytes=3000)
    prompts = [f"{index} " + "word " * 100 for index in range(6)]

    for prompt in prompts:
        asgi.post(CHAT, {"model": "m", "messages": [{"role": "user", "content": prompt}]})

    kept = json.loads(asgi.request("GET", "/_mockgpt/journal").text)["data"]
    assert 1 <= len(kept) < len(prompts)
    assert sum(len(e["body"]) + len(e["response_body"]) for e in kept) <= 3000
    assert prompts[-1].strip() in kept[-1]["body"]  # the newest stays, the oldest went


def test_journal_size_zero_turns_the_journal_off(make_asgi: MakeAsgi) -> None:
    asgi = make_asgi(journal_size=0)

    assert asgi.post(CHAT, OK).status_code == 200
    assert json.loads(asgi.request("GET", "/_mockgpt/journal").text)["data"] == []


def test_stored_responses_are_bounded(make_asgi: MakeAsgi) -> None:
    asgi = make_asgi(max_stored=2)
    ids = [asgi.post("/v1/responses", {"model": "m", "input": "hi"}).json()["id"] for _ in range(3)]

    oldest = asgi.request("GET", f"/v1/responses/{ids[0]}")

    assert oldest.status_code == 404
    assert ids[0] in oldest.json()["error"]["message"]
    assert [asgi.request("GET", f"/v1/responses/{i}").status_code for i in ids[1:]] == [200, 200]


def test_stored_assistants_are_bounded(make_asgi: MakeAsgi) -> None:
    asgi = make_asgi(max_stored=2)
    made = [asgi.post("/v1/assistants", {"model": "m"}).json()["id"] for _ in range(3)]

    listed = asgi.request("GET", "/v1/assistants?order=asc").json()["data"]

    assert [a["id"] for a in listed] == made[1:]
    assert asgi.request("GET", f"/v1/assistants/{made[0]}").status_code == 404


def test_errors_are_bounded_and_keep_no_frames() -> None:
    state = ServerState(10)
    for index in range(MAX_ERRORS + 5):
        try:
            raise RuntimeError(f"boom {index}")
        except RuntimeError as exc:
            state.record_error(exc, f"req_{index}")

    assert len(state.errors) == MAX_ERRORS
    assert str(state.errors[0]) == "boom 5"
    assert all(e.__traceback__ is None for e in state.errors)
    assert "req_5" in "".join(getattr(state.errors[0], "__notes__", ["req_5"]))


def test_n_times_the_request_is_bounded(make_asgi: MakeAsgi) -> None:
    asgi = make_asgi(max_answer_bytes=10_000)
    body = {"model": "m", "messages": [{"role": "user", "content": "x " * 1000}], "n": 8}

    answer = asgi.post(CHAT, body)
    one = asgi.post(CHAT, {**body, "n": 1})

    assert assert_envelope(answer, 400, param="n")["message"].startswith("Invalid 'n'")
    assert one.status_code == 200


# -- inputs that used to 500 ------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["²", "٣", "1e3", "-", ""])
def test_assistants_list_limit_not_ascii_digits_is_400(asgi: InProcess, limit: str) -> None:
    response = asgi.request("GET", f"/v1/assistants?limit={limit}")

    assert assert_envelope(response, 400, param="limit")


def test_lone_surrogates_in_generate_and_compact_are_answered(asgi: InProcess) -> None:
    generate = asgi.request(
        "POST", "/api/generate", content=b'{"model": "m", "prompt": "a\\ud800b", "stream": false}'
    )
    compact = asgi.request(
        "POST", "/v1/responses/compact", content=b'{"model": "m", "input": "a\\ud800b"}'
    )

    assert generate.status_code == 200
    assert compact.status_code == 200


def test_api_ps_survives_a_deeply_nested_body(make_asgi: MakeAsgi) -> None:
    asgi = make_asgi()
    deep = b'{"model": "m", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    asgi.request("POST", "/api/chat", content=deep)

    response = asgi.request("GET", "/api/ps")

    assert response.status_code == 200
    assert response.json() == {"models": []}


# -- slow and vanishing clients ---------------------------------------------------------------


def _raw_socket(server: MockServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def test_body_that_never_arrives_is_408() -> None:
    with MockServer(ServerConfig(port=0, body_timeout_s=0.2)) as server, _raw_socket(server) as s:
        s.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        answer = b""
        while chunk := s.recv(65536):  # until the server closes the connection
            answer += chunk

    assert answer.startswith(b"HTTP/1.1 408")
    assert b'"code":"request_timeout"' in answer


def test_client_abort_mid_upload_is_a_disconnect_not_a_bug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with MockServer(ServerConfig(port=0)) as server:
        with _raw_socket(server) as s:
            s.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
            )
            time.sleep(0.1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not server.engine.journal.entries()[-1:]:
            time.sleep(0.01)
        assert server.wait_idle(5)
        [entry] = server.engine.journal.entries()
        ok = httpx.post(f"{server.base_url}/chat/completions", json=OK)

    assert entry.disconnected
    assert entry.status == 0
    assert server.engine.errors == []
    assert "bug in mockgpt" not in caplog.text
    assert ok.status_code == 200


def test_app_factory_config_defaults_are_safe() -> None:
    config = ServerConfig()

    assert config.served_hosts is not None
    assert "evil.example" not in config.served_hosts
    assert create_app(config).engine.config.body_timeout_s > 0
