"""The SQL that recreates the full-text index at run time, for `repair` (run on post_migrate).

search/migrations/0002_fulltext.py runs its own frozen copy of these statements, never this module. To change the
index, change it here and add a new migration with its own copy of the new SQL; never edit 0002.
"""

# ruff: noqa: S608 - every statement here is built from module constants, never from input

from .queries import FTS_TABLE, VECTOR_SQL, VECTOR_TABLE

PG_CREATE = [
    f"CREATE TABLE IF NOT EXISTS {VECTOR_TABLE} (article_id bigint PRIMARY KEY, vector tsvector NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {VECTOR_TABLE}_gin ON {VECTOR_TABLE} USING GIN (vector)",
    f"""CREATE OR REPLACE FUNCTION {VECTOR_TABLE}_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM {VECTOR_TABLE} WHERE article_id = OLD.id;
        ELSE
            INSERT INTO {VECTOR_TABLE} (article_id, vector) VALUES (NEW.id, {VECTOR_SQL.format(t="NEW")})
            ON CONFLICT (article_id) DO UPDATE SET vector = EXCLUDED.vector;
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION {VECTOR_TABLE}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE {VECTOR_TABLE};
        RETURN NULL;
    END $$""",
    f"DROP TRIGGER IF EXISTS {VECTOR_TABLE}_row ON articles_article",
    f"""CREATE TRIGGER {VECTOR_TABLE}_row AFTER INSERT OR DELETE OR UPDATE OF title, body_text ON articles_article
    FOR EACH ROW EXECUTE FUNCTION {VECTOR_TABLE}_row()""",
    f"DROP TRIGGER IF EXISTS {VECTOR_TABLE}_truncate ON articles_article",
    f"""CREATE TRIGGER {VECTOR_TABLE}_truncate AFTER TRUNCATE ON articles_article
    FOR EACH STATEMENT EXECUTE FUNCTION {VECTOR_TABLE}_truncate()""",
    f"DELETE FROM {VECTOR_TABLE}",
    f"INSERT INTO {VECTOR_TABLE} (article_id, vector)"
    f" SELECT id, {VECTOR_SQL.format(t='articles_article')} FROM articles_article",
]
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
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(SQLITE_TABLE)
            for sql in TRIGGERS.values():
                cursor.execute(sql)
            for sql in SQLITE_REBUILD:
                cursor.execute(sql)
        elif connection.vendor == "postgresql":
            for sql in PG_CREATE:
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
