"""``python -m cli`` is ``pakn``."""

from cli.main import main

main()
