"""Shapes of the JSON API (for the mobile app), kept off the models: one module per resource."""
