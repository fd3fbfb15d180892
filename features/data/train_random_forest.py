"""The training script of the MLOps report (seed 004): a RandomForest on 2,000 synthetic samples with 30
features, 75/25 split. It knows nothing of the platform: MLflow's tracking URI and run come from the
environment the platform gives it."""

import time

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow.models import infer_signature
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from sklearn.model_selection import train_test_split

PARAMS = {"n_estimators": 150, "max_depth": 15, "min_samples_split": 5, "min_samples_leaf": 2, "random_state": 42}
N_SAMPLES, N_FEATURES, TEST_SIZE = 2000, 30, 0.25

features, labels = make_classification(n_samples=N_SAMPLES, n_features=N_FEATURES, n_informative=15,
                                       random_state=PARAMS["random_state"])
frame = pd.DataFrame(features, columns=[f"f{i}" for i in range(N_FEATURES)])
x_train, x_test, y_train, y_test = train_test_split(frame, labels, test_size=TEST_SIZE,
                                                    random_state=PARAMS["random_state"])

with mlflow.start_run():
    mlflow.log_params({**PARAMS, "n_features": N_FEATURES, "n_samples": N_SAMPLES, "test_size": TEST_SIZE})
    mlflow.set_tags({"dataset": "synthetic", "environment": "production", "framework": "scikit-learn",
                     "model_type": "RandomForest", "task": "binary_classification"})
    started = time.perf_counter()
    model = RandomForestClassifier(**PARAMS).fit(x_train, y_train)
    training_time = time.perf_counter() - started
    predicted = model.predict(x_test)
    mlflow.log_metrics({
        "test_accuracy": accuracy_score(y_test, predicted),
        "test_precision": precision_score(y_test, predicted, average="weighted"),
        "test_recall": recall_score(y_test, predicted, average="weighted"),
        "test_f1_score": f1_score(y_test, predicted, average="weighted"),
        "train_accuracy": accuracy_score(y_train, model.predict(x_train)),
        "training_time_seconds": training_time,
        "feature_importances_mean": float(np.mean(model.feature_importances_)),
        "feature_importances_std": float(np.std(model.feature_importances_)),
    })
    example = x_test.head(5)
    # MLflow 3 saves scikit-learn models with skops, which loads only the types it is told to trust.
    mlflow.sklearn.log_model(model, name="model", signature=infer_signature(example, model.predict(example)),
                             input_example=example, skops_trusted_types=["sklearn.tree._tree.Tree"])
