"""The audit log reads as sentences (docs/rules.md, The audit log): every event code the portal
writes has a writer, and each reads in its reader's terms — products by name, never ids, Python
lists, dicts or None — whoever acted and whichever side reads it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from portal.audit.sentences import Names, sentence
from portal.audit_catalogue import CATALOGUE
from portal.billing.rules import PayoutStatus
from portal.clients.rules import RequestKind

ROOT = Path(__file__).resolve().parents[3]
# what the codes written as f-strings are filled in with: f"link.{kind}_requested" (a kind of
# request), f"prepaid.payout_{status}" (a staff decision)
# the functions that write audit entries, and the position of the code among their arguments
# (billing's `issue` makes invoices and writes their entries)
ACTION_ARGUMENT = {"record": 2, "record_both": 2, "issue": 3}
# the functions that write many entries from rows of (organisation, code, subject, after):
# record_many, and insert_many, its statement for a caller that writes it with others
MANY_ROWS = {"record_many", "insert_many"}
FILLED_IN = {
    "link": [kind.value for kind in RequestKind],
    "prepaid": [PayoutStatus.APPROVED.value, PayoutStatus.REJECTED.value],
}
CODE = re.compile(r"^[a-z]+\.[a-z_]+$")


def _constants(node: ast.AST) -> set[str]:
    return {
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def _builds_rows_elsewhere(tree: ast.AST) -> bool:
    """A module that hands record_many rows it built elsewhere (the renewal run's steps)."""
    return any(
        isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", "")) in MANY_ROWS
        and not any(CODE.match(c) for c in _constants(node))
        for node in ast.walk(tree)
    )


def written_codes() -> set[str]:
    """The action argument of every call that writes an entry (ACTION_ARGUMENT, record_many) in
    the portal, with the names and f-strings it is built from; and the codes the demo data
    writes itself."""
    found: set[str] = set()
    for path in (ROOT / "portal").rglob("*.py"):
        tree = ast.parse(path.read_text())
        assigned: dict[str, set[str]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, set()).update(_constants(node.value))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in MANY_ROWS:  # rows of (organisation, code, subject)
                found |= {c for c in _constants(node) if CODE.match(c)}
                continue
            position = ACTION_ARGUMENT.get(name)
            if position is None or len(node.args) <= position:
                continue
            action = node.args[position]
            if isinstance(action, ast.Constant):
                found.add(action.value)
            elif isinstance(action, ast.Name):
                found |= {c for c in assigned.get(action.id, ()) if CODE.match(c)}
            elif isinstance(action, ast.JoinedStr):  # f"link.{kind}_requested"
                template = "".join(
                    part.value if isinstance(part, ast.Constant) else "{}" for part in action.values
                )
                found |= {template.format(value) for value in FILLED_IN[template.split(".")[0]]}
            else:
                raise AssertionError(f"{path}: an action the test cannot read: {ast.dump(action)}")
        if path.name == "demo.py" or _builds_rows_elsewhere(tree):
            found |= {c for c in _constants(tree) if CODE.match(c) and c.split(".")[0] in PREFIXES}
    return found


PREFIXES = {c.split(".")[0] for c in CATALOGUE}


def test_every_code_the_portal_writes_has_a_sentence_and_none_is_left_over():
    written = written_codes()
    assert "link.changed" in written and "billing.renewed" in written  # the scan works
    assert "link.elevation_requested" in written and "link.change_refused" in written
    assert written - set(CATALOGUE) == set(), "codes written without a sentence"
    assert set(CATALOGUE) - written == set(), "sentences of codes nothing writes"


GRANT_RESTRICTED = {
    "access": "restricted",
    "families": ["domain"],
    "products": [4711],
    "billing_mode": "client",
    "product_names": {"4711": "Reception drive"},
}
GRANT_FULL = {"access": "full", "families": [], "products": [], "billing_mode": "partner"}
SAMPLES: dict[str, tuple[dict | None, dict | None]] = {
    "link.requested": (None, {**GRANT_RESTRICTED, "ends_on": "2027-01-31", "auto_extend": False}),
    "link.accepted": (None, GRANT_RESTRICTED),
    "link.granted": ({"requested": GRANT_FULL}, {"granted": GRANT_RESTRICTED}),
    "link.changed": (GRANT_RESTRICTED, GRANT_FULL),
    "link.stopped": (GRANT_RESTRICTED, None),
    "link.ended": ({**GRANT_RESTRICTED, "ends_on": "2026-12-31"}, None),
    "link.extended": ({"ends_on": "2026-12-31"}, {"ends_on": "2027-03-31", "days": 90}),
    "link.extended_automatically": (
        {"ends_on": "2026-12-31"},
        {"ends_on": "2027-06-29", "days": 180},
    ),
    "link.end_date_changed": (
        {"ends_on": None, "auto_extend": False},
        {"ends_on": "2027-01-31", "auto_extend": True},
    ),
    "link.elevation_requested": (None, {"hours": 2, "reason": "Moving the mailboxes."}),
    "link.elevation_started": (
        GRANT_RESTRICTED,
        {**GRANT_FULL, "until": "2026-12-10T16:00+00:00", "hours": 2},
    ),
    "link.elevation_ended": (GRANT_FULL, GRANT_RESTRICTED),
    "link.elevation_ended_early": (GRANT_FULL, GRANT_RESTRICTED),
    "link.extension_requested": (None, {"days": 90, "ends_on": "2027-03-31"}),
    "link.change_requested": (None, GRANT_FULL),
    "link.transfer_created": (
        None,
        {"from_partner": "Alpine Web Studio", "expires_on": "2026-12-24", "grant": GRANT_FULL},
    ),
    "link.transferred": ({"partner": "Alpine Web Studio"}, GRANT_RESTRICTED),
    "link.transferred_in": (None, GRANT_RESTRICTED),
    "link.collaborators_set": (
        {"people": [3], "teams": [], "people_names": ["Chloé Meier"], "team_names": []},
        {"people": [], "teams": [7], "people_names": [], "team_names": ["Web team"]},
    ),
    "client.product_renamed": ({"name": "old.ch"}, {"name": "new.ch"}),
    "client.user_invited": (None, {"email": "ana@client.ch", "role": "user"}),
    "organisation.created": (None, {"name": "Client GmbH"}),
    "organisation.updated": ({"website": ""}, {"website": "https://client.ch"}),
    "member.changed": (
        {"role": "user", "billing_rights": False},
        {"role": "administrator", "billing_rights": True},
    ),
    "member.removed": ({"role": "user", "billing_rights": True}, None),
    "member.joined": (None, {"role": "user", "billing_rights": False}),
    "member.products_set": ({"products": []}, {"products": [4711]}),
    "invitation.sent": (None, {"role": "user", "billing_rights": True, "team": None}),
    "team.member_joined": (None, {"email": "ana@client.ch"}),
    "team.renamed": ({"name": "Web"}, {"name": "Web team"}),
    "team.member_added": (None, {"member": "ana@client.ch"}),
    "team.member_removed": ({"member": "ana@client.ch"}, None),
    "team.leader_set": ({"leader": None}, {"leader": "ana@client.ch"}),
    "tender.quoted": (None, {"price": "1500.00", "currency": "CHF", "timeline": "3 weeks"}),
    "tender.quote_amended": (
        {"price": "1500.00", "currency": "CHF", "timeline": "3 weeks"},
        {"price": "1400.00", "currency": "CHF", "timeline": "4 weeks"},
    ),
    "tender.settings_changed": (
        None,
        {"categories": ["hosting"], "languages": ["de"], "regions": ["CH-VD"]},
    ),
    "billing.ordered": (
        None,
        {
            "amount": "120.00",
            "currency": "CHF",
            "payer": "client",
            "cashback": "24.00",
            "discount": "0",
        },
    ),
    "billing.renewed": (
        None,
        {
            "amount": "96.00",
            "currency": "CHF",
            "payer": "partner",
            "cashback": "0",
            "discount": "24.00",
        },
    ),
    "prepaid.payment": (None, {"amount": "120.00"}),
    "prepaid.payout_requested": (
        None,
        {"method": "iban", "destination": "CH93 0076 2011 6238 5295 7"},
    ),
    "prepaid.payout_rejected": (None, {"payout": 3, "note": "The IBAN is closed."}),
    "prepaid.deposit_requested": (None, {"reference": "RF18 0000 0000 0000 0000 0001 2"}),
    "billing.credited": (
        None,
        {"invoice": "2026-000123", "reason": "Ordered twice.", "gross": "120.00"},
    ),
    "renewal.reminded": (None, {"renews_on": "2027-01-31", "status": "active"}),
    "renewal.due": (None, {"renews_on": "2026-12-03", "status": "active"}),
    "renewal.grace": (None, {"renews_on": "2026-12-03", "status": "active"}),
    "renewal.renewed": (None, {"way": "warranty", "invoice": "2026-000123", "until": "2027-12-03"}),
    "renewal.invoice_overdue": (None, {"invoice": "2026-000123"}),
    "renewal.suspended_unpaid": (None, {"invoice": "2026-000123"}),
    "renewal.resumed": (None, {"invoice": "2026-000123"}),
    "renewal.options": (None, {"renewal_warranty": True}),
    "programme.applied": (None, {"registration_number": "CHE-116.281.710", "website": "x"}),
    "programme.status_changed": ({"status": "applicant"}, {"status": "active"}),
}
READERS = [("partner", "client"), ("client", "partner"), (None, None)]  # subject_role, reader is
WHO = {  # by → (actor id, actor_name, acting_for_id)
    "us": (5, "Nina Berg <nina@client.ch>", None),
    "them": (6, "Alice Keller <alice@alpine.ch>", 90),
    "portal": (None, "Partner Portal", None),
}
NAMES = Names(products={4711: "Reception drive"}, organisations={90: "Alpine Web Studio"})


def event(code: str, subject_role, by: str) -> dict:
    before, after = SAMPLES.get(code, (None, None))
    actor, actor_name, acting_for = WHO[by]
    return {
        "action": code,
        "actor": actor,
        "actor_name": actor_name,
        "acting_for_id": acting_for,
        "subject": "Alpine Web Studio",
        "subject_role": subject_role,
        "before": before,
        "after": after,
    }


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_each_code_reads_as_a_sentence_for_every_reader_and_actor(code):
    for subject_role, _ in READERS:
        for by in WHO:
            text = sentence(event(code, subject_role, by), CATALOGUE, NAMES)
            assert text.endswith(".") and text == text.strip() and "  " not in text, text
            for leftover in ("None", "{", "}", "[", "]", "_", "4711", "<", "'access'"):
                assert leftover not in text, f"{code} ({subject_role}, {by}): {text}"


def test_a_change_of_access_reads_as_in_the_requirement():
    """The client's log, changed by one of its people; the partner's log says it to the
    partner."""
    change = event("link.changed", "partner", "us") | {"actor_name": "Nina Berg <nina@x.ch>"}
    assert sentence(change, CATALOGUE, NAMES) == (
        "Alpine Web Studio's access changed from Restricted (Domains and Reception drive) to "
        "Full, paid by the partner — by Nina Berg."
    )
    seen_by_partner = event("link.changed", "client", "them") | {
        "subject": "Bäckerei Huber AG",
        "actor_name": "Nina Berg <nina@x.ch>",
        "acting_for_id": 91,
    }
    names = Names(NAMES.products, {91: "Bäckerei Huber AG"})
    assert sentence(seen_by_partner, CATALOGUE, names) == (
        "Bäckerei Huber AG changed your access from Restricted (Domains and Reception drive) to "
        "Full, paid by the partner — by Nina Berg of Bäckerei Huber AG."
    )


def test_products_kept_only_by_id_are_named_from_the_page_or_said_gone():
    old = dict(GRANT_RESTRICTED)
    del old["product_names"]
    change = event("link.changed", "partner", "us") | {"before": old}
    assert "Reception drive" in sentence(change, CATALOGUE, NAMES)
    gone = sentence(change, CATALOGUE, Names())
    assert "a product that no longer exists" in gone and "4711" not in gone


def test_temporary_full_access_reads_with_its_length_and_end():
    started = event("link.elevation_started", "partner", "us")
    assert sentence(started, CATALOGUE, NAMES) == (
        "You gave Alpine Web Studio full access for 2 hours, until 10 Dec 2026, 16:00 UTC; it "
        "then goes back to Restricted (Domains and Reception drive) — by Nina Berg."
    )
    ended = event("link.elevation_ended", "client", "portal")
    assert sentence(ended, CATALOGUE, NAMES) == (
        "Your temporary full access to Alpine Web Studio ended as planned; your access is back "
        "to Restricted (Domains and Reception drive)."
    )
