"""Full-text search, as on the search page: words, "exact phrases" and -exclusions, best first."""

from ninja import Field as NinjaField
from ninja import Query, Router, Schema

from articles.models import Article
from search.queries import in_order, parse_query, ranked_ids, search_articles

from ..auth import reader
from ..problems import ApiProblem
from ..schemas.common import Day
from ..schemas.search import SearchPage
from ..serialize import article_summary

router = Router(tags=["search"])
RESULTS_PER_PAGE = 20
MAX_PAGE = 50  # relevance pages past this are noise; narrow the query instead


class SearchParams(Schema):
    q: str = NinjaField(max_length=500)
    publisher: str | None = NinjaField(None, description="publisher slug")
    hashtag: str | None = NinjaField(None, description="hashtag slug")
    since: Day | None = None
    until: Day | None = None
    page: int = NinjaField(1, ge=1, le=MAX_PAGE)


@router.get("/search", response=SearchPage, summary="Search articles")
def search(request, params: Query[SearchParams]):
    reader(request)
    if problem := parse_query(params.q).problem:
        raise ApiProblem(400, problem)
    filters = {"publisher": params.publisher, "hashtag": params.hashtag, "since": params.since, "until": params.until}
    ids = ranked_ids(params.q, **filters)  # as the search page: ranked once, cached, then one query a page
    start = (params.page - 1) * RESULTS_PER_PAGE
    page_ids = ids[start : start + RESULTS_PER_PAGE]
    rows = in_order(search_articles(Article.objects.select_related("publisher"), params.q, among=page_ids, **filters),
                    page_ids) if page_ids else []  # fmt: skip
    return {
        "results": [{"article": article_summary(a), "snippet_html": str(a.snippet)} for a in rows],
        "page": params.page,
        "has_next": len(ids) > start + RESULTS_PER_PAGE,
    }
