"""An application on LangChain: its ``ChatOpenAI`` is built when the module is imported."""

from __future__ import annotations

from typing import Any

from langchain_openai import ChatOpenAI

llm = ChatOpenAI(model="gpt-4o-mini", max_retries=0)  # reads the environment now


def ask(question: str) -> Any:
    return llm.invoke(question).content


async def ask_async(question: str) -> Any:
    return (await llm.ainvoke(question)).content
