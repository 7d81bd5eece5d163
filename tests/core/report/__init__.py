"""The tests of core/report/, one file per module. A package, so that its test files may
share their names with tests/core/team/'s (test_model.py in both)."""
