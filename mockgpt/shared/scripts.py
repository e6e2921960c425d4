"""The Lua scripts the Redis state runs, each atomic in the store.

Keys are named by ``Keys``; every script takes its keys in ``KEYS`` and its values in
``ARGV`` (Redis's rule, so that a cluster could route them).
"""

from __future__ import annotations

from dataclasses import dataclass

APPEND_JOURNAL = """
-- KEYS: journal list, seq counter, bytes counter, written-token prefix;
-- ARGV: size, max bytes, then (token, entry) pairs
local size, max_bytes = tonumber(ARGV[1]), tonumber(ARGV[2])
local first = 0
for i = 3, #ARGV, 2 do
  -- an entry whose token was seen was written by an earlier try that lost its reply
  if redis.call('SET', KEYS[4] .. ARGV[i], 1, 'NX', 'EX', 86400) then
    local seq = redis.call('INCR', KEYS[2])
    if first == 0 then first = seq end
    redis.call('RPUSH', KEYS[1], seq .. '\\t' .. ARGV[i + 1])
    local _, _, bytes = string.find(ARGV[i + 1], '^[^\\t]*\\t(%d+)\\t')
    redis.call('INCRBY', KEYS[3], tonumber(bytes))
  end
end
local function drop()
  local line = redis.call('LPOP', KEYS[1])
  local _, _, bytes = string.find(line, '^%d+\\t[^\\t]*\\t(%d+)\\t')
  redis.call('DECRBY', KEYS[3], tonumber(bytes))
end
while redis.call('LLEN', KEYS[1]) > size do drop() end
while tonumber(redis.call('GET', KEYS[3]) or '0') > max_bytes
      and redis.call('LLEN', KEYS[1]) > 1 do drop() end
return first
"""
"""Append entries (test id, bytes, JSON; tab-separated), each numbered by the global counter,
then drop the oldest past ``size`` entries or ``max bytes`` of bodies (the newest stays).

Each entry comes with its process's token for it, kept a day: a retry of a write whose reply
was lost (the store went away after running it) adds nothing twice."""

CLEAR_JOURNAL = """
-- KEYS: journal list, bytes counter; ARGV: test id ('' for every entry)
if ARGV[1] == '' then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 0
end
local kept, bytes = {}, 0
for _, line in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local _, _, test_id, size = string.find(line, '^%d+\\t([^\\t]*)\\t(%d+)\\t')
  if test_id ~= ARGV[1] then
    kept[#kept + 1] = line
    bytes = bytes + tonumber(size)
  end
end
redis.call('DEL', KEYS[1])
for i = 1, #kept, 1000 do
  redis.call('RPUSH', KEYS[1], unpack(kept, i, math.min(i + 999, #kept)))
end
redis.call('SET', KEYS[2], bytes)
return #kept
"""
"""Forget every journal entry, or one test id's."""

FORGET_COUNTS = """
-- KEYS: a hash of counts; ARGV: the field prefix of one space ('' for all)
if ARGV[1] == '' then return redis.call('DEL', KEYS[1]) end
local gone = 0
for _, name in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(name, 1, #ARGV[1]) == ARGV[1] then
    redis.call('HDEL', KEYS[1], name)
    gone = gone + 1
  end
end
return gone
"""
"""Forget the call counts (or chaos draws) of one space, or of all."""

PUT_OBJECT = """
-- KEYS: the kind's index (sorted set), clock; ARGV: max kept, key prefix, id, value
redis.call('SET', ARGV[2] .. ARGV[3], ARGV[4])
if not redis.call('ZSCORE', KEYS[1], ARGV[3]) then
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[3])
end
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[1])
if over > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[1], over)
  for i = 1, #popped, 2 do redis.call('DEL', ARGV[2] .. popped[i]) end
end
return over
"""
"""Keep one stored object, oldest first in its kind's index; drop the oldest past the bound
(ZPOPMIN gives each id followed by its score)."""

CLEAR_OBJECTS = """
-- KEYS: the kind's index; ARGV: key prefix
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do redis.call('DEL', ARGV[1] .. id) end
redis.call('DEL', KEYS[1])
return #ids
"""
"""Forget every stored object of one kind."""

PUSH_CHANGES = """
-- KEYS: changes list, epoch; ARGV: '1' to start a new epoch first, then the changes
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[1])
  redis.call('INCR', KEYS[2])
end
for i = 2, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
return {tonumber(redis.call('GET', KEYS[2]) or '0'), redis.call('LLEN', KEYS[1])}
"""
"""Append stub changes; a reset of every stub starts a new epoch (an empty list) first.
Returns the epoch and the list's length."""


SCRIPT_NAMES = (
    "APPEND_JOURNAL",
    "CLEAR_JOURNAL",
    "FORGET_COUNTS",
    "PUT_OBJECT",
    "CLEAR_OBJECTS",
    "PUSH_CHANGES",
)
"""The scripts above, by name."""


@dataclass(frozen=True)
class Keys:
    """The store's key names, all under ``prefix`` (``mockgpt:`` by default).

    Attributes:
        prefix: of every key, so that one Redis database may hold other data besides.
    """

    prefix: str = "mockgpt:"

    @property
    def journal(self) -> str:
        """The journal list: lines of seq, test id, bytes and JSON (tab-separated), oldest first."""
        return self.prefix + "journal"

    @property
    def journal_seq(self) -> str:
        """The last journal ``seq`` given (it never goes back, not even on reset)."""
        return self.prefix + "journal:seq"

    @property
    def journal_written(self) -> str:
        """The prefix of the keys marking journal entries written (by their process's token)."""
        return self.prefix + "journal:written:"

    @property
    def journal_append(self) -> list[str]:
        """The keys ``APPEND_JOURNAL`` takes, in its order."""
        return [self.journal, self.journal_seq, self.journal_bytes, self.journal_written]

    @property
    def journal_bytes(self) -> str:
        """Body bytes the journal holds."""
        return self.prefix + "journal:bytes"

    @property
    def calls(self) -> str:
        """Sequence call counts: a hash of ``space_field(test id, stub id)`` -> calls."""
        return self.prefix + "calls"

    @property
    def chaos(self) -> str:
        """Chaos draws: a hash of ``space_field(test id, scenario name)`` -> draws."""
        return self.prefix + "chaos"

    @property
    def changes(self) -> str:
        """The stub changes of this epoch, in order (JSON)."""
        return self.prefix + "stubs:changes"

    @property
    def epoch(self) -> str:
        """Counts the resets of every stub (each empties ``changes``)."""
        return self.prefix + "stubs:epoch"

    @property
    def channel(self) -> str:
        """Where a process announces its changes (the message: the key to acknowledge on)."""
        return self.prefix + "changed"

    @property
    def clock(self) -> str:
        """Orders stored objects by when they were first kept."""
        return self.prefix + "objects:clock"

    def index(self, kind: str) -> str:
        """The ids of one kind of stored object, oldest first (a sorted set)."""
        return f"{self.prefix}index:{kind}"

    def objects(self, kind: str) -> str:
        """The prefix of one kind's objects' keys (the id follows)."""
        return f"{self.prefix}object:{kind}:"


def space_field(test_id: str | None, name: str = "") -> str:
    """A hash field of one space (``-`` for the shared one, ``t:<id>`` for a test id)."""
    return ("-" if test_id is None else "t:" + test_id) + "\x00" + name
