"""The analytics API: the results sync (`results`) and the metrics read (`metrics`)."""
