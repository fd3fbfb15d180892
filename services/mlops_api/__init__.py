"""The platform's MLOps API (seed 004): training scripts submitted over HTTP run as Spark applications on the
platform's standalone master, tracked in its MLflow; registered models are listed and serve predictions.

A platform service: it imports nothing of the acceptance suite, which reaches it only over HTTP.
"""
