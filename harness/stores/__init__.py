"""The platform's stores on the local target: PostgreSQL (backend store) and an S3 server (artifacts)."""
