"""Settings of the generative tests (hypothesis, schemathesis).

In the suite they are derandomized: the same examples on every run, so
that a failure in CI is a failure on a laptop, and each test sends a
bounded number of examples. ``PANKO_HYPOTHESIS_SCALE`` multiplies those
numbers and ``PANKO_HYPOTHESIS_RANDOM=1`` draws new examples on each run,
to look for new bugs locally.
"""

from __future__ import annotations

import os

import hypothesis

SCALE = float(os.environ.get("PANKO_HYPOTHESIS_SCALE", "1"))
RANDOM = os.environ.get("PANKO_HYPOTHESIS_RANDOM") == "1"

hypothesis.settings.register_profile(
    "panko",
    derandomize=not RANDOM,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=[
        hypothesis.HealthCheck.too_slow,
        hypothesis.HealthCheck.function_scoped_fixture,
        hypothesis.HealthCheck.data_too_large,
        hypothesis.HealthCheck.filter_too_much,
        hypothesis.HealthCheck.large_base_example,
    ],
)
hypothesis.settings.load_profile("panko")


def examples(count: int) -> hypothesis.settings:
    """Settings running ``count`` examples (times the scale)."""
    return hypothesis.settings(max_examples=max(1, round(count * SCALE)))
