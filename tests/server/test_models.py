"""``GET /v1/models`` and ``GET /v1/models/{model}``, sync and async."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from openai import NotFoundError

from mockgpt import ServerConfig
from mockgpt.config import DEFAULT_MODELS
from mockgpt.server import MockServer
from tests.support import USER, Api

LISTED = ("org/name", "llama3:8b", "gpt-4o")


@pytest.fixture(scope="module")
def fixed_server() -> Iterator[MockServer]:
    """A server with a fixed model list (``--models``): other models get 404."""
    with MockServer(ServerConfig(port=0, models=LISTED, strict_models=True)) as server:
        yield server


def test_models_list_gives_the_default_models(api: Api) -> None:
    models = api.list_models()

    assert [m.id for m in models] == list(DEFAULT_MODELS)
    for model in models:
        assert model.object == "model"
        assert isinstance(model.created, int)
        assert isinstance(model.owned_by, str)


def test_models_retrieve_a_listed_model(api: Api) -> None:
    model = api.retrieve_model("gpt-4o")

    assert (model.id, model.object) == ("gpt-4o", "model")
    assert model in api.list_models()


@pytest.mark.parametrize("model_id", ["org/name", "llama3:8b"], ids=["slash", "colon"])
def test_models_ids_with_slash_or_colon_are_retrievable_when_listed(
    api_for: Callable[..., Api], fixed_server: MockServer, model_id: str
) -> None:
    api = api_for(fixed_server)

    assert [m.id for m in api.list_models()] == list(LISTED)
    assert api.retrieve_model(model_id).id == model_id


@pytest.mark.parametrize(
    "model_id", ["org/other", "llama3:70b", "nope"], ids=["slash", "colon", "plain"]
)
def test_models_retrieve_unknown_is_not_found(
    api_for: Callable[..., Api], fixed_server: MockServer, model_id: str
) -> None:
    api = api_for(fixed_server)

    with pytest.raises(NotFoundError) as caught:
        api.retrieve_model(model_id)

    assert caught.value.status_code == 404
    assert caught.value.code == "model_not_found"
    assert caught.value.param == "model"


def test_models_retrieve_unknown_on_default_server(api: Api) -> None:
    with pytest.raises(NotFoundError) as caught:
        api.retrieve_model("org/not-listed")

    assert caught.value.code == "model_not_found"


def test_models_fixed_list_refuses_unknown_model_in_chat(
    api_for: Callable[..., Api], fixed_server: MockServer
) -> None:
    api = api_for(fixed_server)

    with pytest.raises(NotFoundError) as caught:
        api.chat(model="gpt-4o-mini", messages=USER)

    assert caught.value.status_code == 404
    assert caught.value.code == "model_not_found"
    assert api.chat(model="org/name", messages=USER).choices[0].message.content == "blue giraffe"


def test_models_default_server_serves_any_model_name(api: Api) -> None:
    completion = api.chat(model="my-local/llama:3b", messages=USER)

    assert completion.model == "my-local/llama:3b"
