"""The job lifecycle, in one place.

An upload (``birdsite.photos.services``) or a batch (``birdsite.batches.services``) stores its photos and
creates ``ClassificationJob`` rows; from there every job follows one path:

- ``queue`` — the only code that talks to Celery: sends tasks by name after commit; a broker that is down
  leaves the row PENDING for the sweeper.
- ``claims`` — a claim is one conditional UPDATE with a lease and a fencing token (``attempts``).
- ``processing`` — claim many → read → predict → finish many, for micro-batched single uploads and batch
  chunks alike.
- ``results`` — the only writer of ``Prediction`` and ``Sighting`` rows, fenced by the claim.
- ``recovery`` — the sweeper's work: expired leases back to PENDING, lost messages sent again.

The models stay where their data lives (``photos``: Photo, ClassificationJob, Prediction); this package
holds no models, so it is not a Django app. ``workers/`` imports it; it never imports ``workers/``.
"""
