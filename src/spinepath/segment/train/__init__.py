"""Training of the built-in segmenter (needs the ``train`` extra: torch). Never imported at
inference time."""
