"""``POST /v1/embeddings`` through the official client, sync and async."""

from __future__ import annotations

import base64
import math
import struct

import pytest
from openai import BadRequestError

from tests.support import Api, InProcess

MODEL = "text-embedding-3-small"


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(v * v for v in vector))


def test_embedding_default_is_base64_decoded_by_the_client(api: Api, asgi: InProcess) -> None:
    """The client sends ``encoding_format: base64`` when none is given and decodes it."""
    response = api.embed(model=MODEL, input="blue giraffe")
    raw = asgi.post(
        "/v1/embeddings", {"model": MODEL, "input": "blue giraffe", "encoding_format": "base64"}
    )

    assert response.object == "list"
    assert response.model == MODEL
    [item] = response.data
    assert item.object == "embedding"
    assert item.index == 0
    assert len(item.embedding) == 1536
    assert all(isinstance(v, float) for v in item.embedding)
    encoded = raw.json()["data"][0]["embedding"]
    assert isinstance(encoded, str)
    assert list(struct.unpack("<1536f", base64.b64decode(encoded))) == item.embedding
    assert response.usage.prompt_tokens == response.usage.total_tokens == 2


def test_embedding_float_and_base64_give_the_same_numbers(api: Api) -> None:
    as_float = api.embed(model=MODEL, input="blue giraffe", encoding_format="float")
    as_base64 = api.embed(model=MODEL, input="blue giraffe")

    assert as_float.data[0].embedding == as_base64.data[0].embedding


def test_embedding_is_deterministic_and_unit_length(api: Api) -> None:
    first = api.embed(model=MODEL, input="blue giraffe").data[0].embedding
    again = api.embed(model=MODEL, input="blue giraffe").data[0].embedding
    other = api.embed(model=MODEL, input="red zebra").data[0].embedding

    assert first == again
    assert first != other
    assert _norm(first) == pytest.approx(1.0, abs=1e-5)
    assert _norm(other) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("encoding_format", ["float", "base64"])
def test_embedding_dimensions_shortens_the_vector(api: Api, encoding_format: str) -> None:
    response = api.embed(
        model=MODEL, input="blue giraffe", dimensions=256, encoding_format=encoding_format
    )

    vector = response.data[0].embedding
    if encoding_format == "base64":
        assert isinstance(vector, str)
        vector = list(struct.unpack("<256f", base64.b64decode(vector)))
    assert len(vector) == 256
    assert _norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_embedding_dimensions_above_the_model_is_rejected(api: Api) -> None:
    with pytest.raises(BadRequestError) as caught:
        api.embed(model=MODEL, input="blue giraffe", dimensions=4096)

    assert caught.value.status_code == 400
    assert caught.value.param == "dimensions"


def test_embedding_list_input_keeps_order(api: Api) -> None:
    texts = ["alpha", "beta", "gamma", "alpha"]

    batch = api.embed(model=MODEL, input=texts, encoding_format="float")
    single = [api.embed(model=MODEL, input=t, encoding_format="float") for t in texts]

    assert [item.index for item in batch.data] == [0, 1, 2, 3]
    assert [item.embedding for item in batch.data] == [r.data[0].embedding for r in single]
    assert batch.data[0].embedding == batch.data[3].embedding
    assert batch.data[0].embedding != batch.data[1].embedding


def test_embedding_model_sets_the_native_length(api: Api) -> None:
    large = api.embed(model="text-embedding-3-large", input="x", encoding_format="float")

    assert len(large.data[0].embedding) == 3072


def test_embedding_token_id_inputs(api: Api) -> None:
    response = api.embed(model=MODEL, input=[[1, 2, 3], [4]], encoding_format="float")

    assert [item.index for item in response.data] == [0, 1]
    assert response.usage.prompt_tokens == 4
