"""Shared state: several processes (``--workers N``, replicas) that behave as one mock.

In one process the state lives in memory (``mockgpt.state``, ``StubRegistry``) and nothing
here is imported. With ``--state redis://HOST:PORT/DB`` each process wraps its app in
``SharedApp`` over a ``RedisState`` (``share``); ``worker`` builds a worker's app for
uvicorn's multi-process mode.
"""
