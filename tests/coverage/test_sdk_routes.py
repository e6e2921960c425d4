"""Reading the route of an SDK method from its source (``scripts/sdk_routes.py``)."""

from __future__ import annotations

import ast
import textwrap

import pytest
from sdk_routes import (
    WEBSOCKET,
    Route,
    SdkMethod,
    http_calls,
    path_of,
    sdk_methods,
    websocket_path,
)


def calls(source: str, self_name: str = "self") -> list[Route]:
    return http_calls(ast.parse(textwrap.dedent(source)), self_name)


def test_an_f_string_path_names_each_field_after_its_variable() -> None:
    source = """
        def retrieve(self, response_id, *, extra_headers=None):
            return self._get(f"/responses/{response_id}", options=make_request_options())
    """
    assert calls(source) == [Route("GET", "/responses/{response_id}")]


def test_a_path_template_call_gives_its_template() -> None:
    source = """
        def cancel(self, response_id):
            return self._post(
                path_template("/responses/{response_id}/cancel", response_id=response_id),
                cast_to=Response,
            )
    """
    assert calls(source) == [Route("POST", "/responses/{response_id}/cancel")]


def test_get_api_list_is_a_get_unless_its_method_says_otherwise() -> None:
    source = """
        def list(self):
            return self._get_api_list("/models", page=SyncPage[Model], model=Model)
        def search(self, vector_store_id):
            return self._get_api_list(
                f"/vector_stores/{vector_store_id}/search", page=Page, model=M, method="post"
            )
    """
    assert calls(source) == [
        Route("GET", "/models"),
        Route("POST", "/vector_stores/{vector_store_id}/search"),
    ]


@pytest.mark.parametrize(
    ("verb", "method"),
    [("_post", "POST"), ("_patch", "PATCH"), ("_put", "PUT"), ("_delete", "DELETE")],
)
def test_each_verb_gives_its_http_method(verb: str, method: str) -> None:
    assert calls(f"def f(self):\n    return self.{verb}('/things')") == [Route(method, "/things")]


def test_a_query_string_is_not_part_of_the_route() -> None:
    source = 'def create(self):\n    return self._post("/responses?beta=true", body=b)'
    assert calls(source) == [Route("POST", "/responses")]


def test_a_verb_handed_to_partial_is_a_call() -> None:
    source = """
        def runs_stream(resource, *, thread_id):
            make_request = partial(resource._post, f"/threads/{thread_id}/runs", body=b)
            return AssistantStreamManager(make_request)
    """
    assert calls(source, "resource") == [Route("POST", "/threads/{thread_id}/runs")]


def test_calls_on_other_objects_and_other_self_methods_are_not_http_calls() -> None:
    source = """
        def poll(self, run_id):
            self._sleep(1)
            other._post("/elsewhere")
            return self.retrieve(run_id)
    """
    assert calls(source) == []


def test_an_unreadable_path_is_a_question_mark() -> None:
    assert calls("def f(self, url):\n    return self._get(url)") == [Route("GET", "?")]


@pytest.mark.parametrize(
    ("expression", "path"),
    [
        ('"/files"', "/files"),
        ('b"/realtime"', "/realtime"),
        ('f"/files/{file_id}/content"', "/files/{file_id}/content"),
        ('f"/sessions/{self.__session_id}/attach"', "/sessions/{session_id}/attach"),
        ('path_template("/x/{id}", id=i).encode("utf-8")', "/x/{id}"),
        ('"/"', None),
        ('"files"', None),
        ("url", None),
    ],
)
def test_path_of(expression: str, path: str | None) -> None:
    assert path_of(ast.parse(expression, mode="eval").body) == path


class RealtimeConnectionManager:
    """Shaped as the SDK's: it appends the path to the WebSocket base URL."""

    def _prepare_url(self) -> bytes:
        base = b"wss://api.openai.com/v1"
        return base.rstrip(b"/") + b"/realtime"


def test_a_connection_managers_prepare_url_gives_the_websocket_path() -> None:
    assert websocket_path(RealtimeConnectionManager) == "/realtime"
    assert websocket_path(Route) is None


@pytest.fixture(scope="module")
def methods() -> dict[str, SdkMethod]:
    return sdk_methods()


def test_the_installed_sdk_is_read_method_by_method(methods: dict[str, SdkMethod]) -> None:
    assert methods["client.chat.completions.create"].routes == {Route("POST", "/chat/completions")}
    assert methods["client.responses.retrieve"].routes == {Route("GET", "/responses/{response_id}")}
    assert methods["client.models.list"].routes == {Route("GET", "/models")}
    assert methods["client.realtime.connect"].routes == {Route(WEBSOCKET, "/realtime")}
    assert list(methods) == sorted(methods)


def test_helpers_are_read_as_the_methods_they_call(methods: dict[str, SdkMethod]) -> None:
    stream = methods["client.chat.completions.stream"]
    assert (stream.routes, stream.uses) == (set(), {"client.chat.completions.create"})
    poll = methods["client.beta.threads.runs.create_and_poll"]  # a lib function given self
    assert poll.uses == {"client.beta.threads.runs.create", "client.beta.threads.runs.poll"}
    upload = methods["client.vector_stores.files.upload"]  # self._client.files.create
    assert upload.uses == {"client.files.create", "client.vector_stores.files.create"}
    verify = methods["client.webhooks.verify_signature"]
    assert (verify.routes, verify.uses) == (set(), set())


def test_raw_and_streaming_response_views_are_not_listed(methods: dict[str, SdkMethod]) -> None:
    assert [name for name in methods if ".with_" in name] == []
