"""What every object of one chat answer shares (``ChatMeta``), and its ``CompletionUsage``."""

from __future__ import annotations

from dataclasses import dataclass

from mockgpt.events import ReasoningDelta, Usage
from mockgpt.types import JSONObject


@dataclass(slots=True)
class ChatMeta:
    """What every object of one answer shares.

    Attributes:
        id: ``chatcmpl-...``, the same on every chunk.
        created: Unix time in seconds, the same on every chunk.
        model: the model name echoed back.
        system_fingerprint: ``fp_...``.
        logprobs: whether ``logprobs`` were asked for.
        top_logprobs: alternatives per token, 0..20.
        include_usage: ``stream_options.include_usage``.
        reasoning_content: send the reasoning text as ``reasoning_content`` on ``delta`` and
            ``message`` (the ``reasoning-content`` quirk: vLLM, DeepSeek, llama.cpp); OpenAI
            sends none.
    """

    id: str
    created: int
    model: str
    system_fingerprint: str
    logprobs: bool = False
    top_logprobs: int = 0
    include_usage: bool = False
    reasoning_content: bool = False


def usage_object(usage: Usage) -> JSONObject:
    """``CompletionUsage`` with its token details (all counts in tokens)."""
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": usage.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def reasoning_piece(event: ReasoningDelta, last_part: int | None) -> str:
    """The ``reasoning_content`` text of ``event`` (``last_part``: the part before it).

    A new summary part after another starts with a blank line, so the parts read as paragraphs.
    """
    if last_part is not None and event.part != last_part and event.text:
        return "\n\n" + event.text
    return event.text
