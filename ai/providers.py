"""Who writes AI text: the built-in extractive engine (always there) and, when configured, a
generative model behind an OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp's server or a
hosted service). Every generated sentence is verified against the source before it is shown."""

import time
from dataclasses import dataclass

import httpx

EXTRACTIVE = "extractive"
GENERATIVE = "generative"
# Bump when a prompt below changes: stored outputs made with another version are regenerated.
PROMPT_VERSION = "2026-12-03.1"

SUMMARY_PROMPT = (
    "Summarise the news article below in 2 or 3 short sentences. Use only facts stated in the article; "
    "do not add names, numbers or dates that are not in it. Write one sentence per line."
)
EXPLAINER_PROMPT = (
    "Explain the news article below to a reader who has not followed the story, in 3 short sentences. "
    "Use only facts stated in the article. Write one sentence per line."
)
ANSWER_PROMPT = (
    "Answer the question using only the article below. If the article does not contain the answer, reply "
    "exactly: The article doesn't say. Answer in at most 2 sentences, one per line."
)


# A few sentences are asked for; a model that rambles on (a small local one writes until its context is
# full) is cut here rather than spending the daily token budget and a worker's minutes on one article.
MAX_COMPLETION_TOKENS = 300


class ProviderError(Exception):
    """The generative model could not be used; the message is for the operator."""


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float


@dataclass(frozen=True)
class GenerativeSettings:
    url: str  # base URL, e.g. http://127.0.0.1:11434/v1
    model: str
    api_key: str = ""
    timeout: float = 60.0

    @property
    def configured(self) -> bool:
        return bool(self.url and self.model)


class OpenAICompatibleProvider:
    """POST {url}/chat/completions with the OpenAI chat protocol."""

    name = GENERATIVE

    def __init__(self, config: GenerativeSettings, *, client: httpx.Client | None = None) -> None:
        if not config.configured:
            raise ProviderError("No generative model is configured (TIDINGS_LLM_URL and TIDINGS_LLM_MODEL).")
        self.config = config
        self._client = client or httpx.Client(timeout=config.timeout)

    def complete(
        self, instructions: str, article: str, *, question: str = "", max_tokens: int = MAX_COMPLETION_TOKENS
    ) -> Completion:
        user = f"Article:\n{article}" + (f"\n\nQuestion: {question}" if question else "")
        headers = {"Authorization": f"Bearer {self.config.api_key}"} if self.config.api_key else {}
        payload = {
            "model": self.config.model,
            "messages": [{"role": "system", "content": instructions}, {"role": "user", "content": user}],
            "temperature": 0,
            "max_tokens": max_tokens,
        }
        started = time.monotonic()
        try:
            response = self._client.post(
                self.config.url.rstrip("/") + "/chat/completions", json=payload, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise ProviderError("The generative model did not answer in time.") from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"The generative model could not be reached ({exc.__class__.__name__}).") from exc
        if response.status_code != 200:
            raise ProviderError(f"The generative model answered with HTTP {response.status_code}.")
        try:
            data = response.json()
            text = data["choices"][0]["message"]["content"] or ""
            usage = data.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError("The generative model's answer was not in the OpenAI chat format.") from exc
        return Completion(
            text=text.strip(),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            seconds=time.monotonic() - started,
        )
