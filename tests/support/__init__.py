"""What the suite shares: test modules import helpers from here (and factories from
tests.factories), never from one another or from a conftest."""
