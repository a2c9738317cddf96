"""Reads of a reader's own state that pages show on every request."""

from django.db import connection

from readers.models import Follow, SavedArticle

# Every signed-in article page asks both, so in one statement written out: building the two ORM queries took
# longer than running them (on PostgreSQL, prepared after a few runs, the statement is not even planned again).
_SAVED_AND_FOLLOWING_SQL = """
    SELECT EXISTS (SELECT 1 FROM {saved} WHERE user_id = %s AND article_id = %s),
           EXISTS (SELECT 1 FROM {follow} WHERE user_id = %s AND publisher_id = %s)
"""


def saved_and_following(user_id: int, article_id: int, publisher_id: int) -> tuple[bool, bool]:
    """Whether the reader saved the article, and whether they follow its publisher."""
    tables = {"saved": SavedArticle._meta.db_table, "follow": Follow._meta.db_table}
    sql = _SAVED_AND_FOLLOWING_SQL.format(**{name: connection.ops.quote_name(t) for name, t in tables.items()})
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, article_id, user_id, publisher_id])
        saved, follows = cursor.fetchone()
    return bool(saved), bool(follows)
