"""harness/spark/chart_settings.py: the only place the local Spark departs from the chart, each departure named."""

import dataclasses
from pathlib import Path

from harness import chart
from harness.spark.chart_settings import (FAST_JVM_OPTIONS, MASTER_ADDRESS_REASON, LocalEndpoints, connect_port,
                                          connect_server_args, daemon_settings, job_settings)

LOCAL = LocalEndpoints(master_url="spark://127.0.0.1:7000", scratch=Path("/run"), jdbc_host="127.0.0.1",
                       jdbc_port=5999, jdbc_password="pw-from-secret", s3_endpoint="http://127.0.0.1:9999",
                       gpu_discovery_script=Path("/jobs/gpu_discovery_simulated.sh"), spark_secret="s3cret-of-the-run")


def test_endpoints_are_translated_and_everything_else_is_the_charts():
    rendered = chart.render("standalone-submit", "4.1.1")
    settings = job_settings(rendered, LOCAL)
    assert settings.conf["spark.master"] == LOCAL.master_url
    assert settings.conf["spark.jars.ivy"] == "/run/.ivy2"
    assert settings.conf["spark.executor.memory"] == rendered.spark_conf()["spark.executor.memory"]
    assert {t.setting for t in settings.translations} == {"spark.master", "spark.jars.ivy",
                                                          "spark.authenticate.secret", *SPEED_SETTINGS}
    assert MASTER_ADDRESS_REASON in settings.report()


SPEED_SETTINGS = {"spark.ui.enabled", "spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions"}


def test_speed_settings_are_named_in_the_report_and_keep_the_charts_java_options():
    rendered = chart.render("standalone-submit", "4.1.1",
                            {"spark.extraConf.spark\\.executor\\.extraJavaOptions": "-Dcorp.proxy=on"})
    settings = job_settings(rendered, LOCAL)
    assert settings.conf["spark.executor.extraJavaOptions"] == f"-Dcorp.proxy=on {FAST_JVM_OPTIONS}"
    assert settings.conf["spark.driver.extraJavaOptions"] == FAST_JVM_OPTIONS
    assert settings.conf["spark.ui.enabled"] == "false"
    assert all(setting in settings.report() for setting in SPEED_SETTINGS)


def test_a_broken_setting_in_the_chart_reaches_the_local_spark_unchanged():
    rendered = chart.render("gpu", "4.1.1", {"spark.extraConf.spark\\.task\\.resource\\.gpux\\.amount": "1"})
    assert job_settings(rendered, LOCAL).conf["spark.task.resource.gpux.amount"] == "1"


def test_gpu_mode_keeps_the_amounts_and_swaps_only_the_discovery_script():
    settings = job_settings(chart.render("gpu", "3.5.7"), LOCAL)
    assert settings.conf["spark.executor.resource.gpu.amount"] == "1"
    assert settings.conf["spark.executor.resource.gpu.discoveryScript"] == str(LOCAL.gpu_discovery_script)


def test_iceberg_without_a_spark_runtime_drops_the_catalog_and_says_why():
    settings = job_settings(chart.render("iceberg", "4.1.1"), LOCAL)
    assert not [key for key in settings.conf if key.startswith("spark.sql.catalog.")]
    assert "spark.jars.packages" not in settings.conf
    assert "reads with pyiceberg" in settings.report()


def test_iceberg_with_a_runtime_points_the_catalog_at_local_services_and_masks_the_password():
    local = LocalEndpoints(**{**LOCAL.__dict__, "iceberg_jars": (Path("/jars/iceberg.jar"), Path("/jars/pg.jar"))})
    settings = job_settings(chart.render("iceberg", "3.5.7"), local)
    assert settings.conf["spark.sql.catalog.lakehouse.uri"] == "jdbc:postgresql://127.0.0.1:5999/mlflow"
    assert settings.conf["spark.sql.catalog.lakehouse.jdbc.password"] == "pw-from-secret"
    assert settings.conf["spark.sql.catalog.lakehouse.type"] == "jdbc"
    assert settings.conf["spark.jars"] == "/jars/iceberg.jar,/jars/pg.jar"
    assert settings.conf["spark.sql.catalog.lakehouse.warehouse"] == "file:///run/iceberg-warehouse"
    assert "spark.sql.catalog.lakehouse.io-impl" not in settings.conf
    assert "pw-from-secret" not in settings.report() and "AWS bundle" in settings.report()


