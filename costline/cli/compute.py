"""Commands about GPUs: train (a training or fine-tuning run), selfhost (a serving point),
gpus (the catalog)."""

from typing import Annotated

import typer

from costline.cli.app import Format, FormatOption, app, emit, handled, library
from costline.cli.scenarios import PriceOption, TpOption


@app.command(short_help="A pre-training or fine-tuning run: FLOPs, GPU-hours, days, USD.")
@handled()
def train(
    params: Annotated[
        float | None, typer.Option(help="Total parameters, e.g. 70e9 (self-run jobs).")
    ] = None,
    tokens: Annotated[
        float | None, typer.Option(help="Training tokens per epoch, e.g. 2e12.")
    ] = None,
    active_params: Annotated[
        float | None, typer.Option(help="Parameters active per token (MoE), e.g. 37e9.")
    ] = None,
    gpu: Annotated[str | None, typer.Option(help="GPU id from `costline gpus`.")] = None,
    gpus: Annotated[int | None, typer.Option(help="GPUs in the cluster (calendar time).")] = None,
    mfu: Annotated[float | None, typer.Option(help="Model FLOPs utilisation, (0, 1].")] = None,
    fp8: Annotated[bool, typer.Option("--fp8", help="Train in FP8 (GPUs with an FP8 peak).")] = (
        False
    ),
    goodput: Annotated[
        float | None, typer.Option(help="Share of paid cluster time that is useful, (0, 1].")
    ] = None,
    price_per_gpu_hour: Annotated[
        float | None, typer.Option(help="USD per GPU-hour; the catalog default when unset.")
    ] = None,
    failure_probability: Annotated[
        float | None, typer.Option(help="Chance the run fails and is partly redone.")
    ] = None,
    failure_lost_share: Annotated[
        float | None, typer.Option(help="Share of compute lost when it fails.")
    ] = None,
    seq_len: Annotated[int | None, typer.Option(help="Sequence length (attention term).")] = None,
    layers: Annotated[int | None, typer.Option(help="Layers (attention term).")] = None,
    d_model: Annotated[int | None, typer.Option(help="Hidden size (attention term).")] = None,
    data_usd: Annotated[float, typer.Option(help="Data and labelling, USD.")] = 0.0,
    eval_usd: Annotated[float, typer.Option(help="Evaluation, USD.")] = 0.0,
    staff_usd: Annotated[float, typer.Option(help="Staff time, USD.")] = 0.0,
    finetune: Annotated[
        bool, typer.Option("--finetune", help="A fine-tuning job, not pre-training.")
    ] = False,
    lora: Annotated[bool, typer.Option("--lora", help="Self-run LoRA fine-tuning.")] = False,
    epochs: Annotated[float, typer.Option(help="Passes over the tokens.")] = 1.0,
    provider: Annotated[
        str | None, typer.Option(help="Fine-tune through this provider (with --model).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="The provider's base model.")] = None,
    price_per_1m_training_tokens: Annotated[
        float | None, typer.Option(help="Provider fine-tuning price; the catalog's when unset.")
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="Price a provider job on this date (YYYY-MM-DD).")
    ] = None,
    api_spend_per_month: Annotated[
        float | None,
        typer.Option(
            min=0, help="What-if: the monthly API bill (USD) the trained model would replace."
        ),
    ] = None,
    format: FormatOption = Format.terminal,
) -> None:
    """Estimate a pre-training or fine-tuning run: FLOPs, GPU-hours, days, cost.

    FLOPs = 6 x active params x tokens; GPU-hours = FLOPs / (peak x MFU x 3600) / goodput;
    cost = GPU-hours x $/GPU-hour, plus failed-run risk. Every default is printed with its
    source.

    Example:

        costline train --params 70e9 --tokens 2e12 --gpu a100-80gb --gpus 2048
        costline train --params 671e9 --active-params 37e9 --tokens 14.8e12 --gpu h800 --gpus 2048
        costline train --finetune --provider openai --model gpt-4o-mini --tokens 5e6 --epochs 3
        costline train --params 7e9 --tokens 2e12 --gpu h100-sxm --api-spend-per-month 40000
    """
    estimate = library().train(
        params=params,
        tokens=tokens,
        active_params=active_params,
        gpu=gpu,
        gpus=gpus,
        mfu=mfu,
        fp8=fp8,
        goodput=goodput,
        usd_per_gpu_hour=price_per_gpu_hour,
        failure_probability=failure_probability,
        failure_lost_share=failure_lost_share,
        seq_len=seq_len,
        layers=layers,
        d_model=d_model,
        data_usd=data_usd,
        eval_usd=eval_usd,
        staff_usd=staff_usd,
        finetune=finetune,
        lora=lora,
        epochs=epochs,
        provider=provider,
        model=model,
        usd_per_1m_training_tokens=price_per_1m_training_tokens,
        at=at,
        api_spend_per_month=api_spend_per_month,
    )
    emit(
        estimate,
        format,
        "training:render_training_terminal",
        "training:render_training_markdown",
    )


@app.command(short_help="Throughput, latency and USD per 1M tokens of an open model on GPUs.")
@handled()
def selfhost(
    model: Annotated[str, typer.Option(help="Open model id, e.g. llama-3.1-70b.")],
    gpu: Annotated[str, typer.Option(help="GPU id from `costline gpus`, e.g. h100-sxm.")],
    tp: TpOption = None,
    dtype: Annotated[str, typer.Option(help="Weight precision: bf16, fp8 or int4.")] = "bf16",
    kv_dtype: Annotated[str, typer.Option(help="KV-cache precision: bf16 or fp8.")] = "bf16",
    input_tokens: Annotated[float, typer.Option(help="Prompt tokens per request.")] = 1000,
    output_tokens: Annotated[float, typer.Option(help="Output tokens per request.")] = 250,
    context: Annotated[
        int | None,
        typer.Option(help="KV tokens reserved per sequence, at least input+output (the default)."),
    ] = None,
    batch: Annotated[
        int | None, typer.Option(help="Concurrent sequences (default: the most that fit).")
    ] = None,
    utilisation: Annotated[
        float | None,
        typer.Option(help="Average load over capacity, (0, 1]; default target / peak-to-average."),
    ] = None,
    tp_efficiency: Annotated[
        float | None, typer.Option(help="Speed kept across tensor-parallel GPUs, (0, 1].")
    ] = None,
    price_per_gpu_hour: Annotated[
        float | None, typer.Option(help="USD per GPU-hour; the catalog's price when unset.")
    ] = None,
    price: PriceOption = "on-demand",
    format: FormatOption = Format.terminal,
) -> None:
    """Throughput, latency and USD per 1M tokens of an open model on rented GPUs (roofline).

    Prefill is compute-bound, decode memory-bandwidth-bound until the batch makes it
    compute-bound; the KV cache limits the batch. Every default is printed with its source.

    Example:

        costline selfhost --model llama-3.1-70b --gpu h100-sxm --tp 4 --format json
        costline selfhost --model llama-3.1-8b --gpu l4 --input-tokens 1500 --output-tokens 300
    """
    point = library().selfhost(
        model,
        gpu,
        tp=tp,
        dtype=dtype,
        kv_dtype=kv_dtype,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        context=context,
        batch=batch,
        utilisation=utilisation,
        tp_efficiency=tp_efficiency,
        usd_per_gpu_hour=price_per_gpu_hour,
        price=price,
    )
    emit(point, format, "selfhost:render_selfhost_terminal", "selfhost:render_selfhost_markdown")


@app.command(short_help="The GPU catalog: FLOP/s, memory, bandwidth, rental prices, sources.")
@handled()
def gpus(format: FormatOption = Format.terminal) -> None:
    """The GPU catalog: peak dense FLOP/s, memory, bandwidth, rental prices, sources.

    Example:

        costline gpus
        costline gpus --format json
    """
    emit(library().gpus(), format, "training:render_gpus_terminal", "training:render_gpus_markdown")
