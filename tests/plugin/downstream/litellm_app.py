"""An application on LiteLLM whose settings (the API base) are read when it is imported.

LiteLLM sends sync calls with httpx and async calls with aiohttp.
"""

from __future__ import annotations

import os
from typing import Any

import litellm

API_BASE = os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1")
MODEL = "gpt-4o-mini"


def _messages(question: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": question}]


def ask(question: str) -> Any:
    reply = litellm.completion(model=MODEL, api_base=API_BASE, messages=_messages(question))
    return reply.choices[0].message.content


async def ask_async(question: str) -> Any:
    reply = await litellm.acompletion(model=MODEL, api_base=API_BASE, messages=_messages(question))
    return reply.choices[0].message.content


async def draw_async(prompt: str) -> Any:
    """An endpoint mockgpt does not serve: image edits."""
    return await litellm.aimage_edit(
        image=("cat.png", b"png"), model="gpt-image-1", prompt=prompt, api_base=API_BASE
    )