def test_one_local_worker_offers_what_all_the_charts_workers_offer():
    daemons = daemon_settings(chart.render("standalone-submit", "4.1.1", {"spark.worker.replicas": "3"}), None, None, "s")
    assert (daemons.worker_cores, daemons.worker_memory_mb) == (6, 6144)
    assert daemons.worker_opts == "" and daemons.daemon_memory == "512m"


def test_gpu_workers_get_the_charts_gpu_amount_with_the_local_discovery_script():
    daemons = daemon_settings(chart.render("standalone-submit", "4.1.1"), chart.render("gpu", "4.1.1"),
                              LOCAL.gpu_discovery_script, LOCAL.spark_secret)
    assert "-Dspark.worker.resource.gpu.amount=1" in daemons.worker_opts
    assert f"discoveryScript={LOCAL.gpu_discovery_script}" in daemons.worker_opts


def test_the_connect_server_binds_loopback_on_its_own_port_and_shares_the_cluster():
    args, translations = connect_server_args(chart.render("connect-standalone", "4.1.1"), LOCAL.master_url,
                                             "127.0.0.1", 15999)
    assert "spark.connect.grpc.binding.port=15999" in args and "spark-internal" in args
    assert args[:2] == ["--master", LOCAL.master_url] and "spark.cores.max=1" in args
    assert {t.setting for t in translations} >= {"spark.connect.grpc.binding.port", "spark.cores.max",
                                                 "spark.driver.host"}
    assert "spark.driver.host=127.0.0.1" in args and "spark.driver.host=$(POD_IP)" not in args


def test_a_connect_server_in_its_pod_keeps_the_charts_port_and_listens_at_the_pods_address():
    rendered = chart.render("connect-standalone", "4.1.1")
    args, translations = connect_server_args(rendered, LOCAL.master_url, "10.217.4.5", connect_port(rendered))
    assert f"spark.connect.grpc.binding.port={connect_port(rendered)}" in args
    assert "spark.connect.grpc.binding.port" not in {t.setting for t in translations}
    assert "spark.driver.host=10.217.4.5" in args and "spark.connect.grpc.binding.address=10.217.4.5" in args


def test_every_driver_and_daemon_proves_the_same_secret_which_the_report_masks():
    jobs = job_settings(chart.render("k8s", "4.1.1"), LOCAL)
    daemons = daemon_settings(chart.render("standalone-submit", "4.1.1"), None, None, LOCAL.spark_secret)
    assert jobs.conf["spark.authenticate"] == "true" and jobs.conf["spark.network.crypto.enabled"] == "true"
    assert jobs.conf["spark.authenticate.secret"] == LOCAL.spark_secret
    assert dict(daemons.properties) == {"spark.authenticate": "true", "spark.network.crypto.enabled": "true",
                                        "spark.master.rest.enabled": "false",
                                        "spark.authenticate.secret": LOCAL.spark_secret}
    assert LOCAL.spark_secret not in jobs.report() + daemons.report()


def test_without_authentication_no_secret_is_given():
    rendered = chart.render("standalone-submit", "4.1.1", {"spark.security.authenticate": "false",
                                                           "spark.security.encryption": "false"})
    assert "spark.authenticate.secret" not in job_settings(rendered, LOCAL).conf
    assert daemon_settings(rendered, None, None, LOCAL.spark_secret).properties == (
        ("spark.master.rest.enabled", "false"),)


def test_daemons_in_pods_keep_the_charts_ports_user_and_master_service():
    rendered = chart.render("standalone-submit", "4.1.1", {"spark.runAsUser": "1001"})
    in_pods, on_loopback = (daemon_settings(rendered, None, None, "s", in_pods) for in_pods in (True, False))
    assert (in_pods.master_port, in_pods.webui_port, in_pods.worker_webui_port) == (7077, 8080, 8081)
    assert in_pods.run_as == (1001, 1001)
    assert in_pods.master_service == "spec-spark-standalone-master"
    assert "master --port, --webui-port" not in in_pods.report()
    assert "master --port, --webui-port" in on_loopback.report()


def test_drivers_in_pods_listen_at_their_pods_address_where_the_executors_reach_them():
    settings = job_settings(chart.render("standalone-submit", "4.1.1"),
                            dataclasses.replace(LOCAL, driver_host="10.217.4.1"))
    assert settings.conf["spark.driver.host"] == settings.conf["spark.driver.bindAddress"] == "10.217.4.1"
    assert "spark.hadoop.fs.permissions.umask-mode" not in settings.conf  # every driver runs as the chart's uid
    assert "spark.driver.host" not in job_settings(chart.render("standalone-submit", "4.1.1"), LOCAL).conf
