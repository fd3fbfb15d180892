"""MLflow as the suite meets it: the REST client, the server process and its chart variants, artifacts, the UI."""
