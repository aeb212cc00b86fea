"""The transformer model, logged as a model from code: MLflow runs this file to build the model."""

from mlflow.models import set_model

from pyfunc.transformer import TransformerModel

set_model(TransformerModel())
