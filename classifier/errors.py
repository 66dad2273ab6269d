"""Errors the user can fix; each message (Vietnamese first) says how.

Kept apart from the modules that raise them so that the command line can catch them without
importing scikit-learn and skops (about two seconds) for every `pakn` command.
"""

from __future__ import annotations


class ClassifierError(Exception):
    """Base class: shown to the user as is at the command-line boundary."""


class DatasetError(ClassifierError, ValueError):
    """A seed line is not valid; the message names file:line and the key at fault."""


class ArtefactError(ClassifierError, RuntimeError):
    """A model file is missing, altered or unreadable."""


class RegistryError(ClassifierError, RuntimeError):
    """A registry operation cannot be done."""
