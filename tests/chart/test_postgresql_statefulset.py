"""postgresql/statefulset.yaml: the database, its volume sized by the values; none with an external one."""

from harness import chart


def test_the_database_volume_follows_its_values():
    rendered = chart.render("standalone-submit", "4.1.1", {"mlflow.postgresql.storage.size": "30Gi",
                                                          "mlflow.postgresql.storage.storageClass": "fast"})
    claim = rendered.workload("postgresql")["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["resources"]["requests"]["storage"] == "30Gi" and claim["storageClassName"] == "fast"
    env = chart.env_values(rendered.container("postgresql", "postgresql"))
    assert (env["POSTGRES_DB"], env["POSTGRES_USER"]) == ("mlflow", "mlflow")


def test_no_database_without_mlflow_or_with_an_external_one():
    assert "postgresql" not in chart.render("standalone-submit", "4.1.1", {"mlflow.enabled": "false"}).workload_components()
    external = chart.render("standalone-submit", "4.1.1", {"mlflow.postgresql.enabled": "false",
                                                           "mlflow.postgresql.host": "db",
                                                           "mlflow.postgresql.existingSecret": "db"})
    assert "postgresql" not in external.workload_components()
