import pytest

from economy.common.throttling import FixedWindowThrottle


class FrozenClock:
    """Stands in for the clock the throttles read their windows from."""

    def __init__(self, now):
        self.now = now

    def time(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = FrozenClock(1_800_000_000.0)
    monkeypatch.setattr(FixedWindowThrottle, "timer", clock.time)
    return clock


@pytest.fixture
def limiter(settings, clock):
    """The limiter on (the test settings turn it off), with small rates and a frozen clock."""
    settings.RATELIMIT_ENABLE = True
    settings.ECONOMY_RATE_LIMIT_WRITES = "3/m"
    settings.ECONOMY_RATE_LIMIT_LOGIN = "2/m"
    return clock
