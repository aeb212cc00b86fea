"""The one requirements check that both the promotion gate and the image builder call."""

import pytest

from airparadis.release import requirements


@pytest.mark.parametrize(("line", "refused"), [
    ("torch==2.13.0", "torch"), ("torchvision==0.28.0", "torchvision"), ("Torch>=2", "torch"),
    ("tensorflow-cpu==2.21.0", "tensorflow-cpu"), ("TensorFlow_CPU==2.21", "tensorflow-cpu"),
    ("torch[cuda]==2.13.0 ; python_version >= '3.10'", "torch"),
])
def test_gb_sized_frameworks_are_refused_whatever_their_spelling(line, refused):
    assert requirements.forbidden(["mlflow==3.17.2", line, "numpy==2.4.6"]) == [refused]


@pytest.mark.parametrize("line", ["mlflow==3.17.2", "ai-edge-litert==2.3.0", "scikit-learn==1.9.1", "-r base.txt",
                                  "# torch is not needed", "pandas  # not torch"])
def test_the_serving_packages_pass(line):
    assert requirements.forbidden([line]) == []


def test_a_model_folder_is_read_from_requirements_and_conda(tmp_path):
    (tmp_path / "requirements.txt").write_text("mlflow==3.17.2\nnumpy==2.4.6\n")
    (tmp_path / "conda.yaml").write_text("dependencies:\n- python=3.11.7\n- pip:\n  - torchaudio==2.9.1\n")
    assert requirements.forbidden(requirements.of_model(tmp_path)) == ["torchaudio"]
