"""Whose session a person may end (access.py): only their own, never the one in use (they log
out for that); anyone else's, or an ended one, does not exist for them. And the decision on
roles stays in access.py: no other module of the portal compares a role with the managers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from portal.access import VISITOR, Action, Actor, Decision, Role, SessionResource, decide

ALICE = Actor(user_id=7, organisation_id=3, role=Role.USER)
ALICE_WITHOUT_ORGANISATION = Actor(user_id=7, organisation_id=None, role=None)
PORTAL = Path(__file__).resolve().parents[2] / "portal"


@pytest.mark.parametrize(
    ("actor", "session", "decision"),
    [
        (ALICE, SessionResource(owner_id=7), Decision.ALLOWED),
        (ALICE_WITHOUT_ORGANISATION, SessionResource(owner_id=7), Decision.ALLOWED),
        (ALICE, SessionResource(owner_id=7, in_use=True), Decision.HIDDEN),
        (ALICE, SessionResource(owner_id=8), Decision.HIDDEN),
        (ALICE, SessionResource(owner_id=None), Decision.HIDDEN),
        (VISITOR, SessionResource(owner_id=None), Decision.HIDDEN),
    ],
)
def test_a_person_ends_only_their_own_other_sessions(actor, session, decision):
    assert decide(actor, Action.END_SESSION, session) is decision


def test_a_session_answers_no_other_action():
    assert decide(ALICE, Action.VIEW_ORGANISATION, SessionResource(owner_id=7)) is Decision.HIDDEN


def test_an_api_token_ends_no_session():
    token = Actor(user_id=7, organisation_id=3, role=Role.USER, scopes=frozenset())
    assert decide(token, Action.END_SESSION, SessionResource(owner_id=7)) is Decision.FORBIDDEN


def names_used(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_only_access_py_compares_roles_with_the_managers():
    outside = [
        str(path.relative_to(PORTAL))
        for path in sorted(PORTAL.rglob("*.py"))
        if path.name != "access.py" or path.parent != PORTAL
        if "MANAGERS" in names_used(path)
    ]
    assert outside == []
