"""Tell the owner's open pages that a batch moved (same Channels group as single jobs).

Best effort, like ``birdsite.photos.push``: the batch page polls when no push arrives.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from birdsite.photos.push import user_group

log = logging.getLogger(__name__)


def batch_changed(batch_id: int) -> None:
    from birdsite.batches.models import Batch
    from birdsite.batches.selectors import batch_progress

    batch = Batch.objects.filter(pk=batch_id).first()
    layer = get_channel_layer()
    if batch is None or layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            user_group(batch.owner_id), {"type": "batch.update", "batch": batch_progress(batch)}
        )
    except Exception:
        log.warning("could not push batch %s to user %s", batch_id, batch.owner_id, exc_info=True)
