"""Core statements run on the driver's own connection, for the few statements of the hot paths.

SQLAlchemy Core still writes each statement's SQL for the dialect and converts the values
both ways (its own bind and result processors, so a UTCDateTime is the same here as
anywhere), but once per process instead of on every execution. What is skipped is the
per-execution machinery — the cache key, the execution context, the result object — which
costs more than the query itself on PostgreSQL (measured: 263 µs a SELECT through
Connection.execute against 89 µs on psycopg's connection, client side). Nor is a SQLAlchemy
Connection made at all: the statement runs on the pool's DBAPI connection itself.

Only PostgreSQL takes this path; SQLite (development) runs the statement through Core.
A driver error is raised as SQLAlchemy would raise it, a dead connection invalidated, so
the request retry of a dropped connection (Passport.dispatch_request) works the same; the
engine's before_cursor_execute listeners are told of each statement.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

from ..extensions import (
    autocommit_connection,
    autocommit_driver,
    autocommit_engine,
    invalidate_autocommit_driver,
)


class DriverStatement:
    def __init__(self, statement: ClauseElement):
        self.statement = statement
        self._compiled: tuple | None = None
        self._lock = threading.Lock()

    def first(self, values: Mapping) -> tuple | None:
        """The first row, or None, on this app context's autocommit connection."""
        engine = autocommit_engine()
        dialect = engine.dialect
        if dialect.name != "postgresql":
            row = autocommit_connection().execute(self.statement, values).first()
            return tuple(row) if row is not None else None
        compiled, sql, binds, processed = self._compile(dialect)
        parameters = compiled.construct_params(values)
        for key, process in binds:
            parameters[key] = process(parameters[key])
        fairy = autocommit_driver()
        driver = fairy.driver_connection
        # Listeners of the engine still hear every statement (the tests count round trips so).
        if engine.dispatch.before_cursor_execute:
            engine.dispatch.before_cursor_execute(None, None, sql, parameters, None, False)
        try:
            row = _cursor(fairy, driver).execute(sql, parameters).fetchone()
        except dialect.loaded_dbapi.Error as error:
            dead = dialect.is_disconnect(error, driver, None)
            if dead:
                invalidate_autocommit_driver(error)
            raise DBAPIError.instance(
                sql,
                parameters,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=dead,
                dialect=dialect,
            ) from error
        if row is None or not processed:
            return row
        row = list(row)
        for index, process in processed:
            row[index] = process(row[index])
        return tuple(row)

    def _compile(self, dialect: Dialect) -> tuple:
        if self._compiled is None:
            with self._lock:
                compiled = self.statement.compile(dialect=dialect)
                # A parameter used twice in the statement is converted once.
                binds = list(
                    {
                        key: process
                        for bind, key in compiled.bind_names.items()
                        if (process := bind.type._cached_bind_processor(dialect))
                    }.items()
                )
                results = [
                    (index, process)
                    for index, column_type in enumerate(_returned_types(self.statement))
                    if (process := column_type._cached_result_processor(dialect, None))
                ]
                self._compiled = (compiled, str(compiled), binds, results)
        return self._compiled


def _cursor(fairy, driver):
    """One cursor per pooled connection, made once: a new psycopg cursor per statement (with
    its adapters and transformer) costs a third of a short SELECT on the client side."""
    cursor = fairy.info.get("passport.cursor")
    if cursor is None or cursor.closed or cursor.connection is not driver:
        cursor = fairy.info["passport.cursor"] = driver.cursor()
    return cursor


def _returned_types(statement) -> list:
    if hasattr(statement, "selected_columns"):
        return [column.type for column in statement.selected_columns]
    return [column["type"] for column in statement.returning_column_descriptions]
