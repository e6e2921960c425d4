"""``POST /v1/images/generations`` and the image URLs mockgpt serves, through the official
client over a socket (sync and async)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from mockgpt.server import MockServer
from mockgpt.testing.calls import Call
from tests.media.pngs import read_png


def _png(item: Any) -> Any:
    return read_png(base64.b64decode(item.b64_json))


def test_images_b64_json_is_a_png_of_the_size_asked(call: Callable[..., Any]) -> None:
    answer = call(
        lambda c: c.images.generate(
            prompt="a red fox", size="256x256", n=2, response_format="b64_json"
        )
    )

    assert len(answer.data) == 2
    first, second = (_png(item) for item in answer.data)
    assert (first.width, first.height) == (256, 256)
    assert first.pixel(10, 200) != second.pixel(10, 200)  # one colour per image
    assert answer.data[0].url is None
    assert answer.data[0].revised_prompt is None
    assert answer.usage is None


def test_images_larger_sizes_are_scaled_down_keeping_their_shape(client: openai.OpenAI) -> None:
    answer = client.images.generate(prompt="a tower", size="1024x1536", response_format="b64_json")

    image = _png(answer.data[0])
    assert (image.width, image.height) == (170, 256)


def test_images_url_is_served_by_mockgpt_until_reset(
    call: Callable[..., Any], server: MockServer
) -> None:
    answer = call(lambda c: c.images.generate(prompt="a lighthouse", model="dall-e-2"))

    url = answer.data[0].url
    assert url.startswith(server.base_url + "/images/files/img-")
    fetched = httpx.get(url)
    assert fetched.headers["content-type"] == "image/png"
    image = read_png(fetched.content)
    assert (image.width, image.height) == (256, 256)
    server.engine.reset()
    assert httpx.get(url).status_code == 404


def test_images_gpt_image_models_answer_b64_with_usage(call: Callable[..., Any]) -> None:
    answer = call(lambda c: c.images.generate(prompt="a robot", model="gpt-image-1", quality="low"))

    assert answer.data[0].b64_json
    assert answer.data[0].url is None
    assert _png(answer.data[0]).width == 256
    assert answer.usage.output_tokens == 272
    assert answer.usage.input_tokens == answer.usage.input_tokens_details.text_tokens > 0
    assert answer.usage.total_tokens == answer.usage.input_tokens + 272
    assert (answer.size, answer.output_format, answer.quality) == ("1024x1024", "png", "low")


def test_images_dall_e_3_revises_the_prompt(client: openai.OpenAI) -> None:
    answer = client.images.generate(prompt="a bridge", model="dall-e-3")

    assert answer.data[0].revised_prompt == "a bridge"
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(prompt="a bridge", model="dall-e-3", n=2)
    assert caught.value.body["param"] == "n"  # type: ignore[index]


def test_images_equal_requests_give_equal_bytes(client: openai.OpenAI) -> None:
    def once(prompt: str) -> str:
        answer = client.images.generate(prompt=prompt, response_format="b64_json")
        return str(answer.data[0].b64_json)

    assert once("a boat") == once("a boat")
    assert once("a boat") != once("a car")


def test_images_stub_chooses_colour_and_revised_prompt(
    stub: Callable[..., None], call: Callable[..., Any], entries: Callable[[], list[Call]]
) -> None:
    stub(
        {
            "id": "green",
            "match": {"endpoint": "images", "last_user": {"contains": "forest"}},
            "respond": {"image": {"color": "#00ff00", "revised_prompt": "a green forest"}},
        }
    )
    answer = call(
        lambda c: c.images.generate(prompt="a forest", size="64x32", response_format="b64_json")
    )

    image = _png(answer.data[0])
    assert (image.width, image.height) == (64, 32)
    assert image.pixel(60, 0) == (0, 255, 0)
    assert answer.data[0].revised_prompt == "a green forest"
    [entry] = entries()
    assert (entry.endpoint, entry.entry.stub) == ("images", "green")


def test_images_stub_error_and_fault(stub: Callable[..., None], call: Callable[..., Any]) -> None:
    stub(
        {
            "match": {"endpoint": "images", "last_user": "policy"},
            "respond": {
                "error": {
                    "status": 400,
                    "message": "Your request was rejected by the safety system.",
                    "code": "content_policy_violation",
                }
            },
        },
        {
            "match": {"endpoint": "images", "last_user": "slow"},
            "fault": {"http_error": {"status": 429, "message": "slow down"}},
        },
    )

    with pytest.raises(openai.BadRequestError) as caught:
        call(lambda c: c.images.generate(prompt="policy"))
    assert caught.value.code == "content_policy_violation"
    with pytest.raises(openai.RateLimitError):
        call(lambda c: c.images.generate(prompt="slow"))


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "prompt"),
        ({"prompt": "x", "n": 11}, "n"),
        ({"prompt": "x", "size": "big"}, "size"),
        ({"prompt": "x", "response_format": "gif"}, "response_format"),
    ],
)
def test_images_invalid_body_is_400(server: MockServer, body: dict[str, Any], param: str) -> None:
    response = httpx.post(f"{server.base_url}/images/generations", json=body)

    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_images_unknown_file_is_404(server: MockServer) -> None:
    response = httpx.get(f"{server.base_url}/images/files/img-nothing.png")

    assert response.status_code == 404
    assert response.json()["error"]["message"]
