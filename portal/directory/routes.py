"""The public partner directory (/partners: search, profiles, logos) and a partner's own
listing (/directory/listing).

The public pages are the same for every visitor, so for anonymous ones they are cached in
the process and validated with a strong ETag built from the directory's version: a listing
that changes bumps the version, which changes every ETag and empties the cache."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from portal.access import Action, ListingResource, require_as_visitor
from portal.build import build_id
from portal.core import reference
from portal.core.current import SESSION_COOKIE, Current, load_current
from portal.core.reference import countries
from portal.directory import cache, queries, rules, services
from portal.directory.forms import entered_values, form_values, listing_from, logo_from
from portal.directory.logos import LARGEST_SIDE, LogoRefused
from portal.errors import Forbidden, FormErrors, NotFound
from portal.forms import Form
from portal.web import (
    FLASH_COOKIE,
    FRAGMENT_VARY,
    form_page,
    html_response,
    is_fragment_request,
    page,
    push_url,
    redirect,
    render_text,
    reverse_routes,
    templates,
    url_for,
)

Me = NamedDependency[Current]

# A public page: no login, no CSRF cookie (a shared cache must not keep one), see _csrf_for.
PUBLIC_PAGE = {"public": True, "exclude_from_csrf": True}
# Any cache may keep a public page but must ask again before using it: a flagged partner must
# not linger in a CDN. Asking again is cheap: a 304 from the ETag.
PUBLIC_CACHE = "public, no-cache"
# What changes the answer to the same URL: htmx asks for a fragment with HX-Request but its
# history restore and boosted links send it too and get the whole page; a session cookie
# gets a personal page. A cache keyed on HX-Request alone gave Back the bare fragment.
PUBLIC_VARY = f"{FRAGMENT_VARY}, Cookie"
LOGO_CACHE = "public, max-age=31536000, immutable"  # its URL changes with each upload


class DirectoryController(Controller):
    path = "/directory"

    @get("", name="directory.index", opt=PUBLIC_PAGE)
    async def index(self, request: Request) -> Response:
        parsed = rules.parse_search(request.query_params, countries())
        fragment = is_fragment_request(request)
        return await _public(
            request,
            variant="results" if fragment else "index",
            key=parsed.search.query_string(),
            render=lambda: _render_search(request, parsed, fragment=fragment),
            status=422 if parsed.errors else 200,
            headers=push_url(parsed.search.url(request.url.path)) if fragment else {},
        )

    @get("/{slug:str}", name="directory.profile", opt=PUBLIC_PAGE)
    async def profile(self, request: Request, slug: FromPath[str]) -> Response:
        if slug.isascii() and slug.isdigit():  # /directory/{organisation id} names it too
            found = await queries.slug_of_organisation(int(slug)) if len(slug) < 11 else None
            if found is None:
                raise NotFound()
            return Response(
                None,
                status_code=301,
                headers={"Location": url_for(request, "directory.profile", slug=found)},
            )
        return await _public(
            request,
            variant="profile",
            key=slug,
            render=lambda: _render_profile(request, slug),
        )

    @get("/{slug:str}/logo", name="directory.logo", opt=PUBLIC_PAGE)
    async def logo(self, request: Request, slug: FromPath[str]) -> Response:
        logo = await queries.shown_logo(slug)
        require_as_visitor(Action.VIEW_LISTING, ListingResource(shown=logo is not None))
        assert logo is not None
        tag = rules.etag(logo["logo_version"], "logo", slug)
        headers = {"ETag": tag, "Cache-Control": LOGO_CACHE}
        if rules.etag_matches(request.headers.get("if-none-match"), tag):
            return Response(None, status_code=304, headers=headers)
        return Response(bytes(logo["image"]), media_type=logo["media_type"], headers=headers)


class OldDirectoryAddresses(Controller):
    """The directory was at /partners: bookmarks and shared links keep working."""

    path = "/partners"

    @get("", name="directory.old_index", opt=PUBLIC_PAGE)
    async def index(self, request: Request) -> Response:
        return _moved(request, url_for(request, "directory.index"))

    @get("/{rest:path}", name="directory.old_page", opt=PUBLIC_PAGE)
    async def page(self, request: Request, rest: FromPath[str]) -> Response:
        return _moved(request, url_for(request, "directory.index") + quote(rest))


def _moved(request: Request, path: str) -> Response:
    query = request.url.query
    location = path + (f"?{query}" if query else "")
    return Response(None, status_code=301, headers={"Location": location})


async def _public(request: Request, *, variant: str, key: str, render, status=200, headers=None):
    """Serve a public page: for an anonymous visitor, 304 when their copy is current, else
    the cached bytes for this directory version, else render once and keep them."""
    headers = dict(headers or {}) | {"Vary": PUBLIC_VARY}
    version = await services.directory_version(request.app.state.settings.directory_version_ttl)
    if _personal(request):
        await _csrf_for(request)
        html = await render()
        partial = is_fragment_request(request)
        return html_response(request, html, status=status, headers=headers, partial=partial)
    if status != 200:  # an explained mistake in the URL: answered, not kept
        html = await render()
        return Response(html, status_code=status, media_type=MediaType.HTML, headers=headers)
    tag = rules.etag(version, variant, key, build_id())
    headers |= {"ETag": tag, "Cache-Control": PUBLIC_CACHE}
    if rules.etag_matches(request.headers.get("if-none-match"), tag):
        return Response(None, status_code=304, headers=headers)
    keep = request.app.state.settings.directory_cache
    html = cache.get(version, variant, key) if keep else None
    if html is None:
        html = await render()
        if keep:
            cache.put(version, variant, key, html)
    return Response(html, status_code=200, media_type=MediaType.HTML, headers=headers)


def _personal(request: Request) -> bool:
    """A logged-in person sees their own menu, and a flash message is for one reader: neither
    page is shared nor cached."""
    return bool(request.cookies.get(SESSION_COOKIE) or request.cookies.get(FLASH_COOKIE))


async def _csrf_for(request: Request) -> None:
    """These routes skip the CSRF middleware (no cookie for anonymous visitors); a logged-in
    person's menu still needs the token of the cookie they hold, for its forms."""
    await load_current(request)
    token = request.cookies.get("__Host-csrf")
    if token:
        ScopeState.from_scope(request.scope).csrf_token = token


