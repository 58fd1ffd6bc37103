"""The command line's glue, one module per family of ``python -m classifier`` commands: it may import every
subpackage, and none imports it."""
