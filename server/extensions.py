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
        connection = g._autocommit_connection = autocommit_engine().connect()
    return connection


def autocommit_driver():
    """This app context's pooled DBAPI connection of the autocommit engine, with no
    SQLAlchemy Connection around it: building a Connection (and joining its event dispatch)
    costs more than the hot paths' single statement does on the client side. PostgreSQL's
    hot statements (domain/driver_sql.py) run on it. Returned when the app context ends."""
    fairy = g.get("_autocommit_driver")
    if fairy is None:
        fairy = g._autocommit_driver = autocommit_engine().raw_connection()
    return fairy


def invalidate_autocommit_driver(error: Exception) -> None:
    """The driver connection turned out dead: the pool drops it (and gets a new one later)."""
    fairy = g.pop("_autocommit_driver", None)
    if fairy is not None:
        fairy.invalidate(error)


def autocommit_engine() -> Engine:
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
    fairy = g.pop("_autocommit_driver", None)
    if fairy is not None:
        fairy.close()


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
    autocommit_engine().dispose()
    return True
