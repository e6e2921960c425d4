"""``POST /v1/moderations``: one result per input, flagged by a stub or by keywords."""

from __future__ import annotations

from starlette.requests import Request

from mockgpt.engine import Reply
from mockgpt.http.send import ReplySender
from mockgpt.models import validate_request
from mockgpt.models.media import CreateModerationRequest
from mockgpt.quirks.media import quirk_moderation
from mockgpt.render.moderations import keyword_categories, moderation_response, moderation_result
from mockgpt.routes.common import engine_of, new_id, read_json, serve
from mockgpt.routes.media import MediaWire, media_turn
from mockgpt.sse import dumps
from mockgpt.types import JSONObject


async def create_moderation(request: Request) -> ReplySender:
    """Answer a moderations request (spec: ``POST /moderations``).

    ``input`` is a string, a list of strings (one result each) or a multimodal list of
    ``text`` and ``image_url`` parts (one result). A stub (``match: {endpoint:
    moderations}``; ``last_user`` is the last input's text) flags categories with
    ``respond.moderation``; with none, a category is flagged when an input holds one of its
    words (``mockgpt.render.moderations.KEYWORDS``). Omni models (``omni-*``, the default)
    also send ``category_applied_input_types``.

    Raises:
        RequestRejected: 400 for an invalid body.
    """
    engine = engine_of(request)
    body = await read_json(request, engine.config.max_body_bytes)
    req = validate_request(CreateModerationRequest, body)
    engine.check_model(req.model)
    assert isinstance(body, dict)
    texts = [text for text, _ in req.inputs]
    turn = media_turn(request, "moderations", texts, body, req.model)
    return serve(request, turn, _ModerationWire(req, body))


class _ModerationWire(MediaWire):
    def __init__(self, req: CreateModerationRequest, body: JSONObject) -> None:
        super().__init__("/moderations", body)
        self.req = req

    async def body(self, reply: Reply) -> bytes:
        """``CreateModerationResponse``."""
        respond = self.script(reply)
        script = respond.moderation if respond is not None else None
        omni = self.req.model.startswith("omni")
        results = []
        for index, (text, kinds) in enumerate(self.req.inputs):
            flagged = script.flagged(index) if script is not None else keyword_categories(text)
            scores = {str(k): v for k, v in script.scores.items()} if script is not None else {}
            results.append(
                moderation_result(text, flagged, scores, input_types=kinds if omni else None)
            )
        answer = moderation_response(new_id("modr"), reply.model, results)
        if reply.quirks:
            quirk_moderation(answer, reply.quirks)
        return dumps(answer)
