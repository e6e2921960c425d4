"""Server profiles: which rules are not a kind of server's to keep, each with its reason.

``--profile inference`` (the default) holds a server that runs a model to every rule. A
``proxy`` forwards requests to another server and answers with what comes back; a
``fixture-mock`` answers from recorded or scripted fixtures and runs no model. Some rules are
about what a model does with a parameter (cut at ``max_tokens``, stop at ``stop``, give ``n``
choices, follow ``tool_choice``): a fixture mock accepts such a parameter and cannot act on
it, and failing it there tells its author nothing they can fix. Those checks are
*not-applicable* under that profile, and the report gives the reason.

Profiles are data: a check id and a reason, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping

_GENERATION = "a fixture mock answers with its fixture; it generates no text to act on this"

PROFILES: Mapping[str, Mapping[str, str]] = {
    "inference": {},
    "proxy": {
        "errors.unknown-model": "a proxy may route any model name to a default deployment",
        "models.retrieve-unknown": "a proxy may forward GET /models/{id} to its upstream, whose "
        "answer for an unknown id it does not control",
    },
    "fixture-mock": {
        "chat.max-tokens.length": f"{_GENERATION} (cut at max_tokens)",
        "chat.stop.sequence": f"{_GENERATION} (stop at a stop sequence)",
        "chat.n.choices": f"{_GENERATION} (n choices)",
        "tools.choice-required": "a fixture decides whether an answer calls a tool, not "
        "tool_choice",
        "tools.choice-named": "a fixture decides which function an answer calls, not tool_choice",
        "tools.choice-none": "a fixture decides whether an answer calls a tool, not tool_choice",
        "structured.response-format": "a fixture decides the content, not response_format",
        "logprobs.shape": "a fixture mock runs no model: it has no token probabilities",
        "logprobs.top-logprobs-limit": "a fixture mock runs no model: it has no token "
        "probabilities, so top_logprobs is not its to bound",
        "embeddings.dimensions": "a fixture mock's vectors are fixtures; it does not shorten them",
        "errors.bad-request": "a fixture mock need not validate sampling parameters its "
        "fixtures ignore",
        "errors.unknown-model": "a fixture mock may answer any model name",
        "properties.chat.invalid-requests": "a fixture mock need not validate sampling "
        "parameters its fixtures ignore",
        "responses.incomplete": f"{_GENERATION} (cut at max_output_tokens)",
        "responses.text-format": "a fixture decides the content, not text.format",
    },
}
"""Profile name -> check id -> why the check is not applicable to that kind of server."""

DEFAULT_PROFILE = "inference"


def not_applicable(profile: str) -> Mapping[str, str]:
    """The checks ``profile`` exempts, with their reasons.

    Raises:
        ValueError: an unknown profile (the message lists the known ones).
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    return PROFILES[profile]
