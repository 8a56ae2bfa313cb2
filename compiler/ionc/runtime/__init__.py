"""Code that generated modules carry with them (inlined, so it needs only numpy)."""
