"""Spark as the suite runs it: cached runtimes per version, local clusters, the jobs and what they must log."""
