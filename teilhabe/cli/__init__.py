"""The command line ``teilhabe``: argparse, messages and exit codes only.

The work is done by the domain package (``teilhabe``); ``main.main`` is the entry point.
"""
