"""The commands that MLproject and make run: one thin module each (typed options, one call into the
``airparadis`` library, a printed result, an exit status). ``python -m entrypoints.<name> --help``."""
