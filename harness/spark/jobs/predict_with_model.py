"""Loads a run's model through MLflow (as any client would: no storage keys, artifacts via the server) and
predicts the labels of the rows the training jobs use."""

import argparse

import mlflow.pyfunc
import pandas as pd

from jobcommon import report, training_rows

parser = argparse.ArgumentParser()
parser.add_argument("--model-uri", required=True)
args = parser.parse_args()

model = mlflow.pyfunc.load_model(args.model_uri)
rows = training_rows()
frame = pd.DataFrame({"features": [[x1, x2] for x1, x2, _ in rows]})
predictions = [float(value) for value in pd.Series(list(model.predict(frame))).tolist()]
report({"model_uri": args.model_uri, "flavors": sorted(model.metadata.flavors),
        "predictions": predictions, "labels": [label for _, _, label in rows]})
