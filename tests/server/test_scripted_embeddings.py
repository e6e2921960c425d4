"""``respond.embedding``: stubs script the vectors of ``POST /v1/embeddings``, through the
official client over a socket (sync and async)."""

from __future__ import annotations

import base64
import itertools
import math
import struct
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockgpt import ServerConfig
from mockgpt.scenarios import Scenario, load_scenario
from mockgpt.server import MockServer
from tests.support import Api, examples

MODEL = "text-embedding-3-small"


@pytest.fixture(scope="module")
def emb_server() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0)) as server:
        yield server


@pytest.fixture
def stub(emb_server: MockServer) -> Iterator[Callable[..., None]]:
    """``stub(embedding, **match)``: one stub answering embeddings with that script."""

    def add(embedding: dict[str, Any], **match: Any) -> None:
        stubs = [{"id": "vectors", "match": {"endpoint": "embeddings", **match}}]
        stubs[0]["respond"] = {"embedding": embedding}
        emb_server.engine.registry.add(Scenario.model_validate({"name": "t", "stubs": stubs}))

    emb_server.engine.reset()
    yield add
    emb_server.engine.reset()
    errors = list(emb_server.engine.errors)
    emb_server.engine.errors.clear()
    assert not errors, errors


@pytest.fixture
def api(api_for: Callable[..., Api], emb_server: MockServer) -> Api:
    return api_for(emb_server)


def _vectors(api: Api, texts: list[str], **kwargs: Any) -> list[list[float]]:
    response = api.embed(model=MODEL, input=texts, encoding_format="float", **kwargs)
    return [list(item.embedding) for item in response.data]


def _f32(values: list[float]) -> list[float]:
    return list(struct.unpack(f"<{len(values)}f", struct.pack(f"<{len(values)}f", *values)))


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.hypot(*a) / math.hypot(*b)


def test_scripted_embeddings_fixed_vectors_by_text(
    stub: Callable[..., None], api: Api, server: MockServer
) -> None:
    """Listed texts get their vectors; the others their usual vector, at the same length."""
    stub({"vectors": {"a cat": [0.6, 0.8, 0.0], "a dog": [0, 0, 1]}})
    with openai.OpenAI(base_url=server.base_url, api_key="x") as plain:
        usual = plain.embeddings.create(model=MODEL, input="a bird", dimensions=3)

    vectors = _vectors(api, ["a dog", "a bird", "a cat"])
    decoded = [list(item.embedding) for item in api.embed(model=MODEL, input=["a cat"]).data]

    assert vectors == [[0.0, 0.0, 1.0], usual.data[0].embedding, _f32([0.6, 0.8, 0.0])]
    assert decoded == [_f32([0.6, 0.8, 0.0])]


def test_scripted_embeddings_fixed_vectors_by_position(stub: Callable[..., None], api: Api) -> None:
    stub({"vectors": [[1, 0], [0.5, -0.5]]})

    assert _vectors(api, ["x", "y"]) == [[1.0, 0.0], [0.5, -0.5]]
    with pytest.raises(openai.InternalServerError) as caught:
        _vectors(api, ["only one"])
    assert caught.value.status_code == 500
    assert "stub vectors: respond.embedding.vectors lists 2 vector(s)" in caught.value.message
    assert "the request has 1 input(s)" in caught.value.message


def test_scripted_embeddings_dimensions_shortens_fixed_vectors(
    stub: Callable[..., None], api: Api
) -> None:
    stub({"vectors": {"a": [3, 4, 12]}})

    assert _vectors(api, ["a"]) == [[3.0, 4.0, 12.0]]
    assert _vectors(api, ["a"], dimensions=2) == [_f32([0.6, 0.8])]
    with pytest.raises(openai.BadRequestError) as caught:
        _vectors(api, ["a"], dimensions=4)
    assert caught.value.param == "dimensions"
    assert "The vectors of stub vectors have 3 dimensions" in caught.value.message


