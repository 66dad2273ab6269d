"""``python -m monitor`` is ``pakn``."""

from monitor.cli import main

main()
