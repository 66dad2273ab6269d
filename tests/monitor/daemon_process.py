"""One poll cycle in a process of its own, on a clock the test chose (the exactly-once test).

``python tests/monitor/daemon_process.py CONFIG START`` polls every page once, like
``pakn run --once`` without the reply and alert jobs, with a clock that starts at START (ISO)
and runs in real time from there: the test moves the simulated world's time between runs
instead of waiting, and the daemon sees the same time. Items are labelled by a stub (the
classifier is not what this process is for). Exit code 0 when every page was read, 3 when one
failed; anything else is a crash. Run as a script (not ``-m``), so PYTHONPATH alone decides
which code runs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

PAGE_FAILED = 3


@dataclass(frozen=True)
class Label:
    category: str = "phan_anh"
    urgent: bool = False
    field: str = "khcn_cds"
    confidence: float = 0.9
    model_version: str = "stub"


def classify(texts: Sequence[str]) -> list[Label]:
    return [Label() for _ in texts]


def main(config: str, start: str) -> int:
    from cli.services import ingest_policy
    from config.settings import load
    from monitor.daemon import Daemon
    from storage.db import make_engine, session_factory, upgrade

    began, origin = time.monotonic(), datetime.fromisoformat(start)

    def clock() -> datetime:
        return origin + timedelta(seconds=time.monotonic() - began)

    settings = load(config)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        policy = ingest_policy(settings, session, classify=classify)
    daemon = Daemon(settings, sessions, policy, clock=clock)
    daemon.sync()
    results = daemon.poll_cycle()
    engine.dispose()
    for result in results:
        if not result.ok:
            print(f"{result.page_id}: {result.reason}", file=sys.stderr)
    return 0 if all(r.ok for r in results) else PAGE_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
