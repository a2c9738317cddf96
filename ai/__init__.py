"""Grounded AI: extractive key points and summaries, and verification of any sentence against its source.

Pure modules (no Django): ``sentences`` splits a body with exact offsets, ``keypoints`` selects and
trims the article's own sentences with the embedding model, ``grounding`` checks a claim.
"""
