"""Pages of the programme: the application with its live checklist (/programme) and the
host's staff area (/staff), where applications under review and flagged partners are decided."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.access import Action, OrganisationResource, may
from portal.core.current import Current
from portal.core.enums import STATUS_LABELS, PartnerStatus
from portal.errors import Conflict, FormErrors, NotFound
from portal.forms import Form
from portal.partners import forms, services, website
from portal.partners.affiliates import AffiliateController
from portal.partners.dashboard import DashboardController
from portal.partners.forms import Entered, application_from, form_values
from portal.partners.programme_settings import ProgrammeSettingsController
from portal.partners.rules import COMMITMENTS, TERMS_VERSION
from portal.web import form_page, page, redirect, url_for

Me = NamedDependency[Current]
TEMPLATE = "partners/apply.html"


class ProgrammeController(Controller):
    path = "/programme"

    @get("", name="partners.programme")
    async def index(self, request: Request, current: Me) -> Response:
        settings = request.app.state.settings
        checklist = await services.checklist_of(current, None, settings)
        return page(request, TEMPLATE, _context(current, checklist, None))

    @post("/checklist", name="partners.checklist")
    async def checklist(self, request: Request, current: Me) -> Response:
        """The checklist judged on what is being typed: the fragment for htmx, else the page
        (the form's "Check" button without JavaScript)."""
        settings = request.app.state.settings
        entered, errors = None, {}
        if _may_apply(current):
            entered, errors, _problems = await _read(request, current)
        checklist = await services.checklist_of(
            current, None if errors else entered, settings, start_checks=not errors
        )
        context = _context(current, checklist, entered)
        if errors:
            return form_page(request, TEMPLATE, context, errors, fragment="checklist")
        return page(request, TEMPLATE, context, fragment="checklist")

    @post("/apply", name="partners.apply")
    async def apply(self, request: Request, current: Me) -> Response:
        settings = request.app.state.settings
        entered, errors, problems = await _read(request, current)
        try:
            if errors or problems:
                raise FormErrors({**problems, **errors})
            checklist = await services.apply(settings, current, entered)
        except FormErrors as error:  # refused: the checklist is shown, nothing is written
            checklist = await services.checklist_of(current, entered, settings, start_checks=False)
            return form_page(request, TEMPLATE, _context(current, checklist, entered), error.errors)
        message, level = _outcome_message(checklist)
        return redirect(request, url_for(request, "partners.programme"), flash=message, level=level)


def _may_apply(current: Current) -> bool:
    return current.organisation is not None and may(
        current.actor, Action.APPLY_TO_PROGRAMME, OrganisationResource(current.organisation.id)
    )


async def _read(request: Request, current: Current) -> tuple[Entered, dict, dict]:
    if current.organisation is None:
        raise NotFound()
    data = await request.form()
    return application_from(
        data, current.organisation.country, allow_private=website.private_addresses_allowed()
    )


def _context(current: Current, checklist: services.Checklist, entered: Entered | None) -> dict:
    organisation = checklist.organisation
    shown = form_values(entered or services.stored_entry(organisation))
    if entered is None and organisation["website"]:
        shown["website"] = organisation["website"]
    return {
        "organisation": organisation,
        "checklist": checklist,
        "status": checklist.status,
        "statuses": STATUS_LABELS,
        "form": shown,
        "commitments": COMMITMENTS,
        "accepted": checklist.accepted,
        "terms_version": TERMS_VERSION,
        "can_apply": _may_apply(current),
        "poll": True,
    }


def _outcome_message(checklist: services.Checklist) -> tuple[str, str]:
    name = checklist.organisation["name"]
    match checklist.status:
        case PartnerStatus.ACTIVE:
            return f"Welcome to the programme: {name} is now an active partner.", "success"
        case PartnerStatus.REVIEW:
            return (
                "Your application is complete. A person of our team must decide one point; "
                "we will write to you.",
                "info",
            )
        case PartnerStatus.FLAGGED:
            return "Your details are saved. Your partnership stays flagged.", "warning"
    if checklist.pending:
        return (
            "Your application is saved. We are checking your website; your application "
            "completes by itself once it answers and nothing else is missing.",
            "info",
        )
    return (
        "Your application is saved. What is still missing is shown in the checklist; you "
        "can already link clients to reach the volume.",
        "info",
    )


# --- staff -------------------------------------------------------------------------------------

OrganisationId = FromPath[int]


class StaffController(Controller):
    """The host's people only: to anyone else these pages do not exist (404)."""

    path = "/staff"

    @get("", name="partners.staff")
    async def index(self, request: Request, current: Me) -> Response:
        overview = await services.staff_overview(current)
        return page(
            request,
            "partners/staff.html",
            {"reviews": overview["review"], "flagged": overview["flagged"]},
        )

    @get("/organisations/{organisation_id:int}", name="partners.staff.organisation")
    async def show(
        self, request: Request, current: Me, organisation_id: OrganisationId
    ) -> Response:
        return page(
            request,
            "partners/staff_organisation.html",
            await _staff_context(current, organisation_id),
        )

    @post("/organisations/{organisation_id:int}/decide", name="partners.staff.decide")
    async def decide(
        self, request: Request, current: Me, organisation_id: OrganisationId
    ) -> Response:
        settings = request.app.state.settings
        data = await request.form()
        form = Form(data)
        verdict = forms.verdict_from(form)
        try:
            form.check()
            status = await services.decide(
                settings, current, organisation_id, verdict.decision, verdict.reason
            )
        except FormErrors as error:
            context = await _staff_context(current, organisation_id)
            return form_page(
                request,
                "partners/staff_organisation.html",
                {**context, "form": data},
                error.errors,
            )
        except Conflict as conflict:
            return redirect(
                request,
                url_for(request, "partners.staff.organisation", organisation_id=organisation_id),
                flash=conflict.detail,
                level="error",
            )
        return redirect(
            request,
            url_for(request, "partners.staff"),
            flash=f"Decided: the organisation is now {status.label.lower()}.",
        )


async def _staff_context(current: Current, organisation_id: int) -> dict:
    checklist, decisions = await services.staff_view(current, organisation_id)
    return {
        "organisation": checklist.organisation,
        "checklist": checklist,
        "status": checklist.status,
        "decisions": decisions,
        "decidable": checklist.status in {PartnerStatus.REVIEW, PartnerStatus.FLAGGED},
        "poll": False,
    }


ROUTES = [
    ProgrammeController,
    StaffController,
    DashboardController,
    AffiliateController,
    ProgrammeSettingsController,
]
