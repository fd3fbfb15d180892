"""Creates or appends to the Iceberg training table: catalog in the platform's PostgreSQL (pyiceberg's
SqlCatalog, the same tables Iceberg's JdbcCatalog uses), data and metadata in the platform's bucket."""

import argparse
import os

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog

from jobcommon import report, training_rows


def catalog(uri: str, warehouse: str) -> SqlCatalog:
    return SqlCatalog("lakehouse", uri=uri, warehouse=warehouse, **{
        "s3.endpoint": os.environ["MLFLOW_S3_ENDPOINT_URL"],
        "s3.access-key-id": os.environ["AWS_ACCESS_KEY_ID"],
        "s3.secret-access-key": os.environ["AWS_SECRET_ACCESS_KEY"],
        "s3.region": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    })


def rows_table(rows: list[tuple[float, float, float]]) -> pa.Table:
    columns = list(zip(*rows))
    return pa.table({"x1": pa.array(columns[0], pa.float64()), "x2": pa.array(columns[1], pa.float64()),
                     "label": pa.array(columns[2], pa.float64())})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["create", "append"])
    parser.add_argument("--catalog-uri", required=True)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--table", required=True, help="namespace.name")
    args = parser.parse_args()
    lakehouse = catalog(args.catalog_uri, args.warehouse)
    namespace = args.table.split(".")[0]
    data = rows_table(training_rows())
    if args.action == "create":
        lakehouse.create_namespace_if_not_exists(namespace)
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
