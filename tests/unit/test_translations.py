"""Every string a person can see exists in Russian: a new string without a translation fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def source_strings() -> set[str]:
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = set()
    for folder in ("server", "templates"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map, options_map, keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def russian_catalog():
    with (ROOT / "translations/ru/LC_MESSAGES/messages.po").open("rb") as handle:
        return read_po(handle)


def test_every_source_string_has_a_russian_translation():
    catalog = russian_catalog()
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]  # a plural by its singular, as extracted
        for m in catalog
        if m.id and m.string and all(m.string) and "fuzzy" not in m.flags
    }
    missing = sorted(source_strings() - translated)
    assert not missing, (
        "untranslated (run pybabel extract/update, see translations/README.md): "
        + repr(missing[:10])
    )


def test_catalog_placeholders_match():
    for message in russian_catalog():
        if not message.id or not isinstance(message.id, str):
            continue
        for name in ("%(", "%d", "%s"):
            assert message.id.count(name) == message.string.count(name), message.id


MESSAGE_TEMPLATES = sorted(
    [*(ROOT / "templates/mail").glob("*.txt"), *(ROOT / "templates/mail").glob("*.html")]
    + [*(ROOT / "templates/sms").glob("*.txt")]
)
# What a message template may hold outside {{ _(…) }}: Jinja, markup, the subject line's
# prefix (read by notifications.render), entities, punctuation, and no words.
NOT_WORDS = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<[^>]*>|^Subject:|&\w+;", re.S | re.M)


@pytest.mark.parametrize("template", MESSAGE_TEMPLATES, ids=lambda p: p.parent.name + "/" + p.name)
def test_a_message_template_has_no_words_outside_gettext(template):
    left = NOT_WORDS.sub(" ", template.read_text())
    assert not re.search(r"[^\W\d_]", left), f"words outside _(): {left.split()!r}"


SAMPLE = {
    "code": "123456",
    "kind": "email",
    "new_value": "new@example.org",
    "old_value": "old@example.org",
    "network": "github",
    "failures": 5,
    "remaining": 2,
    "upstream": {"name": "Octo Cat", "email": "octo@example.org"},
}


@pytest.mark.parametrize("template", MESSAGE_TEMPLATES, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_message_reads_in_russian(app, template):
    """Rendered in Russian, a mail or SMS is Russian: Cyrillic, and no sentence of its
    English version left in it."""
    from flask import render_template
    from flask_babel import force_locale

    name = f"{template.parent.name}/{template.name}"
    with app.test_request_context():
        texts = {}
        for language in ("en", "ru"):
            with force_locale(language):
                texts[language] = render_template(name, **SAMPLE)
    english = {s.strip() for s in re.split(r"<[^>]*>|\n", texts["en"]) if len(s.strip()) > 12}
    russian = texts["ru"]
    assert re.search("[а-яА-Я]", russian), name
    left = sorted(s for s in english if s in russian and re.search("[a-z]{4}", s))
    assert not [s for s in left if "@" not in s and "http" not in s], left
