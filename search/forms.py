from django import forms

from articles.models import Article

from .models import FILTER_KEYS
from .queries import ranked_ids, search_articles


class SearchForm(forms.Form):
    q = forms.CharField(required=False, strip=True)
    publisher = forms.SlugField(required=False)
    tag = forms.SlugField(required=False)
    since = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    until = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    error_messages = {"invalid_date": "Dates must be written as YYYY-MM-DD, for example 2026-05-31."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("since", "until"):
            self.fields[name].error_messages["invalid"] = self.error_messages["invalid_date"]
        for name in ("publisher", "tag"):
            self.fields[name].error_messages["invalid"] = "Unknown filter value."

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The “from” date must not be after the “to” date.")
        return data

    def filters(self) -> dict[str, str]:
        """The filters in use, as strings, for a SavedSearch and for links."""
        data = self.cleaned_data
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k in FILTER_KEYS if (v := data.get(k))}

    def results(self, *, among=None):
        """The articles this valid form asks for, best first (see queries.search_articles), or the rows of the
        ids `among` (a page of ranked_ids)."""
        return search_articles(Article.objects.select_related("publisher"), self.cleaned_data["q"], among=among,
                               **self._filters())  # fmt: skip

    def ranked_ids(self) -> list[int]:
        """The ids of the articles this valid form asks for, best first, cached (see queries.ranked_ids)."""
        return ranked_ids(self.cleaned_data["q"], **self._filters())

    def _filters(self) -> dict:
        data = self.cleaned_data
        return {"publisher": data["publisher"] or None, "hashtag": data["tag"] or None, "since": data["since"],
                "until": data["until"]}  # fmt: skip
