"""colabctl: team access for creator businesses, from the command line."""

__version__ = "0.1.0"
