"""The domain never commits: the use case that calls it owns the transaction."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import server.domain

DOMAIN = Path(server.domain.__file__).parent


def commits(path: Path) -> list[str]:
    """Every `commit(` / `commit_keeping_loaded(` call in the file's code (not its text)."""
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
        if t.type in (tokenize.NAME, tokenize.OP)
    ]
    return [
        f"{path.name}:{name.start[0]}"
        for name, after in zip(tokens, tokens[1:], strict=False)
        if name.type == tokenize.NAME and name.string.startswith("commit") and after.string == "("
    ]


def test_the_domain_has_no_commit():
    found = [hit for path in sorted(DOMAIN.glob("*.py")) for hit in commits(path)]
    assert found == []


def test_the_check_sees_a_commit(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""commit() in a docstring is text."""\ndb.session.commit()\n')
    assert commits(sample) == ["sample.py:2"]
