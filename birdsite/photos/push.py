"""Tell the owner's open pages that a job changed (Channels group ``user-<id>``).

Best effort: when no channel layer reaches the page (in-memory layer in another process, Redis
down) the page's polling picks the change up, so a failure here is logged, never raised.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def job_changed(job_id: int) -> None:
    from birdsite.photos.models import ClassificationJob
    from birdsite.photos.selectors import job_payload

    job = ClassificationJob.objects.select_related("photo").filter(pk=job_id).first()
    if job is None:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            user_group(job.owner_id), {"type": "job.update", "job": job_payload(job)}
        )
    except Exception:
        log.warning("could not push job %s to user %s", job_id, job.owner_id, exc_info=True)
