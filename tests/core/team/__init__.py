"""The tests of core/team/, one file per module. A package, so that its test files may
share their names with tests/core/report/'s (test_model.py in both)."""
