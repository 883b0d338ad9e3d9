"""Flask extensions, created once here and bound to the app in create_app()."""

from flask import Flask, current_app, g
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def autocommit_connection() -> Connection:
    """This app context's connection in autocommit, for the hot paths' single statements:
    a lone SELECT, or one atomic UPDATE … RETURNING, needs no BEGIN/COMMIT round trips.
    Checked out on first use and returned when the app context ends."""
    connection = g.get("_autocommit_connection")
    if connection is None:
        connection = g._autocommit_connection = _autocommit_engine().connect()
    return connection


def _autocommit_engine() -> Engine:
    """An engine whose connections stay in autocommit: its own pool, so no connection
    switches its isolation level (or rolls back) on every checkout and return."""
    engine = current_app.extensions.get("passport.autocommit_engine")
    if engine is None:
        options = dict(current_app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        engine = create_engine(
            db.engine.url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None, **options
        )
        engine = current_app.extensions.setdefault("passport.autocommit_engine", engine)
    return engine


def commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds, for a use case that reads its own
    rows right after (a sign-in's new session, the code a token response quotes): they are
    what was just written, and reloading them would cost a SELECT each."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def note_write() -> None:
    """Mark this request as having (maybe) changed the database: it is not retried."""
    g._database_written = True


@event.listens_for(Session, "before_commit")
def _commit_is_a_write(session) -> None:
    from flask import has_app_context

    if has_app_context():
        note_write()


def _return_autocommit_connection(_error=None) -> None:
    connection = g.pop("_autocommit_connection", None)
    if connection is not None:
        connection.close()


def init_database(app: Flask) -> None:
    db.init_app(app)
    app.teardown_appcontext(_return_autocommit_connection)


def may_retry_after(error: Exception) -> bool:
    """A request may run once more after `error` when a pooled connection turned out to be
    dead (the database restarted, or a proxy closed it while idle) and the request has not
    written anything yet: nothing is lost or done twice."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(error, DBAPIError) or not error.connection_invalidated:
        return False
    if g.get("_database_written"):
        return False
    _return_autocommit_connection()
    db.session.remove()
    # The database went away under both pools: start both afresh, not only the one that
    # noticed, or the second attempt meets the other pool's dead connection.
    db.engine.dispose()
    _autocommit_engine().dispose()
    return True