async def _render_search(request: Request, parsed: rules.ParsedSearch, *, fragment: bool) -> str:
    results = await services.search(parsed.search)
    context = {
        "search": parsed.search,
        "results": results,
        "errors": parsed.errors,
        **page_labels(),
    }
    results_html = (
        templates(request)
        .get_template("directory/_results.html")
        .render(request=request, url_for=reverse_routes(request.app), **context)
    )
    if fragment:
        return results_html
    return render_text(
        request,
        "directory/index.html",
        context
        | {
            "results_html": Markup(results_html),
            "country_options": await services.countries_listed(),
            "query_max": rules.QUERY_MAX,
        },
    )


async def _render_profile(request: Request, slug: str) -> str:
    partner = await queries.shown_listing(slug)
    require_as_visitor(Action.VIEW_LISTING, ListingResource(shown=partner is not None))
    return render_text(request, "directory/show.html", page_labels() | {"partner": partner})


def page_labels() -> dict:
    """The names the directory's pages show for codes; the floor reference renders its fragment
    with them too."""
    return {
        "countries": countries(),
        "cantons": reference.CANTONS,
        "languages": reference.LANGUAGES,
        "specialities": rules.SPECIALITIES,
        "region_label": rules.region_label,
        "excerpt_length": rules.DESCRIPTION_EXCERPT,
    }


# --- a partner's own listing ---------------------------------------------------------------

TEMPLATE = "directory/listing.html"


class ListingController(Controller):
    path = "/directory/listing"

    @get("", name="directory.listing")
    async def show(self, request: Request, current: Me) -> Response:
        try:
            listing, organisation = await services.listing_for_editing(current)
        except Forbidden:
            return _not_a_partner(request, current)
        form = form_values(listing, organisation)
        return page(request, TEMPLATE, _context(listing, organisation, form))

    @post("", name="directory.listing.save")
    async def save(self, request: Request, current: Me) -> Response:
        listing, organisation = await services.listing_for_editing(current)
        entered, errors = listing_from(await request.form())
        try:
            if errors:
                raise FormErrors(errors)
            await services.save_listing(current, entered)
        except FormErrors as error:
            context = _context(listing, organisation, entered_values(entered))
            return form_page(request, TEMPLATE, context, error.errors)
        message = (
            "Your listing is saved."
            if entered.published
            else "Your listing is saved; it is hidden from the directory."
        )
        return redirect(request, url_for(request, "directory.listing"), flash=message)

    @post("/logo", name="directory.listing.logo")
    async def upload_logo(self, request: Request, current: Me) -> Response:
        listing, organisation = await services.listing_for_editing(current)
        form = Form(await request.form())
        upload = logo_from(form)
        data = await upload.read() if upload is not None else b""
        try:
            form.check()
            await services.upload_logo(current, data)
        except (LogoRefused, FormErrors) as refused:
            problem = refused.errors["logo"] if isinstance(refused, FormErrors) else str(refused)
            context = _context(listing, organisation, form_values(listing, organisation))
            return form_page(request, TEMPLATE, context, {"logo": problem})
        return redirect(
            request, url_for(request, "directory.listing"), flash="Your new logo is in place."
        )

    @post("/logo/delete", name="directory.listing.logo.delete")
    async def remove_logo(self, request: Request, current: Me) -> Response:
        await services.remove_logo(current)
        return redirect(
            request, url_for(request, "directory.listing"), flash="Your logo is removed."
        )

    @get("/logo", name="directory.listing.logo.preview")
    async def preview_logo(self, request: Request, current: Me) -> Response:
        """The partner's own logo, shown on this page also while the listing is hidden."""
        logo = await services.own_logo(current)
        return Response(
            bytes(logo["image"]),
            media_type=logo["media_type"],
            headers={"Cache-Control": "private, no-cache"},
        )


def _context(listing: dict | None, organisation: dict, form: dict) -> dict:
    visible = bool(listing) and rules.shown_in_directory(
        listing["published"], organisation["partner_status"]
    )
    return {
        "listing": listing,
        "organisation": organisation,
        "form": form,
        "visible": visible,
        "countries": countries(),
        "cantons": reference.CANTONS,
        "languages": reference.LANGUAGES,
        "specialities": rules.SPECIALITIES,
        "description_max": rules.DESCRIPTION_MAX,
        "largest_side": LARGEST_SIDE,
    }


def _not_a_partner(request: Request, current: Current) -> Response:
    if current.actor.in_programme:
        reason = "Only the organisation's legal representatives and administrators edit it."
        show_programme = False
    else:
        reason = "Join the partner programme first; then you can publish your listing here."
        show_programme = True
    return page(
        request,
        "directory/not_partner.html",
        {"reason": reason, "show_programme": show_programme},
        status=403,
    )


ROUTES = [DirectoryController, ListingController, OldDirectoryAddresses]
