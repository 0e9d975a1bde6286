"""Campaigns: many soak scenarios x replicas, packed onto this machine's CPUs or spread over a Dask cluster,
indexed in SQLite, summarised and compared with statistics, and bisected (`python -m harness campaign ...`,
`python -m harness bisect-step`). Each scenario runs as its own `python -m harness soak` subprocess."""
