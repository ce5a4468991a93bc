import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

from funrec.data import simulate_kuairand  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


@pytest.fixture(scope="session")
def small_log():
    """A small simulated log: big enough to learn from in one quick epoch."""
    return simulate_kuairand(n_users=200, n_videos=300, n_authors=60, n_rows=30_000, seed=3)


@pytest.fixture
def kuairand_dir():
    return os.path.join(FIXTURES, "kuairand_1k_tiny")
