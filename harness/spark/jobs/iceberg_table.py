"""Creates, appends to or drops the Iceberg training table: catalog in the platform's PostgreSQL (pyiceberg's
SqlCatalog, the same tables Iceberg's JdbcCatalog uses), data and metadata in the chart's warehouse."""

import argparse
import os

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog

from jobcommon import report, training_rows


def catalog(name: str, uri: str, warehouse: str) -> SqlCatalog:
    return SqlCatalog(name, uri=uri, warehouse=warehouse, **{
        "s3.endpoint": os.environ["MLFLOW_S3_ENDPOINT_URL"],
        "s3.access-key-id": os.environ["AWS_ACCESS_KEY_ID"],
        "s3.secret-access-key": os.environ["AWS_SECRET_ACCESS_KEY"],
        "s3.region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    })


def catalog_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalog-name", required=True)
    parser.add_argument("--catalog-uri", required=True)
    parser.add_argument("--warehouse", required=True)


def rows_table(rows: list[tuple[float, float, float]]) -> pa.Table:
    columns = list(zip(*rows))
    return pa.table({"x1": pa.array(columns[0], pa.float64()), "x2": pa.array(columns[1], pa.float64()),
                     "label": pa.array(columns[2], pa.float64())})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["create", "append", "drop"])
    catalog_arguments(parser)
    parser.add_argument("--table", required=True, help="namespace.name")
    args = parser.parse_args()
    lakehouse = catalog(args.catalog_name, args.catalog_uri, args.warehouse)
    if args.action == "drop":
        lakehouse.purge_table(args.table)
        report({"table": args.table, "dropped": True})
        return
    data = rows_table(training_rows())
    if args.action == "create":
        lakehouse.create_namespace_if_not_exists(args.table.split(".")[0])
        table = lakehouse.create_table(args.table, schema=data.schema)
    else:
        table = lakehouse.load_table(args.table)
        data = data.slice(0, 10)
    table.append(data)
    snapshot = table.current_snapshot()
    report({"table": args.table, "snapshot_id": snapshot.snapshot_id,
            "rows": int(snapshot.summary["total-records"]), "location": table.location()})


if __name__ == "__main__":
    main()
