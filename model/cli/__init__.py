"""The command line: ``python run.py COMMAND``; see ``model.cli.main``."""

from .main import COMMANDS, build_parser, main

__all__ = ["COMMANDS", "build_parser", "main"]
