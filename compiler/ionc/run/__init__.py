"""Stage 7, run: cache compiled modules, import them, run them, write outputs."""
