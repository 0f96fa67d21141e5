"""Hypothesis profiles for the property-based tests (tests/test_properties*.py).

"ci", the default, is derandomised: every run tries the same examples, so a
failure reproduces and a pass means the same everywhere. Set
HYPOTHESIS_PROFILE=explore to search new random examples, more of them,
remembering failures in .hypothesis/.
"""

import os

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # the property tests skip themselves
    pass
else:
    # Examples are small fits; what they cost varies with the machine's load,
    # so no per-example deadline.
    common: dict = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True)
    settings.register_profile("ci", derandomize=True, database=None, **common)
    settings.register_profile("explore", max_examples=1000, **common)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
