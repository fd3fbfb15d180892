import pytest

from harness.config import parse_userdata
from harness.errors import ConfigError
from harness.matrix import MODES, SPARK_VERSIONS, all_cells


def test_defaults_select_the_whole_matrix_on_the_local_target():
    config = parse_userdata({})
    assert config.target == "local"
    assert all(config.selected(mode, version) is None for mode, version in all_cells())
    assert len(all_cells()) == 24


@pytest.mark.parametrize("userdata, named", [
    ({"target": "cloud"}, "local, k8s"),
    ({"modes": "standalone-submit,yarn"}, ", ".join(MODES)),
    ({"versions": "3.4.0"}, ", ".join(SPARK_VERSIONS)),
    ({"gpu": "maybe"}, "auto, simulated"),
    ({"isolation": "on"}, "auto, off"),
])
def test_unknown_values_fail_with_one_line_naming_the_valid_ones(userdata, named):
    with pytest.raises(ConfigError) as raised:
        parse_userdata(userdata)
    message = str(raised.value)
    assert "\n" not in message and named in message


def test_unknown_option_is_refused():
    with pytest.raises(ConfigError, match="unknown option -D tagret"):
        parse_userdata({"tagret": "k8s"})


def test_bad_port_is_refused():
    with pytest.raises(ConfigError, match="not a port number"):
        parse_userdata({"mlflow_port": "http"})


def test_selection_explains_what_is_left_out():
    config = parse_userdata({"versions": "4.1.1", "modes": "standalone-submit"})
    assert config.selected("standalone-submit", "4.1.1") is None
    assert "Spark 3.5.7 not selected" in config.selected("standalone-submit", "3.5.7")
    assert "mode gpu not selected" in config.selected("gpu", "4.1.1")


def test_the_mlops_image_is_a_repository_and_a_tag():
    assert parse_userdata({"mlops_image": "registry.example:5000/mlops-api:4.1.1"}).mlops_image == \
        "registry.example:5000/mlops-api:4.1.1"
    with pytest.raises(ConfigError, match="is not <repository>:<tag>"):
        parse_userdata({"mlops_image": "registry.example:5000/mlops-api"})


def test_simulated_gpus_are_refused_with_a_cluster():
    with pytest.raises(ConfigError, match="gpu=simulated runs on the local target only"):
        parse_userdata({"target": "k8s", "gpu": "simulated"})
