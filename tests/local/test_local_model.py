"""The local transformers backend, with a tiny random-weight model and a tokenizer built here."""

from __future__ import annotations

from pathlib import Path

import pytest
from openai import OpenAI

from mockgpt.config import ServerConfig
from mockgpt.errors import ConfigError
from mockgpt.server import MockServer

WORDS = [
    "hello",
    "world",
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "lazy",
    "dog",
    "blue",
    "giraffe",
    "sunny",
    "Paris",
]


def build_model(directory: Path) -> None:
    """A GPT-2-shaped model with random weights and a word-level tokenizer with a chat template."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    vocab = {"[UNK]": 0, "[EOS]": 1, "[PAD]": 2, "user": 3, "assistant": 4, ":": 5}
    for word in WORDS:
        vocab.setdefault(word, len(vocab))
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="[UNK]", eos_token="[EOS]", pad_token="[PAD]"
    )
    fast.chat_template = (
        "{% for m in messages %}{{ m['role'] }} : {{ m['content'] }} {% endfor %}assistant :"
    )
    fast.save_pretrained(directory)
    config = GPT2Config(
        vocab_size=len(vocab),
        n_positions=128,
        n_embd=16,
        n_layer=1,
        n_head=2,
        bos_token_id=1,
        eos_token_id=1,
    )
    import torch

    torch.manual_seed(0)
    model = GPT2LMHeadModel(config)
    # never generate EOS, UNK or PAD: answers run to max_tokens and decode to as many words
    model.generation_config.suppress_tokens = [0, 1, 2]
    model.save_pretrained(directory)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-model")
    build_model(directory)
    return directory


@pytest.fixture(scope="module")
def client(model_dir: Path):
    with MockServer(ServerConfig(port=0, local_model=str(model_dir))) as server:
        yield OpenAI(base_url=server.base_url, api_key="x", max_retries=0)


def test_local_model_streams_generated_tokens(client: OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="tiny",
            messages=[{"role": "user", "content": "hello world"}],
            stream=True,
            max_tokens=6,
            seed=1,
            stream_options={"include_usage": True},
        )
    )
    texts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(texts) >= 2  # streamed piece by piece, not in one go
    assert all(t.strip().split()[0] in WORDS or t.strip() in WORDS for t in texts if t.strip())
    finish = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finish == ["length"]
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 6


def test_local_model_usage_counts_come_from_its_tokenizer(client: OpenAI, model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    reply = client.chat.completions.create(
        model="tiny",
        messages=[{"role": "user", "content": "the quick brown fox"}],
        max_tokens=5,
        seed=3,
    )
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "the quick brown fox"}],
        add_generation_prompt=True,
        tokenize=True,
    )
    ids = prompt["input_ids"] if hasattr(prompt, "keys") else prompt
    assert reply.usage is not None
    assert reply.usage.prompt_tokens == len(ids)
    assert reply.usage.completion_tokens == 5
    assert reply.choices[0].finish_reason == "length"
    generated = tokenizer(reply.choices[0].message.content)["input_ids"]
    assert len(generated) == 5


def test_local_model_same_seed_same_answer(client: OpenAI) -> None:
    def ask() -> str | None:
        return (
            client.chat.completions.create(
                model="tiny",
                messages=[{"role": "user", "content": "blue giraffe"}],
                max_tokens=8,
                seed=42,
                temperature=1.0,
            )
            .choices[0]
            .message.content
        )

    assert ask() == ask()


def test_local_model_stop_sequence_ends_the_answer(client: OpenAI) -> None:
    full = (
        client.chat.completions.create(
            model="tiny",
            messages=[{"role": "user", "content": "hello"}],
            max_tokens=12,
            seed=7,
        )
        .choices[0]
        .message.content
    )
    assert full
    stop_word = full.split()[2]
    cut = client.chat.completions.create(
        model="tiny",
        messages=[{"role": "user", "content": "hello"}],
        max_tokens=12,
        seed=7,
        stop=[stop_word],
    )
    assert cut.choices[0].finish_reason == "stop"
    assert stop_word not in (cut.choices[0].message.content or "")
    assert full.startswith((cut.choices[0].message.content or "").rstrip())


def test_local_model_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such directory"):
        MockServer(ServerConfig(port=0, local_model=str(tmp_path / "nope")))


def test_local_model_invalid_directory_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match="cannot load a model"):
        MockServer(ServerConfig(port=0, local_model=str(tmp_path)))
