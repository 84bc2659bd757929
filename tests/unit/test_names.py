"""Names refuse characters that show nothing or turn the text around (they make one name look
like another, or reorder what a page shows), and keep every script, accents and emoji."""

from __future__ import annotations

import pytest

from portal.forms import INVISIBLE_CHARACTERS, Form, has_invisible_characters

INVISIBLE = [
    *map(chr, range(0x202A, 0x202F)),  # embeddings and overrides: LRE RLE PDF LRO RLO
    *map(chr, range(0x2066, 0x206A)),  # isolates: LRI RLI FSI PDI
    *map(chr, range(0x200B, 0x2010)),  # zero-width space, ZWNJ, ZWJ, LRM, RLM
    *map(chr, range(0x2060, 0x2065)),  # word joiner, invisible operators
    "\ufeff",  # byte order mark
    "\u00ad",  # soft hyphen
    "\u061c",  # Arabic letter mark
    "\u180e",  # Mongolian vowel separator
    "\U000e0041",  # a tag character outside a flag
    "\ue000",  # private use
    "\U0010fffd",  # private use, plane 16
    "\u0378",  # unassigned
    "\u3164",  # Hangul filler: a letter that draws nothing
    "\u2800",  # the blank Braille pattern
]
NAMES = [
    "Zoë Ångström",
    "Müller & Söhne GmbH",
    "Ñandú Diseño",
    "Łódź Studio",
    "東京デザイン株式会社",
    "서울 웹",
    "مؤسسة الويب",
    "סטודיו אינטרנט",
    "Ελληνική Εταιρεία",
    "Café ☕ Zürich",
    "👩‍💻 Devs",  # woman technologist: a joiner between two emoji
    "👩🏽‍💻",  # with a skin tone
    "🏳️‍🌈 Team",  # a variation selector before the joiner
    "❤️‍🔥",
    "👨‍👩‍👧‍👦 Family AG",
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f Scots",  # a flag
    "🫨 Shaking",  # an emoji newer than Python's own Unicode tables
]


@pytest.mark.parametrize("character", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_a_name_with_an_invisible_character_is_a_field_error(character, where):
    name = {
        "start": character + "Anna",
        "middle": "An" + character + "na",
        "end": "Anna" + character,
    }
    form = Form({"full_name": name[where]})
    form.name("full_name")
    assert form.errors == {"full_name": INVISIBLE_CHARACTERS}


@pytest.mark.parametrize("name", NAMES)
def test_names_in_any_script_and_with_emoji_are_welcome(name):
    form = Form({"full_name": name})
    assert form.name("full_name") == name
    assert form.errors == {}


@pytest.mark.parametrize(
    "joined",
    [
        "a\u200db",  # between letters
        "👩\u200d",  # after an emoji, before nothing
        "\u200d💻",  # before an emoji, after nothing
        "👩\u200d\u200d💻",  # two joiners
        "x\u200d💻",  # a letter and an emoji
        "\U000e0067\U000e0062",  # tags without their flag
        "\U0001f3f4\U000e0067\U000e0062",  # a flag whose tags never end
    ],
)
def test_a_joiner_or_a_tag_outside_an_emoji_sequence_is_refused(joined):
    assert has_invisible_characters(joined)


def test_a_control_character_is_explained_as_such_in_a_name():
    form = Form({"title": "Bron\x00ze"})
    form.name("title")
    assert form.errors == {"title": "Remove the control characters (such as NUL) from this field."}


def test_free_text_keeps_direction_marks():
    """A description in Hebrew or Arabic may need a direction mark; only names refuse them."""
    form = Form({"description": "מחיר\u200f 100 CHF"})
    form.text("description", multiline=True)
    assert form.errors == {}
