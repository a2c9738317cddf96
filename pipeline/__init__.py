"""The pipeline: the only code that calls several apps.

ingest (refresh a feed; fetch and extract its new pages), export (the JSONL of every article), retention
(pruning old articles), and tasks (the background task definitions: ids in, one call here or in an app's
actions). Below it sit the apps, each the only writer of its own models, and below them the Django-free
libraries reader/ and analysis/ (docs/architecture.md).
"""
