"""Every setting the code reads is in config/defaults.toml with a comment, and in the
README's table; nothing is in either that the code does not know. A setting added without
its documentation, or documentation left behind by a removed one, fails here."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

from server.config import DERIVED, NO_DEFAULT

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(r'config(?:\.get\(|\[|\.setdefault\()\s*"([A-Z][A-Z0-9_]+)"')


def read_by_the_code() -> set[str]:
    names = set()
    for path in (ROOT / "server").rglob("*.py"):
        names |= set(READ.findall(path.read_text("utf-8")))
    return names


def defaults() -> tuple[dict, str]:
    text = (ROOT / "config" / "defaults.toml").read_text("utf-8")
    return tomllib.loads(text), text


def in_the_readme() -> set[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text[text.index("## Configuration") : text.index("## The `passport` command")]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_*]+)`", line.split("|")[1]))
    return names


def test_every_setting_the_code_reads_has_a_default_or_is_derived():
    settings, _text = defaults()
    missing = read_by_the_code() - set(settings) - NO_DEFAULT - DERIVED
    assert missing == set(), f"read by server/ but not in config/defaults.toml: {sorted(missing)}"


def test_every_default_is_read_by_the_code():
    settings, _text = defaults()
    unread = set(settings) - read_by_the_code()
    assert unread == set(), f"in config/defaults.toml but read nowhere: {sorted(unread)}"


def test_every_default_has_its_comment():
    """Each setting's line follows a comment, or a setting of the same block that does."""
    _settings, text = defaults()
    uncommented, commented = [], False
    for line in text.splitlines():
        if not line.strip():
            commented = False
        elif line.startswith("#"):
            commented = True
        elif re.match(r"[A-Z][A-Z0-9_]+\s*=", line) and not commented:
            uncommented.append(line.split("=")[0].strip())
    assert uncommented == []


def test_every_setting_is_in_the_readme_and_the_readme_names_settings_only():
    settings, _text = defaults()
    named = in_the_readme()
    known = set(settings) | NO_DEFAULT
    undocumented = {k for k in known if not any(fnmatch.fnmatch(k, n) for n in named)}
    assert undocumented == set(), f"not in the README's table: {sorted(undocumented)}"
    strangers = {n for n in named if not any(fnmatch.fnmatch(k, n) for k in known)}
    assert strangers == set(), f"in the README's table but no setting: {sorted(strangers)}"
