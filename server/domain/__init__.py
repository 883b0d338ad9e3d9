"""The records' rules: owner check, credential change, grants, sessions, factors and the
other building blocks the use cases share. No request, no commit."""
