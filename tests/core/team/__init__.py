"""The tests of core/team/, one file per module (a package: see tests/core/__init__.py)."""