def test_scripted_embeddings_keys_make_texts_near(
    stub: Callable[..., None], api: Api, server: MockServer
) -> None:
    stub(
        {
            "keys": {
                "cats": {"regex": r"\b(cat|kitten)s?\b", "ignore_case": True},
                "dogs": ["dog", {"equals": "puppy"}],
            }
        }
    )
    texts = ["Cats purr", "a kitten", "a dog barks", "puppy", "weather today"]
    with openai.OpenAI(base_url=server.base_url, api_key="x") as plain:
        usual = plain.embeddings.create(model=MODEL, input="weather today")

    cats, kitten, dog, puppy, other = _vectors(api, texts)

    assert _cos(cats, kitten) > 0.99
    assert _cos(dog, puppy) > 0.99
    assert cats != kitten
    assert max(abs(_cos(c, d)) for c in (cats, kitten) for d in (dog, puppy)) < 0.1
    assert other == usual.data[0].embedding
    assert len(cats) == 1536
    assert math.hypot(*cats) == pytest.approx(1.0, abs=1e-6)


def test_scripted_embeddings_key_for_every_input_and_by_match(
    stub: Callable[..., None], api: Api
) -> None:
    """``key`` answers every input the stub's request matched; texts keep their order."""
    stub({"key": "refunds", "vectors": {"exact": [1.0] * 1536}}, last_user="refund")

    fixed, first, second = _vectors(api, ["exact", "How do refunds work?", "refund policy"])
    unrelated = _vectors(api, ["refund", "shipping"])  # `last_user` is the last input

    assert _cos(first, second) > 0.99
    assert fixed == [1.0] * 1536
    assert abs(_cos(unrelated[0], unrelated[1])) < 0.1
    assert abs(_cos(first, unrelated[0])) < 0.1


def test_scripted_embeddings_builtin_rag_scenario(
    stub: Callable[..., None], api: Api, emb_server: MockServer
) -> None:
    """The built-in ``rag`` scenario: texts about cats near each other, far from dogs'."""
    emb_server.engine.registry.add(load_scenario("rag"))

    cat, kittens, dog = _vectors(api, ["My cat sleeps", "Kittens play", "The dog barks"])

    assert _cos(cat, kittens) > 0.99
    assert abs(_cos(cat, dog)) < 0.1


_texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    names=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=4, unique=True),
    picks=st.dictionaries(_texts, st.integers(0, 3), min_size=2, max_size=6),
    dimensions=st.none() | st.integers(1, 1536),
)
def test_scripted_embeddings_key_property(
    api: Api,
    emb_server: MockServer,
    names: list[str],
    picks: dict[str, int],
    dimensions: int | None,
) -> None:
    """Same key: cos > 0.99; different keys at the default length: |cos| < 0.1; the length is
    ``dimensions``; base64 decodes to the very same floats."""
    keyed = {text: names[pick % len(names)] for text, pick in picks.items()}
    emb_server.engine.reset()
    keys: dict[str, Any] = {}
    for text, key in keyed.items():
        keys.setdefault(key, []).append({"equals": text})
    stub_ = {"keys": keys}
    emb_server.engine.registry.add(
        Scenario.model_validate({"name": "p", "stubs": [{"respond": {"embedding": stub_}}]})
    )
    texts = list(keyed)
    options: dict[str, Any] = {} if dimensions is None else {"dimensions": dimensions}

    floats = _vectors(api, texts, **options)
    raw = api.embed(model=MODEL, input=texts, encoding_format="base64", **options)

    length = dimensions or 1536
    assert [len(v) for v in floats] == [length] * len(texts)
    for item, vector in zip(raw.data, floats, strict=True):
        assert isinstance(item.embedding, str)
        assert list(struct.unpack(f"<{length}f", base64.b64decode(item.embedding))) == vector
    for i, j in itertools.combinations(range(len(texts)), 2):
        similarity = _cos(floats[i], floats[j])
        if keyed[texts[i]] == keyed[texts[j]]:
            assert similarity > 0.99
        elif dimensions is None:
            assert abs(similarity) < 0.1
