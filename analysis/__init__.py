"""Text analysis without Django: copies (dedupe), vectors (embeddings, ann), stories (clustering),
related lists, hashtags and entities, sentences, key points and summaries, answers and grounding.

Pure functions over dataclasses and arrays; nothing here imports Django or any app, so every stage can
be run on gold text by bench/ and the tests (import-linter contract in pyproject.toml).
"""
