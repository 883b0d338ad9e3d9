"""Every string a person can see exists in Russian: a new string without a translation fails here."""

from __future__ import annotations

from pathlib import Path

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
    translated = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
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
