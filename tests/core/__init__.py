"""The tests of core, one file per module (tests/test_layout_of_tests.py holds it). A
package, as are its team/ and report/: its files share their names with tests/cli/'s
(test_access.py tests core/access.py here, cli/access.py there) and with each other's
(team/test_model.py, report/test_model.py)."""
