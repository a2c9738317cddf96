"""The SQL that recreates the SQLite full-text index at run time, for `repair` (run on post_migrate).

search/migrations/0002_fulltext.py runs its own frozen copy of these statements, never this module. To change the
index, change it here and add a new migration with its own copy of the new SQL; never edit 0002.
"""

# ruff: noqa: S608 - every statement here is built from module constants, never from input

from .queries import FTS_TABLE

TRIGGERS = {
    "search_article_ai": (
        "CREATE TRIGGER IF NOT EXISTS search_article_ai AFTER INSERT ON articles_article BEGIN"
        f" INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, new.title, new.body_text); END"
    ),
    "search_article_au": (
        "CREATE TRIGGER IF NOT EXISTS search_article_au AFTER UPDATE OF title, body_text ON articles_article BEGIN"
        f" DELETE FROM {FTS_TABLE} WHERE rowid = old.id;"
        f" INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, new.title, new.body_text); END"
    ),
    "search_article_ad": (
        "CREATE TRIGGER IF NOT EXISTS search_article_ad AFTER DELETE ON articles_article BEGIN"
        f" DELETE FROM {FTS_TABLE} WHERE rowid = old.id; END"
    ),
}
SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(title, body,"
    " tokenize = 'porter unicode61 remove_diacritics 2')"
)
SQLITE_REBUILD = [
    f"DELETE FROM {FTS_TABLE}",
    f"INSERT INTO {FTS_TABLE}(rowid, title, body) SELECT id, title, body_text FROM articles_article",
]


def create(connection) -> None:
    """The SQLite index, its triggers and its rows. (PostgreSQL alters tables in place, keeping triggers:
    its index is only ever built by the migration.)"""
    with connection.cursor() as cursor:
        cursor.execute(SQLITE_TABLE)
        for sql in TRIGGERS.values():
            cursor.execute(sql)
        for sql in SQLITE_REBUILD:
            cursor.execute(sql)


def repair(connection) -> bool:
    """Recreate missing SQLite triggers and rebuild the index; True if anything was missing.

    Django's SQLite schema editor rebuilds a table to alter it, which silently drops its triggers: after any
    future migration of articles_article, this (run on post_migrate) puts them back and reindexes.
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT type, name FROM sqlite_master WHERE name IN (%s, %s)", [FTS_TABLE, "articles_article"])
        if len(cursor.fetchall()) < 2:
            return False  # not migrated that far (yet)
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'articles_article'")
        present = {row[0] for row in cursor.fetchall()}
        if set(TRIGGERS) <= present:
            return False
    create(connection)
    return True
