"""The web reader: everything between a URL and clean article text, without Django.

fetching (the only HTTP client of the pipeline), parsing (feeds, one module per format), canonical
(URLs and the one rule for what counts as a web address), extraction (the cascade), boilerplate
(publisher templates), sanitizing (the only producer of safe HTML). Pure functions over dataclasses;
nothing here imports Django or any app (import-linter contract in pyproject.toml).
"""
