"""Full-text index over articles: an FTS5 table kept by triggers on SQLite, a stored tsvector table with a GIN index
kept by a PL/pgSQL trigger on PostgreSQL.

The SQL is frozen here, copied verbatim from search/fulltext.py as it stood when this migration was written: an
applied migration must build the same schema on every fresh database, whatever the application code says later.
Change the index in a new migration, never by editing these statements or by importing them from app code.
"""

from django.db import migrations

SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_articlefts USING fts5(title, body,"
    " tokenize = 'porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS search_article_ai AFTER INSERT ON articles_article BEGIN"
    " INSERT INTO search_articlefts(rowid, title, body) VALUES (new.id, new.title, new.body_text); END",
    "CREATE TRIGGER IF NOT EXISTS search_article_au AFTER UPDATE OF title, body_text ON articles_article BEGIN"
    " DELETE FROM search_articlefts WHERE rowid = old.id;"
    " INSERT INTO search_articlefts(rowid, title, body) VALUES (new.id, new.title, new.body_text); END",
    "CREATE TRIGGER IF NOT EXISTS search_article_ad AFTER DELETE ON articles_article BEGIN"
    " DELETE FROM search_articlefts WHERE rowid = old.id; END",
    "DELETE FROM search_articlefts",
    "INSERT INTO search_articlefts(rowid, title, body) SELECT id, title, body_text FROM articles_article",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_article_ai",
    "DROP TRIGGER IF EXISTS search_article_au",
    "DROP TRIGGER IF EXISTS search_article_ad",
    "DROP TABLE IF EXISTS search_articlefts",
]
PG_CREATE = [
    "CREATE TABLE IF NOT EXISTS search_articlevector (article_id bigint PRIMARY KEY, vector tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS search_articlevector_gin ON search_articlevector USING GIN (vector)",
    """CREATE OR REPLACE FUNCTION search_articlevector_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM search_articlevector WHERE article_id = OLD.id;
        ELSE
            INSERT INTO search_articlevector (article_id, vector) VALUES (NEW.id, (setweight(to_tsvector('english'::regconfig, NEW."title"), 'A') || setweight(to_tsvector('english'::regconfig, NEW."body_text"), 'B')))
            ON CONFLICT (article_id) DO UPDATE SET vector = EXCLUDED.vector;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION search_articlevector_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE search_articlevector;
        RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS search_articlevector_row ON articles_article",
    """CREATE TRIGGER search_articlevector_row AFTER INSERT OR DELETE OR UPDATE OF title, body_text ON articles_article
    FOR EACH ROW EXECUTE FUNCTION search_articlevector_row()""",
    "DROP TRIGGER IF EXISTS search_articlevector_truncate ON articles_article",
    """CREATE TRIGGER search_articlevector_truncate AFTER TRUNCATE ON articles_article
    FOR EACH STATEMENT EXECUTE FUNCTION search_articlevector_truncate()""",
    "DELETE FROM search_articlevector",
    "INSERT INTO search_articlevector (article_id, vector)"
    " SELECT id, (setweight(to_tsvector('english'::regconfig, articles_article.\"title\"), 'A')"
    " || setweight(to_tsvector('english'::regconfig, articles_article.\"body_text\"), 'B')) FROM articles_article",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS search_articlevector_row ON articles_article",
    "DROP TRIGGER IF EXISTS search_articlevector_truncate ON articles_article",
    "DROP FUNCTION IF EXISTS search_articlevector_row()",
    "DROP FUNCTION IF EXISTS search_articlevector_truncate()",
    "DROP TABLE IF EXISTS search_articlevector",
]


def _run(schema_editor, statements_by_vendor):
    # Any other database gets no full-text index, as before: search_articles refuses to run there.
    statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def forwards(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_CREATE, "postgresql": PG_CREATE})


def backwards(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": PG_DROP})


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_article_story"),
        ("search", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
