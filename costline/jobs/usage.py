"""`costline usage` as a Spark job: the usage summary of Parquet logs, as JSON.

    JOB=$(python -c 'import costline.jobs.usage as j; print(j.__file__)')
    PYSPARK_PYTHON=$(which python) spark-submit --master yarn "$JOB" \\
        's3a://bucket/llm-logs/*.parquet' --map timestamp=ts --map model=model \\
        --map input_tokens=prompt --map output_tokens=completion --out usage.json

The session is spark-submit's (its master, its cluster); the figures are those of
`costline usage --engine spark`. Only the driver runs costline (the executors run SQL), so
costline need be installed only in the Python that spark-submit starts the driver with.
Bad input is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="costline.jobs.usage", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("files", nargs="+", help="Parquet logs: paths, globs or URIs")
    parser.add_argument("--by", default="feature", help="feature, model, user, day or month")
    parser.add_argument("--map", action="append", default=[], help="FIELD=COLUMN; repeat")
    parser.add_argument("--mapping", help="a YAML mapping file (as costline usage --mapping)")
    parser.add_argument("--format", help="a log format preset (as costline usage --log-format)")
    parser.add_argument("--out", help="write the JSON here (atomically) instead of stdout")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    args = parser.parse_args(argv)

    import warnings

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    from pyspark.sql import SparkSession

    from costline.api import Costline, check_out, write_atomic
    from costline.errors import InputError

    try:
        # before Spark starts: an output that would be refused is refused at once
        if args.out:
            check_out(Path(args.out), (".json",), args.force)
        # spark-submit's session, with the settings costline prices in
        SparkSession.builder.appName("costline usage").config(
            "spark.sql.session.timeZone", "UTC"
        ).getOrCreate()
        fields: dict[str, list[str]] = {}
        for item in args.map:
            name, sep, place = item.partition("=")
            if not sep or not place:
                raise InputError(f"expected FIELD=COLUMN, got {item!r}", field="map")
            fields.setdefault(name.strip(), []).append(place.strip())
        result = Costline().usage(
            args.files,
            by=args.by,
            format=args.format,
            fields=fields or None,
            mapping=args.mapping,
            engine="spark",
        )
        text = result.model_dump_json(indent=2) + "\n"
        if args.out:
            write_atomic(Path(args.out), text)
        else:
            sys.stdout.write(text)
    except InputError as err:
        print(f"error: {err.render(lambda name: '--' + name.replace('_', '-'))}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
