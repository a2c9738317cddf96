"""Stories (coverage of one event across publishers) and hashtags."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from ninja import Field as NinjaField
from ninja import Query, Router, Schema

from ai import actions as ai_actions
from articles.models import Article
from stories.models import STORY_LEADS, STORY_TIMELINE_PAGE, Hashtag, Story

from ..auth import reader
from ..problems import ApiProblem
from ..schemas.common import ObjectId, TrendingHashtagOut
from ..schemas.stories import HashtagOut, StoryDetailOut, StoryOut
from ..serialize import article_summary, publisher_ref
from .articles import PAGE_SIZE, article_page, listed_articles

router = Router(tags=["stories and hashtags"])
TOP_STORIES = 20
TRENDING_TAGS = 30


class Limit(Schema):
    limit: int = NinjaField(TOP_STORIES, ge=1, le=100)


def _story(story: Story, lead: Article | None = None) -> dict:
    coverage = getattr(story, "coverage", [])
    lead = lead or (coverage[0] if coverage else None)
    return {
        "id": story.pk,
        "title": story.title,
        "first_published_at": story.first_published_at,
        "last_published_at": story.last_published_at,
        "article_count": story.article_count,
        "publisher_count": story.publisher_count,
        "publishers": story.coverage_publishers(),
        "lead": article_summary(lead) if lead else None,
    }


@router.get("/stories", response=list[StoryOut], summary="Top stories: told by several publishers, freshest")
def top_stories(request, params: Query[Limit]):
    reader(request)
    stories = list(Story.objects.top()[: params.limit])
    # top() loads only the coverage the home page shows; the leads' other fields come in one more query.
    leads = Article.objects.select_related("publisher").in_bulk([s.coverage[0].pk for s in stories if s.coverage])
    return [_story(s, leads.get(s.coverage[0].pk) if s.coverage else None) for s in stories]


def _timeline_item(article: Article) -> dict:
    return {**article_summary(article), "duplicate_of": article.duplicate_of_id}


def _briefing(output) -> dict | None:
    if output is None:
        return None
    content = output.content
    return {
        "points": [
            {"text": p["text"], "citations": [list(c) for c in p["citations"]], "publishers": list(p["publishers"]),
             "only_in": p["only_in"]}
            for p in content.get("points", [])
        ],
        "differences": [
            {"what": d["what"], "values": [{"value": v, "publishers": list(pubs)} for v, pubs in d["values"]]}
            for d in content.get("differences", [])
        ],
    }  # fmt: skip


class StoryPage(Schema):
    page: int = NinjaField(1, ge=1, le=100_000)


@router.get("/stories/{story_id}", response=StoryDetailOut, summary="A story: first reports, timeline, briefing")
def get_story(request, story_id: ObjectId, params: Query[StoryPage]):
    """The same pages as the story's web page: `leads` (each publisher's first report, at most STORY_LEADS), the
    briefing (on page 1 only) and the timeline in pages of STORY_TIMELINE_PAGE articles, oldest first (?page=N;
    `pages` says how many). `coverage` groups this page's articles by publisher. A story merged into another
    answers with the story that holds its articles now (compare the ids)."""
    reader(request)
    story = get_object_or_404(Story, pk=story_id)
    if story.merged_into_id:
        story = get_object_or_404(Story, pk=story.merged_into_id)
    paginator = Paginator(story.timeline().select_related("publisher"), STORY_TIMELINE_PAGE)
    if params.page > paginator.num_pages:
        raise ApiProblem(404, f"This story has {paginator.num_pages} page(s) of coverage.")
    timeline = list(paginator.page(params.page).object_list)
    first_page = params.page == 1
    leads = list(story.leads().select_related("publisher")[:STORY_LEADS])
    story.coverage = leads
    groups: dict = {}
    for article in timeline:
        groups.setdefault(article.publisher.pk, (article.publisher, []))[1].append(_timeline_item(article))
    return {
        **_story(story),
        "leads": [_timeline_item(a) for a in leads],
        "coverage": [{"publisher": publisher_ref(p), "articles": items} for p, items in groups.values()],
        "timeline": [_timeline_item(a) for a in timeline],
        "page": params.page,
        "pages": paginator.num_pages,
        "briefing": _briefing(ai_actions.story_briefing(story)) if first_page else None,
    }


class TrendingLimit(Schema):
    limit: int = NinjaField(TRENDING_TAGS, ge=1, le=100)


@router.get("/hashtags", response=list[TrendingHashtagOut], summary="Trending hashtags")
def trending_hashtags(request, params: Query[TrendingLimit]):
    reader(request)
    return [
        {"slug": t.slug, "label": t.label, "recent_articles": t.recent_articles}
        for t in Hashtag.objects.trending()[: params.limit]
    ]


@router.get("/hashtags/{slug}", response=HashtagOut, summary="A hashtag and its latest articles")
def get_hashtag(request, slug: str):
    reader(request)
    hashtag = get_object_or_404(Hashtag, slug=slug)
    articles = listed_articles().filter(article_hashtags__hashtag=hashtag)
    first_page = article_page(articles, cursor=None, limit=PAGE_SIZE)
    return {"slug": hashtag.slug, "label": hashtag.label, "articles": first_page}
