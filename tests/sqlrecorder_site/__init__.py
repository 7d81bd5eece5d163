"""The statement recorder's light half (tests/sqlrecorder.py), a folder that also goes on
the PYTHONPATH of the processes the tests start (sitecustomize.py)."""
