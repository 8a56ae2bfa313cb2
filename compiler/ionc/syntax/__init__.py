"""Stage 1, parse: model text -> syntax tree (`nodes`) with source spans."""
