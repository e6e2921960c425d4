"""A journal write whose reply was lost (the store ran it, then went away) is retried without
adding its entries twice: ``APPEND_JOURNAL`` writes each entry's token once."""

from __future__ import annotations

import uuid

import redis

from mockgpt.shared.scripts import APPEND_JOURNAL, Keys


def test_append_journal_writes_a_token_once(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    keys = Keys(f"retry-test-{uuid.uuid4().hex}:")  # its written tokens stay a day
    append = client.register_script(APPEND_JOURNAL)
    first = ["p:0", "t1\t5\t{}", "p:1", "t1\t5\t{}"]

    append(keys=keys.journal_append, args=[100, 1000, *first])
    append(keys=keys.journal_append, args=[100, 1000, *first, "p:2", "\t3\t{}"])  # a retry

    lines = client.lrange(keys.journal, 0, -1)
    assert [line.split(b"\t", 1)[0] for line in lines] == [b"1", b"2", b"3"]
    assert int(client.get(keys.journal_bytes) or 0) == 13
    client.close()
