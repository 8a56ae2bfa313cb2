"""Stages 2 and 3: resolve names and imports, check dimensions and units."""
