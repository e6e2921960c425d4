"""A downstream conftest: no test may reach for the network, beyond loopback.

From configure time on (so collection too), resolving a name other than ``localhost`` and
connecting a socket to an address other than loopback raise ``OSError`` and are noted;
each test fails at teardown if one was tried since the previous test (the first one also
answers for collection, when the application was imported).
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

ATTEMPTS: list[str] = []

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _loopback(host: object) -> bool:
    if host is None or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(what: str, host: object) -> None:
    if not _loopback(host):
        ATTEMPTS.append(f"{what} {host}")
        raise OSError(f"no network in these tests: {what} {host}")


def _getaddrinfo(host, *args, **kwargs):
    _check("resolve", host.decode() if isinstance(host, bytes) else host)
    return _real_getaddrinfo(host, *args, **kwargs)


def _connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check("connect", address[0])
    return _real_connect(self, address)


def _connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check("connect", address[0])
    return _real_connect_ex(self, address)


def pytest_configure(config):
    socket.getaddrinfo = _getaddrinfo
    socket.socket.connect = _connect
    socket.socket.connect_ex = _connect_ex


def pytest_unconfigure(config):
    socket.getaddrinfo = _real_getaddrinfo
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


@pytest.fixture(autouse=True)
def _no_network():
    yield
    attempts = ATTEMPTS[:]
    ATTEMPTS.clear()
    assert not attempts, f"the test reached for the network: {attempts}"
