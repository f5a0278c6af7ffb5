"""Console scripts."""

from __future__ import annotations

from collections.abc import Callable
import functools
import sys

from oslo_config import cfg

from panko.storage import exceptions


def clean_errors(main: Callable[..., int]) -> Callable[..., int]:
    """Report configuration and storage errors as one line naming what
    is wrong, with exit status 1 (2 for a bad option), not a traceback."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs) -> int:
        try:
            return main(*args, **kwargs)
        except (cfg.Error, ValueError) as e:
            print("ERROR: invalid configuration: %s" % e, file=sys.stderr)
            return 2
        except exceptions.StorageError as e:
            print("ERROR: %s" % e, file=sys.stderr)
            return 1

    return wrapper
