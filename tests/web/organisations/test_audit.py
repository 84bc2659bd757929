"""The audit log: every change to members, roles and teams, its filters and its CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

from tests.factories.accounts import account_id, sign_up
from tests.factories.organisations import colleague, create_team, membership_id
from tests.factories.web import post_form


async def a_busy_day(client) -> None:
    """Anna signs up, Carl joins, gets promoted, leads a team named like a formula, leaves."""
    await sign_up(client)
    async with colleague(client, "carl@example.ch", "user"):
        carl = await membership_id(client, "carl@example.ch")
        await post_form(
            client,
            f"/organisation/members/{carl}",
            {"role": "administrator", "billing_rights": "on"},
        )
        team = await create_team(client, "=1+1")
        carl_account = str(await account_id("carl@example.ch"))
        await post_form(client, f"/organisation/teams/{team}/members", {"account": carl_account})
        await post_form(client, f"/organisation/teams/{team}/leader", {"leader": carl_account})
        await post_form(client, f"/organisation/teams/{team}/rename", {"name": "Support"})
        await post_form(client, f"/organisation/teams/{team}/members/{carl_account}/remove")
        await post_form(client, f"/organisation/teams/{team}/delete")
        await post_form(client, f"/organisation/members/{carl}/remove")


def actions_on(page: str) -> list[str]:
    return re.findall(r'<tr data-event="([a-z_.]+)">', page)


def entry(page: str, action: str) -> str:
    """The sentence of the newest entry of ACTION."""
    row = page.split(f'<tr data-event="{action}">', 1)[1].split("</tr>", 1)[0]
    return re.sub(r"\s+", " ", row.split("</td>")[1].replace("<td>", "")).strip()


async def test_every_change_to_members_roles_and_teams_is_logged(client):
    await a_busy_day(client)
    page = (await client.get("/organisation/audit")).text
    assert set(actions_on(page)) >= {
        "organisation.created",
        "invitation.sent",
        "member.joined",
        "member.changed",
        "team.created",
        "team.member_added",
        "team.leader_set",
        "team.renamed",
        "team.member_removed",
        "team.deleted",
        "member.removed",
    }
    assert actions_on(page)[0] == "member.removed"  # newest first


async def test_log_entries_read_as_sentences_with_before_and_after(client):
    """Sentences, not codes and dictionaries (changed on purpose: the log reads in its
    reader's terms)."""
    await a_busy_day(client)
    page = (await client.get("/organisation/audit")).text
    assert entry(page, "member.changed") == (
        "carl@example.ch&#39;s role changed from User without billing rights to Administrator "
        "— by Anna Muster."
    )
    assert entry(page, "team.renamed") == "The team =1+1 was renamed Support — by Anna Muster."
    assert entry(page, "team.leader_set") == (
        "carl@example.ch now leads the team =1+1 — by Anna Muster."
    )
    assert entry(page, "team.member_added") == (
        "carl@example.ch was added to the team =1+1 — by Anna Muster."
    )
    assert "{" not in page.split('id="events"')[1] and "None" not in page


async def test_the_log_is_filtered_by_action_prefix(client):
    await a_busy_day(client)
    page = (await client.get("/organisation/audit", params={"action": "team."})).text
    assert actions_on(page) and all(a.startswith("team.") for a in actions_on(page))
    members = (await client.get("/organisation/audit", params={"action": "member"})).text
    assert set(actions_on(members)) == {"member.joined", "member.changed", "member.removed"}


async def test_the_log_is_filtered_by_actor(client):
    await a_busy_day(client)
    page = (await client.get("/organisation/audit", params={"actor": "carl@EXAMPLE"})).text
    assert actions_on(page) == ["member.joined"]
    nobody = (await client.get("/organisation/audit", params={"actor": "100%_"})).text
    assert actions_on(nobody) == [] and "No entry matches." in nobody


async def test_the_log_is_filtered_by_dates(client):
    first_day = datetime.now(UTC).date()
    await a_busy_day(client)
    last_day = datetime.now(UTC).date()  # the same day, unless the test ran over midnight
    today, tomorrow = first_day.isoformat(), (last_day + timedelta(days=1)).isoformat()
    yesterday = (first_day - timedelta(days=1)).isoformat()
    params = {"from": today, "to": last_day.isoformat()}
    everything = await client.get("/organisation/audit", params=params)
    assert len(actions_on(everything.text)) >= 11
    assert actions_on((await client.get(f"/organisation/audit?to={yesterday}")).text) == []
    assert actions_on((await client.get(f"/organisation/audit?from={tomorrow}")).text) == []
    far = await client.get("/organisation/audit", params={"from": "0001-01-01", "to": "9999-12-31"})
    assert far.status_code == 200 and len(actions_on(far.text)) >= 11


async def test_a_start_after_the_end_is_a_form_error(client):
    await sign_up(client)
    today = datetime.now(UTC).date()
    params = {"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()}
    response = await client.get("/organisation/audit", params=params)
    assert response.status_code == 422
    assert "The end date is before the start date." in response.text
    csv_response = await client.get("/organisation/audit/export.csv", params=params)
    assert csv_response.status_code == 422


async def test_unreadable_filters_are_form_errors_not_crashes(client):
    await sign_up(client)
    for params in [{"from": "2024-13-01"}, {"to": "yesterday"}, {"actor": "a\x1bb"}]:
        response = await client.get("/organisation/audit", params=params)
        assert response.status_code == 422, params
    # a NUL byte is refused for every address before any route reads it
    response = await client.get("/organisation/audit", params={"actor": "a\x00b"})
    assert response.status_code == 400


async def test_the_filtered_log_answers_only_its_table_to_htmx(client):
    await sign_up(client)
    response = await client.get(
        "/organisation/audit", params={"action": "organisation"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "<html" not in response.text
    assert actions_on(response.text) == ["organisation.created"]


async def download(client, **params) -> list[list[str]]:
    response = await client.get("/organisation/audit/export.csv", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))


async def test_the_log_downloads_as_csv_with_formulas_neutralised(client):
    await a_busy_day(client)
    rows = await download(client)
    assert rows[0] == [
        "time_utc",
        "event",
        "sentence",
        "event_id",
        "actor_id",
        "actor",
        "acting_for_id",
        "subject",
        "subject_role",
        "link_id",
        "before",
        "after",
    ]
    column = {name: index for index, name in enumerate(rows[0])}
    created = next(row for row in rows if row[column["event"]] == "team.created")
    assert created[column["subject"]] == "'=1+1"
    assert created[column["sentence"]] == "The team =1+1 was created — by Anna Muster."
    assert json.loads(created[column["after"]]) == {"name": "=1+1"}
    changed = next(row for row in rows if row[column["event"]] == "member.changed")
    assert json.loads(changed[column["before"]]) == {"role": "user", "billing_rights": False}
    assert changed[column["actor"]] == "Anna Muster <anna@example.ch>"
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


async def test_the_csv_follows_the_filters(client):
    await a_busy_day(client)
    rows = await download(client, action="team.")
    assert {row[1] for row in rows[1:]} == {
        "team.created",
        "team.member_added",
        "team.leader_set",
        "team.renamed",
        "team.member_removed",
        "team.deleted",
    }


async def test_the_download_on_screen_carries_the_filters_shown(client):
    """The link lives in the part htmx swaps when a filter changes, so it always downloads
    what the table shows."""
    await a_busy_day(client)
    fragment = await client.get(
        "/organisation/audit",
        params={"action": "team.", "actor": "anna"},
        headers={"HX-Request": "true"},
    )
    link = re.search(
        r'href="([^"]+)"[^>]*data-testid="audit-csv"|data-testid="audit-csv" href="([^"]+)"',
        fragment.text,
    )
    href = (link[1] or link[2]).replace("&amp;", "&")
    assert href == "/organisation/audit/export.csv?action=team.&actor=anna"
    rows = list(csv.reader(io.StringIO((await client.get(href)).text.lstrip("\ufeff"))))
    assert len(rows) - 1 == len(actions_on(fragment.text)) == 6


async def test_only_legal_representatives_and_administrators_read_the_log(client):
    await sign_up(client)
    async with colleague(client, "carl@example.ch", "user", billing_rights=True) as carl:
        assert (await carl.get("/organisation/audit")).status_code == 403
        assert (await carl.get("/organisation/audit/export.csv")).status_code == 403
    async with colleague(client, "adam@example.ch", "administrator") as adam:
        assert (await adam.get("/organisation/audit")).status_code == 200
        assert (await adam.get("/organisation/audit/export.csv")).status_code == 200


async def organisation_id(name: str = "Muster Web AG") -> int:
    from portal.organisations.tables import Organisation

    found = await Organisation.select(Organisation.id).where(Organisation.name == name).first()
    return found["id"]


async def test_a_long_log_downloads_whole(client):
    """The download used to stop at 100,000 entries without a word; it holds every entry."""
    from piccolo.querystring import QueryString

    from portal.piccolo_conf import DB

    await sign_up(client)
    await DB.run_querystring(
        QueryString(
            """INSERT INTO audit_event (organisation, actor_name, action, subject, created_at)
               SELECT {}, 'Anna Muster', 'member.changed', 'Member ' || n,
                      timestamptz '2026-01-01 00:00:00+00' + n * interval '1 second'
               FROM generate_series(1, 100050) AS n""",
            await organisation_id(),
        )
    )
    rows = await download(client, action="member.changed")
    assert len(rows) == 1 + 100_050
    subject = rows[0].index("subject")
    assert rows[1][subject] == "Member 100050" and rows[-1][subject] == "Member 1"


async def test_the_pager_keeps_the_filters_from_page_to_page(client):
    from piccolo.querystring import QueryString

    from portal.piccolo_conf import DB
    from tests.factories.web import pager_link

    await sign_up(client)
    await DB.run_querystring(
        QueryString(
            """INSERT INTO audit_event (organisation, actor_name, action, subject, created_at)
               SELECT {}, 'Anna Muster', CASE WHEN n % 2 = 0 THEN 'team.created'
                                              ELSE 'member.joined' END,
                      'Entry ' || n, timestamptz '2026-01-01 00:00:00+00' + (n / 3) * interval '1 s'
               FROM generate_series(1, 130) AS n""",
            await organisation_id(),
        )
    )
    seen: list[str] = []
    page = await client.get("/organisation/audit", params={"action": "team."})
    while True:
        assert page.status_code == 200
        assert set(actions_on(page.text)) == {"team.created"}
        seen += re.findall(r"\bEntry \d+\b", page.text)
        following = pager_link(page.text, "next")
        if following is None:
            break
        assert "action=team." in following
        page = await client.get(following)
    assert sorted(seen) == sorted(f"Entry {n}" for n in range(2, 131, 2))  # none twice, none lost
    last = await client.get(
        pager_link((await client.get("/organisation/audit?action=team.")).text, "last")
    )
    assert re.findall(r"\bEntry \d+\b", last.text)[-1] == "Entry 2"
    assert pager_link(last.text, "next") is None and pager_link(last.text, "prev")
