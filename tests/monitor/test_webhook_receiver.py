"""The webhook receiver: only Meta's signed deliveries are kept, verbatim, before answering."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import Client

from monitor.webhook_receiver import PATH, Receiver, signature_of
from storage.webhooks import deliveries

SECRET = "app-secret-for-tests"
VERIFY = "verify-me"
NOW = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
BODY = json.dumps(
    {
        "object": "page",
        "entry": [
            {
                "id": "100000000000001",
                "time": 1765029600,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": "111_222",
                            "post_id": "100000000000001_111",
                            "message": "Đường thôn Đông ngập sâu",
                        },
                    }
                ],
            }
        ],
    }
).encode()  # json.dumps escapes Vietnamese as \\uXXXX, as Meta does


@pytest.fixture
def client(sessions: sessionmaker[Session]) -> Client:
    return Client(Receiver(sessions, app_secret=SECRET, verify_token=VERIFY, clock=lambda: NOW))


def stored(sessions: sessionmaker[Session]) -> list[bytes]:
    with sessions.begin() as session:
        return [d.body for d in deliveries(session)]


def test_the_subscription_handshake_echoes_the_challenge_only_for_our_verify_token(
    client: Client,
) -> None:
    ok = client.get(f"{PATH}?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=12345")
    assert ok.status_code == 200
    assert ok.get_data() == b"12345"
    wrong = client.get(f"{PATH}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=12345")
    assert wrong.status_code == 403
    assert b"12345" not in wrong.get_data()


def test_a_signed_delivery_is_stored_byte_for_byte_before_the_200(
    client: Client, sessions: sessionmaker[Session]
) -> None:
    response = client.post(
        PATH, data=BODY, headers={"X-Hub-Signature-256": signature_of(BODY, SECRET)}
    )
    assert response.status_code == 200
    assert stored(sessions) == [BODY]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": signature_of(BODY, "another-app-secret")},
        {"X-Hub-Signature-256": signature_of(BODY + b" ", SECRET)},
        {"X-Hub-Signature": "sha1=" + "0" * 40},
    ],
    ids=["unsigned", "zeros", "other-secret", "other-body", "sha1-only"],
)
def test_a_forged_or_unsigned_delivery_gets_403_and_stores_nothing(
    client: Client, sessions: sessionmaker[Session], headers: dict[str, str]
) -> None:
    response = client.post(PATH, data=BODY, headers=headers)
    assert response.status_code == 403
    assert stored(sessions) == []


def test_a_one_megabyte_body_is_refused_and_nothing_is_stored(
    client: Client, sessions: sessionmaker[Session]
) -> None:
    big = b'{"object": "page", "entry": [], "pad": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post(
        PATH, data=big, headers={"X-Hub-Signature-256": signature_of(big, SECRET)}
    )
    assert response.status_code == 413
    assert stored(sessions) == []


def test_a_database_failure_answers_500_so_that_meta_delivers_again(
    sessions: sessionmaker[Session],
) -> None:
    def broken() -> datetime:
        raise RuntimeError("disk full")

    client = Client(Receiver(sessions, app_secret=SECRET, verify_token=VERIFY, clock=broken))
    response = client.post(
        PATH, data=BODY, headers={"X-Hub-Signature-256": signature_of(BODY, SECRET)}
    )
    assert response.status_code == 500
    assert stored(sessions) == []


def test_other_paths_and_methods_are_refused(client: Client) -> None:
    assert client.get("/admin").status_code == 404
    assert client.put(PATH, data=b"{}").status_code == 405
    assert client.get("/healthz").status_code == 200


def test_the_receiver_refuses_to_start_without_its_secrets(
    sessions: sessionmaker[Session],
) -> None:
    make: Callable[..., Receiver] = Receiver
    with pytest.raises(ValueError, match="app secret"):
        make(sessions, app_secret="", verify_token=VERIFY)
