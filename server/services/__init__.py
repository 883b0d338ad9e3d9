"""Use cases: one function per thing a person, a developer or an operator does; the only
code that commits."""
