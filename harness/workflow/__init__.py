"""The training workflow of seed 004: a user's script submitted to the platform's Spark, followed to the end,
its model registered in MLflow and served."""
