"""A LogisticRegression model trained over Spark Connect, as an MLflow pyfunc model: Spark's own model
writer needs a SparkContext, which Connect does not offer, so the fitted coefficients are served in Python.
Input: a DataFrame with a "features" column of [x1, x2]; output: the predicted label (0.0 or 1.0)."""

import math

import mlflow.pyfunc


class LogisticScorer(mlflow.pyfunc.PythonModel):
    def __init__(self, coefficients: list[float], intercept: float) -> None:
        self.coefficients = coefficients
        self.intercept = intercept

    def probability(self, features: list[float]) -> float:
        margin = self.intercept + sum(w * x for w, x in zip(self.coefficients, features))
        return 1.0 / (1.0 + math.exp(-margin))

    def predict(self, context, model_input, params=None):
        return [1.0 if self.probability(list(row)) > 0.5 else 0.0 for row in model_input["features"]]
