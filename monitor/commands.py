"""Attaches the commands owned by other packages to the root ``pakn`` group."""

from __future__ import annotations

import click

from classifier.cli import classify_command, evaluate_command, model_group
from monitor.call_cli import call_group
from monitor.demo_cli import demo_command, simulate_command
from monitor.report_cli import report
from monitor.train_cli import train_command
from review.cli import COMMANDS as REVIEW_COMMANDS


def attach(main: click.Group) -> None:
    for command in (
        classify_command,
        evaluate_command,
        model_group,
        train_command,
        call_group,
        report,
        demo_command,
        simulate_command,
        *REVIEW_COMMANDS,
    ):
        main.add_command(command)
