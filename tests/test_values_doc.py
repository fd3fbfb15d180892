"""The chart README's values table is generated from values.yaml and must be current."""

from harness.chart import CHART_DIR
from harness.chart.values_doc import documented_values, with_table


def test_the_readme_table_is_current():
    readme = (CHART_DIR / "README.md").read_text()
    assert with_table(readme, (CHART_DIR / "values.yaml").read_text()) == readme, \
        "values.yaml changed: run `python -m harness.chart.values_doc` and commit the README"


def test_keys_defaults_and_comments_are_read_with_their_paths():
    text = """# -- Deployment mode.
mode: standalone-submit
spark:
  # -- Worker count; more lines
  #    continue the comment.
  replicas: 2
  images:
    "4.1.1": apache/spark:4.1.1
  gpu:
    tolerations:
      - {key: nvidia.com/gpu}
  # A plain comment is not documentation.
  extraConf: {}
"""
    rows = {value.path: (value.default, value.doc) for value in documented_values(text)}
    assert rows == {
        "mode": ("standalone-submit", "Deployment mode."),
        "spark.replicas": ("2", "Worker count; more lines continue the comment."),
        "spark.images.4.1.1": ("apache/spark:4.1.1", ""),
        "spark.gpu.tolerations": ("(list)", ""),
        "spark.extraConf": ("{}", ""),
    }
