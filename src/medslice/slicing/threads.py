"""Thread limits for the small dense linear algebra of one bootstrap (fusion, PCA, k-means, EM).

``threadpoolctl.threadpool_limits`` inspects every loaded library on each call, about 3-6 ms: more than a
whole EM fit on a 300-row audit set. One :class:`threadpoolctl.ThreadpoolController`, made once, sets the
same limits in microseconds.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager

# Loaded before the controller looks for BLAS and OpenMP libraries, so that it finds them all.
import numpy  # noqa: F401
import scipy.linalg  # noqa: F401
import sklearn.cluster  # noqa: F401
from threadpoolctl import ThreadpoolController

_controller: ThreadpoolController | None = None
_lock = threading.Lock()


def threadpool_controller() -> ThreadpoolController:
    """The process's controller of BLAS and OpenMP thread pools, made on first use."""
    global _controller  # noqa: PLW0603 - one process-wide controller, as threadpoolctl keeps its own
    with _lock:
        if _controller is None:
            _controller = ThreadpoolController()
        return _controller


def limited_threads(limits: int = 1, user_api: str | None = None) -> AbstractContextManager:
    """``threadpool_limits(limits, user_api)`` through the cached controller (``user_api`` None: all)."""
    return threadpool_controller().limit(limits=limits, user_api=user_api)
