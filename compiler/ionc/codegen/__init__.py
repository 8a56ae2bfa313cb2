"""Stage 6, emit: derived equations -> one readable, standalone numpy module."""
