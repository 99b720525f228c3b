"""Stand-ins for names, addresses and text: stable, shape-keeping, and only where the rules say."""

import re

from ftrack_local.snapshot.anonymise import DEFAULT_RULES, Anonymiser

SHOT_LINEAGE = ("Shot", "TypedContext", "Context")


def test_same_value_same_stand_in_and_salt_changes_it():
    one, same, other = Anonymiser("salt-1"), Anonymiser("salt-1"), Anonymiser("salt-2")
    assert one.name("Hero Shot") == same.name("Hero Shot")
    assert one.name("Hero Shot") != other.name("Hero Shot")
    assert one.email("Ann@Studio.com") == one.email("ann@studio.com")


def test_names_keep_digits_separators_and_case_shape():
    fake = Anonymiser("s").name("sh010_Comp-v2")
    assert re.fullmatch(r"[a-z]{2}010_[A-Z][a-z]{3}-[a-z]2", fake)
    assert fake != "sh010_Comp-v2"


def test_text_keeps_word_lengths_punctuation_and_lines():
    original = "Fix the edge, please!\nThanks, Ann."
    fake = Anonymiser("s").text(original)
    assert len(fake) == len(original)
    assert [m.span() for m in re.finditer(r"\w+", fake)] == [m.span() for m in re.finditer(r"\w+", original)]
    assert re.sub(r"\w", "", fake) == re.sub(r"\w", "", original)
    assert "please" not in fake and "Ann" not in fake


def test_repeated_words_line_up():
    anonymiser = Anonymiser("s")
    assert anonymiser.text("roto roto").split(" ")[0] == anonymiser.text("roto roto").split(" ")[1]


def test_addresses_and_logins_reveal_nothing():
    anonymiser = Anonymiser("s")
    email = anonymiser.email("jane.doe@studio.com")
    assert email.endswith("@example.invalid") and "jane" not in email
    assert re.fullmatch(r"user_[0-9a-f]{10}", anonymiser.username("jdoe"))


def test_entity_rules_follow_the_lineage_and_leave_the_rest():
    anonymiser = Anonymiser("s")
    shot = {"id": "s1", "name": "sh010", "description": "Car chase", "bid": 3.0, "status_id": "st1", "parent_id": "p"}
    fake = anonymiser.entity(shot, SHOT_LINEAGE)
    assert fake["name"] != "sh010" and fake["description"] != "Car chase"
    assert {k: fake[k] for k in ("id", "bid", "status_id", "parent_id")} == \
        {"id": "s1", "bid": 3.0, "status_id": "st1", "parent_id": "p"}
    assert shot["name"] == "sh010", "the input is not changed"


def test_workflow_configuration_is_not_touched():
    status = {"id": "st1", "name": "In progress", "color": "#00f"}
    assert Anonymiser("s").entity(status, ("Status",)) == status


def test_users_get_every_personal_field_replaced():
    user = {"id": "u1", "first_name": "Jane", "last_name": "Doe", "username": "jdoe", "email": "jane@studio.com",
            "is_active": True}
    fake = Anonymiser("s").entity(user, ("User",))
    assert all(fake[k] != user[k] for k in ("first_name", "last_name", "username", "email"))
    assert fake["is_active"] is True


def test_empty_and_missing_values_stay_as_they_are():
    fake = Anonymiser("s").entity({"id": "n", "content": "", "author_id": None}, ("Note",))
    assert fake == {"id": "n", "content": "", "author_id": None}


def test_custom_rules_replace_the_defaults():
    anonymiser = Anonymiser("s", rules={"Metadata": {"value": "text"}})
    assert anonymiser.entity({"key": "k", "value": "secret plan"}, ("Metadata",))["value"] != "secret plan"
    assert anonymiser.entity({"name": "sh010"}, SHOT_LINEAGE) == {"name": "sh010"}
    assert "Context" in DEFAULT_RULES
