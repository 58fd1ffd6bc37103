"""What scores a model beyond its own split: cross-collection runs of the iNat recipe (``inat_cross``). The
v1 recipe's evaluations (``evaluate``, ``crossval``, ``openset_eval``, ``wide_eval``) sit at the top level."""
