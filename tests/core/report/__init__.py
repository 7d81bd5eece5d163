"""The tests of core/report/, one file per module (a package: see tests/core/__init__.py)."""
