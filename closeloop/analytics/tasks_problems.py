"""The emerging-problem detection sweep (registered in ``apps.py``).

The worker enqueues every sweep often (about a minute apart); detection reads up to a couple of
days of tickets and fits a TF-IDF model, so it runs at most once per ``DETECTION_EVERY`` in a
worker process (a cache key taken with ``add``, which only one caller wins). Running it twice
is harmless anyway: proposals are deduplicated (see ``detection.py``).
"""

from __future__ import annotations

from django.core.cache import cache
from django_tasks import task

DETECTION_EVERY = 60 * 60
CACHE_KEY = "analytics.problems_detect.ran"


@task(queue_name="sweeps")
def problems_detect_task() -> dict[str, int]:
    """Propose spikes and clusters as problems, at most hourly."""
    from closeloop.analytics.detection import problems_detect

    if not cache.add(CACHE_KEY, True, timeout=DETECTION_EVERY):
        return {"skipped": 1}
    return problems_detect().as_dict()
