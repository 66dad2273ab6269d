"""Attaches the commands owned by other packages to the root ``pakn`` group."""

from __future__ import annotations

import click


def attach(main: click.Group) -> None:
    pass
