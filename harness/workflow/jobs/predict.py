"""Loads a model through MLflow (a models:/ or runs:/ URI) in the job's environment and predicts the rows of a
pandas "split" JSON file: the in-process predictions a served model must match."""

import json
import sys

import mlflow.pyfunc
import pandas as pd

from jobcommon import report

model_uri, rows_file = sys.argv[1], sys.argv[2]
split = json.loads(open(rows_file).read())
model = mlflow.pyfunc.load_model(model_uri)
predictions = model.predict(pd.DataFrame(split["data"], columns=split["columns"]))
report({"model_uri": model_uri, "predictions": [value.item() if hasattr(value, "item") else value
                                                for value in predictions]})
