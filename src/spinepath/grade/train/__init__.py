"""Training of the learned disc graders (needs the ``train`` extra: torch)."""
