"""Reading the tender, quote and settings forms into typed values, every problem per field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.core import reference
from portal.core.reference import countries
from portal.forms import Form
from portal.tenders import rules

PHONE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")
NO_CATEGORY = "Tick the categories you take on, or stop taking tenders with its button."


def amount(form: Form, name: str, label: str) -> Decimal:
    """An amount of money: at most two decimals."""
    return form.amount(name, label=label, decimals=2)


@dataclass(frozen=True)
class TenderInput:
    title: str
    description: str
    category: str
    budget_min: Decimal
    budget_max: Decimal
    currency: str
    language: str
    country: str
    region: str
    deadline: date | None
    author_name: str = ""
    author_email: str = ""
    author_phone: str = ""
    author_company: str = ""


TENDER_FIELDS = (
    "title",
    "description",
    "category",
    "budget_min",
    "budget_max",
    "currency",
    "language",
    "country",
    "region",
    "deadline",
    "author_name",
    "author_email",
    "author_phone",
    "author_company",
)


def tender_from(data, today: date, *, visitor: bool) -> tuple[TenderInput, dict[str, str]]:
    """The tender as entered and its problems. A VISITOR also gives their contact details
    (a logged-in client's come from their account)."""
    form = Form(data)
    title = form.name("title", max_length=rules.TITLE_MAX, label="The title")
    description = form.text(
        "description",
        required=True,
        max_length=rules.DESCRIPTION_MAX,
        label="The description",
        multiline=True,
    )
    if description and "description" not in form.errors and len(description) < 20:
        form.add("description", "Describe the work in a few sentences (at least 20 characters).")
    category = form.choice("category", rules.CATEGORIES, label="a category")
    budget_min = amount(form, "budget_min", "The lowest budget")
    budget_max = amount(form, "budget_max", "The highest budget")
    if "budget_min" not in form.errors and "budget_max" not in form.errors:
        for name, problem in rules.budget_problem(budget_min, budget_max).items():
            form.add(name, problem)
    currency = form.choice("currency", reference.CURRENCIES, label="a currency")
    language = form.choice("language", reference.LANGUAGES, label="a language")
    country = form.choice("country", countries(), label="a country")
    region = form.text("region", max_length=10)
    if "region" not in form.errors:
        form.add("region", rules.region_problem(country, region))
    deadline = form.day("deadline")
    if deadline is None and "deadline" not in form.errors:
        form.add("deadline", "Choose a deadline.")
    elif deadline is not None:
        form.add("deadline", rules.deadline_problem(deadline, today))
    name = email = phone = company = ""
    if visitor:
        name = form.name("author_name", label="Your name")
        email = form.email("author_email")
        company = form.name("author_company", required=False)
    phone = form.text("author_phone", max_length=40)
    if phone and "author_phone" not in form.errors and not PHONE.match(phone):
        form.add("author_phone", "Enter a phone number such as +41 21 555 12 34.")
    entered = TenderInput(
        title,
        description,
        category,
        budget_min,
        budget_max,
        currency,
        language,
        country,
        region,
        deadline,
        name,
        email,
        phone,
        company,
    )
    return entered, form.errors


def tender_form_values(data) -> dict:
    """What the form shows again after an error: exactly what was typed."""
    return _typed(data, TENDER_FIELDS)


def _typed(data, names: tuple[str, ...]) -> dict:
    return {name: str(data.get(name, "") or "") for name in names}


@dataclass(frozen=True)
class QuoteInput:
    price: Decimal
    currency: str
    timeline: str
    message: str
    commitment: bool


QUOTE_FIELDS = ("price", "currency", "timeline", "message", "commitment")


def quote_from(data) -> tuple[QuoteInput, dict[str, str]]:
    form = Form(data)
    price = amount(form, "price", "The price")
    if "price" not in form.errors:
        form.add("price", rules.price_problem(price))
    currency = form.choice("currency", reference.CURRENCIES, label="a currency")
    timeline = form.text(
        "timeline", required=True, max_length=rules.TIMELINE_MAX, label="The timeline"
    )
    message = form.text(
        "message", required=True, max_length=rules.MESSAGE_MAX, label="The message", multiline=True
    )
    commitment = form.checkbox("commitment")
    if not commitment:
        form.add(
            "commitment",
            "Tick the commitment: for this contract you use only the host's products.",
        )
    return QuoteInput(price, currency, timeline, message, commitment), form.errors


def quote_form_values(data) -> dict:
    return _typed(data, QUOTE_FIELDS)


@dataclass(frozen=True)
class SettingsInput:
    categories: list[str]
    languages: list[str]
    regions: list[str]


def settings_from(data) -> tuple[SettingsInput, dict[str, str]]:
    form = Form(data)
    chosen = {}
    allowed = {
        "categories": rules.CATEGORIES,
        "languages": reference.LANGUAGES,
        "regions": countries() | reference.CANTONS,
    }
    for name, known in allowed.items():
        values = form.values(name, known)
        if name in form.errors or len(values) > 400:
            form.errors[name] = "Choose from the list."
        chosen[name] = sorted(set(values))
    categories = form.whole_set("categories", chosen["categories"], problem=NO_CATEGORY)
    return SettingsInput(categories, chosen["languages"], chosen["regions"]), form.errors


def seen_version_from(form: Form) -> str:
    """The version of the quote the author saw when accepting it: accepting a quote changed
    meanwhile is refused (rules.QuoteChanged)."""
    return form.raw_text("version")
