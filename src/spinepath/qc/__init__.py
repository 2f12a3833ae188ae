"""Quality-control pictures and records for a run."""
