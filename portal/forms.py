"""Reading form fields into typed values; problems are collected per field (FormErrors).

A form arrives as a multi-dict: a field the form sends once and that arrives twice is a field
error (the first copy is not silently preferred); only the fields read with `Form.values`
repeat. Names (of people, organisations, teams, products, tenders, tiers) are read with
`Form.name`, which also refuses invisible characters (docs/rules.md)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import regex
from email_validator import EmailNotValidError, validate_email

from portal.errors import FormErrors

CONTROL_CHARACTERS = "Remove the control characters (such as NUL) from this field."
CONTROL_CHARACTERS_PROBLEM = "Remove the invisible control characters."
INVISIBLE_CHARACTERS = (
    "Remove the invisible characters (such as direction marks or zero-width spaces) from this name."
)
GIVEN_TWICE = "This field was sent more than once. Send the form again from its page."
NOT_TEXT = "Type text here; a file does not belong in this field."
# The button of a form that replaces a whole set or table, by which a person empties it.
CLEAR_ALL = "clear_all"
LINE_BREAKS_AND_TABS = frozenset("\t\n\r")
# An amount as people write it: ASCII digits, the thousands grouped or not with one kind of
# separator (1'000.50, 1’000.50, 1 000.50, with a no-break space too), a point before the
# decimals. No sign, exponent, NaN, infinity, digits of other scripts, nor a comma: 1,000 is
# a thousand to some and one to others, so it is refused with a word rather than guessed.
AMOUNT = re.compile(
    r"(?P<whole>[0-9]+|[0-9]{1,3}(?P<sep>['’ \u00a0\u202f])[0-9]{3}(?:(?P=sep)[0-9]{3})*)"
    r"(?:\.(?P<decimals>[0-9]+))?"
)
MOST_DIGITS = 12  # before the point, and after it
AMOUNT_PROBLEM = "Enter an amount such as 1500 or 1500.50."
COMMA_IN_AMOUNT = "Write the amount with a point for decimals and no comma, such as 1500.50."
AMOUNT_TOO_LARGE = "This amount is too large: it has more than 12 digits."
# What a name may hold of the invisible format characters: the zero-width joiner between two
# emoji (👩‍💻) and the tags of a subdivision flag (🏴 + tags + cancel tag).
EMOJI_JOINS = regex.compile(
    r"(?<=\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]?)\u200D(?=\p{Extended_Pictographic})"
    r"|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F"
)
# Format characters (direction marks, embeddings, overrides and isolates, zero-width spaces and
# joiners, the BOM, the soft hyphen...), private-use and unassigned code points, and the
# letters that draw nothing (Hangul fillers, the blank Braille pattern). `regex` knows newer
# Unicode than `unicodedata`, so recent emoji are not taken for unassigned code points.
INVISIBLE = regex.compile(r"[\p{Cf}\p{Co}\p{Cn}\u115F\u1160\u3164\uFFA0\u2800]")


def has_control_characters(value: str, *, allow_line_breaks: bool = False) -> bool:
    """Control characters (NUL, which PostgreSQL refuses in text, and the like), lone
    surrogates (which cannot be encoded) and, unless ALLOW_LINE_BREAKS, the line and paragraph
    separators U+2028/U+2029 too: line breaks in all but name (a mail subject refuses them)."""
    for character in value:
        category = unicodedata.category(character)
        if category in ("Cc", "Cs"):
            if not (allow_line_breaks and character in LINE_BREAKS_AND_TABS):
                return True
        elif category in ("Zl", "Zp") and not allow_line_breaks:
            return True
    return False


def has_invisible_characters(value: str) -> bool:
    """Whether VALUE holds a character that shows nothing or turns the text around, and so
    can make one name look like another; the joiners of emoji sequences excepted."""
    return INVISIBLE.search(EMOJI_JOINS.sub("", value)) is not None


def read_amount(text: str, *, decimals: int | None = None) -> Decimal | str:
    """TEXT as a positive Decimal, or what is wrong with it, said so that the person can write
    it again. DECIMALS: how many digits may follow the point (2 for money in cents)."""
    text = text.strip()
    if "," in text:
        return COMMA_IN_AMOUNT
    match = AMOUNT.fullmatch(text)
    if match is None:
        return AMOUNT_PROBLEM
    whole = re.sub(r"[^0-9]", "", match["whole"])
    fraction = match["decimals"] or ""
    if len(whole.lstrip("0")) > MOST_DIGITS:
        return AMOUNT_TOO_LARGE
    if decimals is not None and len(fraction) > decimals:
        return f"Use at most {decimals} decimals, such as 1500.50."
    if len(fraction) > MOST_DIGITS:
        return AMOUNT_PROBLEM
    return Decimal(f"{whole}.{fraction}" if fraction else whole)


class Form:
    """Typed access to submitted fields, gathering every problem before raising them at once.
    DATA is the form as it arrives (a multi-dict), or a plain mapping."""

    def __init__(self, data: Mapping):
        self.data = data
        self.errors: dict[str, str] = {}

    def all_of(self, name: str) -> list:
        """Every value sent for NAME, in order."""
        if hasattr(self.data, "getall"):
            return list(self.data.getall(name, []))
        value = self.data.get(name)
        if value is None:
            return []
        return list(value) if isinstance(value, list | tuple) else [value]

    def value(self, name: str) -> object:
        """The one value of NAME as sent ("" when absent): text, or a file. Sent twice, it is a
        field error, for a form sends each of its single fields once."""
        values = self.all_of(name)
        if len(values) > 1:
            self.errors.setdefault(name, GIVEN_TWICE)
        return values[0] if values else ""

    def raw_text(self, name: str) -> str:
        """The one value of NAME as text, untrimmed; a file where text belongs is an error."""
        value = self.value(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.errors.setdefault(name, NOT_TEXT)
            return ""
        return value

    def values(self, name: str, choices: Mapping | None = None, *, label: str = "values") -> list:
        """A field that repeats (ticked boxes, a multiple select): its texts in order, each one
        of CHOICES when given."""
        values = self.all_of(name)
        if not all(isinstance(value, str) for value in values):
            self.errors.setdefault(name, NOT_TEXT)
            return []
        if choices is not None and not set(values) <= choices.keys():
            self.errors.setdefault(name, f"Choose {label} from the list.")
            return [value for value in values if value in choices]
        return values

    def text(
        self,
        name: str,
        *,
        required: bool = False,
        max_length: int = 200,
        label: str = "This field",
        multiline: bool = False,
    ) -> str:
        """One line of text; MULTILINE for a textarea (line breaks and tabs allowed)."""
        return self.checked(
            name,
            self.raw_text(name),
            required=required,
            max_length=max_length,
            label=label,
            multiline=multiline,
        )

    def checked(
        self,
        field: str,
        value: str,
        *,
        required: bool = False,
        max_length: int = 200,
        label: str = "This field",
        multiline: bool = False,
        is_name: bool = False,
    ) -> str:
        """VALUE checked as `text` (or, IS_NAME, as `name`) checks a field, its problems
        reported on FIELD: for each value of a repeated field (the rows of a table)."""
        value = value.strip()
        if required and not value:
            self.errors.setdefault(field, f"{label} is required.")
        elif len(value) > max_length:
            self.errors.setdefault(field, f"Use at most {max_length} characters.")
        elif has_control_characters(value, allow_line_breaks=multiline):
            self.errors.setdefault(field, CONTROL_CHARACTERS)
        elif is_name and has_invisible_characters(value):
            self.errors.setdefault(field, INVISIBLE_CHARACTERS)
        return value

    def name(
        self, field: str, *, required: bool = True, max_length: int = 200, label: str = "The name"
    ) -> str:
        """The name of a person, an organisation, a team, a product, a tender or a tier: one
        line of text without invisible characters (accents, any script and emoji welcome)."""
        return self.checked(
            field,
            self.raw_text(field),
            required=required,
            max_length=max_length,
            label=label,
            is_name=True,
        )

    def amount(
        self, name: str, *, label: str = "The amount", decimals: int | None = None
    ) -> Decimal:
        """An amount such as 1500, 1500.50 or 1'500.50 (read_amount); 0 with a field error
        when it is not one. Whether it is in range is the rules' business."""
        return self.checked_amount(name, self.raw_text(name), label=label, decimals=decimals)

    def checked_amount(
        self, field: str, raw: str, *, label: str = "The amount", decimals: int | None = None
    ) -> Decimal:
        """RAW read as `amount` reads a field, its problem reported on FIELD: for each value
        of a repeated field (the rows of a table)."""
        if not raw.strip():
            self.errors.setdefault(field, f"{label} is required.")
            return Decimal(0)
        value = read_amount(raw, decimals=decimals)
        if isinstance(value, str):
            self.errors.setdefault(field, value)
            return Decimal(0)
        return value

    def password(self, name: str) -> str:
        """Passwords are taken as typed: no trimming."""
        value = self.raw_text(name)
        if name in self.errors:
            return ""
        if not value:
            self.errors.setdefault(name, "Enter the password.")
        elif has_control_characters(value):
            self.errors.setdefault(name, CONTROL_CHARACTERS)
        return value

    def email(self, name: str = "email") -> str:
        value = self.text(name, required=True, max_length=320, label="The email address")
        if value and name not in self.errors:
            try:
                value = validate_email(value, check_deliverability=False).normalized.lower()
            except EmailNotValidError:
                self.errors[name] = "Enter a valid email address, such as name@example.ch."
        return value

    def choice(
        self, name: str, choices: Mapping[str, str] | tuple[str, ...], *, label: str = "a value"
    ) -> str:
        value = self.text(name)
        if value not in choices:
            self.errors.setdefault(name, f"Choose {label} from the list.")
        return value

    def checkbox(self, name: str) -> bool:
        return self.value(name) in {"on", "true", "1", "yes"}

    def integer(self, name: str, *, required: bool = True) -> int | None:
        raw = self.text(name)
        if not raw:
            if required:
                self.errors.setdefault(name, "Choose a value.")
            return None
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:  # '²'.isdigit() is true
            self.errors.setdefault(name, "Enter a whole number.")
            return None
        return int(raw)

    def day(self, name: str) -> date | None:
        raw = self.text(name)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors.setdefault(name, "Enter a date as YYYY-MM-DD.")
            return None

    def whole_set(self, name: str, chosen: list, *, problem: str) -> list:
        """CHOSEN replaces a whole set: it may be emptied only by the page's explicit "clear
        all" button (CLEAR_ALL), which empties it whatever was ticked. An empty submission
        otherwise (a lost body, a script) is PROBLEM, never an emptied set."""
        if self.checkbox(CLEAR_ALL):
            return []
        if not chosen:
            self.add(name, problem)
        return chosen

    def add(self, name: str, problem: str | None) -> None:
        if problem:
            self.errors.setdefault(name, problem)

    def check(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)


# --- the product search of forms that offer products to tick (templates/_product_choices.html)

PRODUCT_SEARCH = "products_q"
SEARCH_LENGTH = 100


def search_text(raw) -> str:
    """A name typed to search, as the search reads it: trimmed, its first 100 characters; text
    with control or invisible characters finds nothing to match, so it searches nothing."""
    text = raw.strip()[:SEARCH_LENGTH] if isinstance(raw, str) else ""
    unreadable = has_control_characters(text) or has_invisible_characters(text)
    return "" if unreadable else text


def product_search(params: Mapping) -> tuple[str, list[int] | None]:
    """What a form's product search sent: the name typed, and the products ticked at that
    moment, to keep ticked (None when the page was not asked by the search)."""
    if PRODUCT_SEARCH not in params:
        return "", None
    ticked = params.getall("products", []) if hasattr(params, "getall") else []
    ids = {int(v) for v in ticked if isinstance(v, str) and _short_digits(v)}
    return search_text(params.get(PRODUCT_SEARCH)), sorted(ids)


def _short_digits(text: str) -> bool:
    """ASCII digits ("²".isdigit() is true, and int() refuses it), short enough for int()."""
    return text.isascii() and text.isdigit() and len(text) < 12
