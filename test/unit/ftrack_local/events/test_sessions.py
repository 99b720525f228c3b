"""Signed event hub session ids: accepted by any process with the secret,
once per process, within the handshake timeout."""

from ftrack_local.events.sessions import SessionIds

USER = {"id": "3b2d", "username": "jane@example.com"}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_another_process_with_the_same_secret_redeems_the_id():
    clock = Clock()
    issued = SessionIds(b"s" * 32, clock).issue(USER)
    nonce, user = SessionIds(b"s" * 32, clock).redeem(issued, lifetime=30)
    assert user == USER
    assert isinstance(nonce, str) and nonce


def test_an_id_opens_one_websocket_per_process():
    ids = SessionIds(b"s" * 32, Clock())
    sid = ids.issue(USER)
    assert ids.redeem(sid, 30) is not None
    assert ids.redeem(sid, 30) is None


def test_expired_forged_and_foreign_ids_are_refused():
    clock = Clock()
    ids = SessionIds(b"s" * 32, clock)
    sid = ids.issue(USER)
    clock.now += 31
    assert ids.redeem(sid, 30) is None
    fresh = ids.issue(USER)
    signed, _, signature = fresh.rpartition("z")
    assert ids.redeem(signed + "z" + signature[::-1], 30) is None
    assert ids.redeem("not-an-id", 30) is None
    assert ids.redeem("", 30) is None
    assert SessionIds(b"t" * 32, clock).redeem(fresh, 30) is None


def test_ids_are_letters_and_digits_starting_with_the_nonce():
    ids = SessionIds(b"s" * 32)
    sid = ids.issue(USER)
    assert sid.isalnum()
    assert ids.redeem(sid, 30)[0] == sid.split("z")[0]


def test_redeemed_ids_are_forgotten_once_expired():
    clock = Clock()
    ids = SessionIds(b"s" * 32, clock)
    for _ in range(3):
        assert ids.redeem(ids.issue(USER), 30) is not None
    clock.now += 31
    assert ids.redeem(ids.issue(USER), 30) is not None
    assert len(ids._redeemed) == 1
