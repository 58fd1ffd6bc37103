"""What trains a model: heads on the iNat backbone (``inat_train``, ``inat_fit``). The v1 recipe's training
(``classifier/train.py`` and its helpers) still sits at the package's top level."""
