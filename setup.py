"""The one build step pyproject.toml cannot say: the wheel carries what Passport reads at
run time besides its code.

templates/, static/, migrations/, translations/ and config/ lie beside server/ in the
checkout (DESIGN.md's layout). Building the package copies them into server/files/ of the
wheel, where server/config.py looks first, and compiles the message catalogs (.po → .mo)
there, so an installed Passport speaks Russian without `make`. An editable install
(`pip install -e .`, the checkout's own) reads them where they lie.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
FOLDERS = ("templates", "static", "migrations")
CONFIG_FILES = ("defaults.toml", "production.example.toml", "upstream-providers.example.toml")
LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")


class BuildWithFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        files = Path(self.build_lib) / "server" / "files"
        for folder in FOLDERS:
            shutil.copytree(HERE / folder, files / folder, ignore=LEFT_OUT, dirs_exist_ok=True)
        (files / "config").mkdir(parents=True, exist_ok=True)
        for name in CONFIG_FILES:
            shutil.copy2(HERE / "config" / name, files / "config" / name)
        _compile_catalogs(HERE / "translations", files / "translations")


def _compile_catalogs(source: Path, target: Path) -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        language = po.parent.parent.name
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        missing = [message.id for message in catalog if message.id and not message.string]
        if missing:
            raise SystemExit(f"{po}: {len(missing)} messages not translated, e.g. {missing[0]!r}")
        mo = target / language / "LC_MESSAGES" / "messages.mo"
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as handle:
            write_mo(handle, catalog)


setup(cmdclass={"build_py": BuildWithFiles})
