"""The deep model, logged as a model from code: MLflow runs this file to build the model."""

from mlflow.models import set_model

from pyfunc.deep import DeepModel

set_model(DeepModel())
