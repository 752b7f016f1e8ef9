"""``make migration MESSAGE="..."``: write the next Alembic revision after a table changed.

Builds a throw-away SQLite database at the newest revision and lets Alembic
compare it with the tables; review the generated file before committing it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from hub.store.sql.schema import autogenerate, register_tables, upgrade
from hub.store.sql.store import make_engine


def main(message: str) -> None:
    register_tables()
    with tempfile.TemporaryDirectory() as work:
        engine = make_engine(f"sqlite:///{Path(work) / 'schema.db'}")
        upgrade(engine)
        autogenerate(engine, message)
        engine.dispose()


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "schema change")
