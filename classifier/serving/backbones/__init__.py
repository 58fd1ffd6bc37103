"""Feature networks a species head sits on: ImageNet MobileNet v1 (``classifier/serving/weights.py``, the
seed's
recipe) and the bird-specialist iNaturalist MobileNet V2 (``inat.py``), shipped in the repository."""
