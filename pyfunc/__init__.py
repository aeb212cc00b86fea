"""Code that travels inside every logged model (MLflow ``code_paths``).

Nothing here imports from the rest of the project or needs a training-only package: a served
model only has what its own ``requirements.txt`` lists. ``pyfunc.names`` is standard library only,
so the front-end and monitoring import it without mlflow.
"""
