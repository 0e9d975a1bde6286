import os

import pytest


@pytest.fixture(autouse=True)
def nothing_left_behind():
    """Every test leaves /dev/shm as it found it and no worker process behind."""
    import psutil
    before = set(os.listdir("/dev/shm"))
    yield
    assert set(os.listdir("/dev/shm")) <= before
    children = [p for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE]
    assert not children, children
