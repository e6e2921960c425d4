"""``POST /v1/images/generations``: small deterministic PNGs; ``GET /v1/images/files/{name}``.

Each image is one colour (a hash of the prompt and the image's index, or the stub's
``respond.image.color``) with a darker diagonal stripe, of the requested ``size`` scaled
down to at most 256 pixels a side (``mockgpt.render.images.MAX_SIDE``). ``response_format:
url`` gives URLs of mockgpt's own (the last ``MAX_IMAGES`` kept in memory, forgotten by a
reset); GPT image models (``gpt-image-*``) always answer ``b64_json`` with ``usage``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.engine import Reply
from mockgpt.errors import RequestRejected
from mockgpt.http.send import ReplySender
from mockgpt.ids import new_hex
from mockgpt.models import validate_request
from mockgpt.models.media import CreateImageRequest
from mockgpt.render.images import (
    DEFAULT_SIZE,
    color_of,
    drawn_size,
    gpt_image_fields,
    image_item,
    images_response,
    images_usage,
    parse_color,
    png,
)
from mockgpt.routes.common import engine_of, now, read_json, serve
from mockgpt.routes.media import MediaWire, media_turn
from mockgpt.sse import dumps
from mockgpt.state import ServerState
from mockgpt.tokens import count_tokens
from mockgpt.types import JSONObject, JSONValue

IMAGE_TOKENS = {"low": 272, "medium": 1056, "high": 4160}
"""``usage.output_tokens`` per image of a GPT image model by ``quality`` (``auto``: medium)."""


def is_gpt_image(model: str) -> bool:
    """Whether ``model`` is a GPT image model (always ``b64_json``, with ``usage``)."""
    return model.startswith(("gpt-image", "chatgpt-image"))


async def create_image(request: Request) -> ReplySender:
    """Answer an image generation (spec: ``POST /images/generations``).

    ``n`` images (1-10) of ``size`` (``WxH`` or ``auto``: 1024x1024), as ``b64_json`` or
    ``url`` (the default of DALL·E models). ``revised_prompt`` comes with ``dall-e-3`` (the
    prompt) or from the stub. A stub matches with ``match: {endpoint: images}``
    (``last_user`` is the prompt) and scripts ``respond.image`` or an error.

    Raises:
        RequestRejected: 400 for an invalid body (``n``, ``size``, ``response_format``;
            ``n`` other than 1 with ``dall-e-3``).
    """
    engine = engine_of(request)
    body = await read_json(request, engine.config.max_body_bytes)
    req = validate_request(CreateImageRequest, body)
    engine.check_model(req.model)
    assert isinstance(body, dict)
    if req.model == "dall-e-3" and (req.n or 1) != 1:
        raise RequestRejected(
            400, "Invalid 'n': dall-e-3 makes one image per request (n=1).", param="n"
        )
    turn = media_turn(request, "images", [req.prompt], body, req.model)
    prefix = "/v1" if request.url.path.startswith("/v1/") else ""
    base = str(request.base_url).rstrip("/") + prefix + "/images/files/"
    return serve(request, turn, _ImagesWire(req, body, engine.state, base))


async def image_file(request: Request) -> Response:
    """``GET /v1/images/files/{name}``: a PNG an earlier ``url`` answer named.

    Raises:
        RequestRejected: 404 for a name not kept (never made, dropped, or reset).
    """
    name = request.path_params["name"]
    image = engine_of(request).state.images.get(name)
    if image is None:
        raise RequestRejected(
            404, f"No image named {name!r} (it was never made, or was dropped or reset)."
        )
    return Response(image, media_type="image/png")


class _ImagesWire(MediaWire):
    def __init__(
        self, req: CreateImageRequest, body: JSONObject, state: ServerState, base_url: str
    ) -> None:
        super().__init__("/images/generations", body)
        self.req = req
        self.state = state
        self.base_url = base_url

    async def body(self, reply: Reply) -> bytes:
        """``ImagesResponse``."""
        req = self.req
        respond = self.script(reply)
        script = respond.image if respond is not None else None
        gpt_image = is_gpt_image(req.model)
        as_url = not gpt_image and (req.response_format or "url") == "url"
        width, height = _size(req.size)
        drawn = drawn_size(width, height)
        revised = script.revised_prompt if script is not None else None
        if revised is None and req.model == "dall-e-3":
            revised = req.prompt
        data: list[JSONValue] = []
        for index in range(req.n or 1):
            rgb = (
                parse_color(script.color)
                if script is not None and script.color is not None
                else color_of(req.prompt, index)
            )
            image = png(*drawn, rgb)
            url = None
            if as_url:
                name = f"img-{new_hex(24)}.png"
                self.state.images[name] = image
                url = self.base_url + name
            data.append(image_item(image, url=url, revised_prompt=revised))
        if not gpt_image:
            return dumps(images_response(now(), data))
        quality = req.quality if req.quality in IMAGE_TOKENS else "medium"
        usage = images_usage(count_tokens(req.prompt), IMAGE_TOKENS[quality] * len(data))
        gpt = gpt_image_fields(quality=quality, size=f"{width}x{height}", usage=usage)
        return dumps(images_response(now(), data) | gpt)


def _size(size: str | None) -> tuple[int, int]:
    if size is None or size == "auto":
        return DEFAULT_SIZE
    width, height = size.split("x")
    return int(width), int(height)
