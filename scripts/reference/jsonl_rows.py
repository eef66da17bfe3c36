"""JSON-lines rows for the reference scripts: every row an object, errors naming the file and line."""
import json
import sys


def read_jsonl(path):
    """The rows of a JSON-lines file (blank lines skipped); exits naming the file and line on bad input."""
    rows = []
    with open(path, encoding="utf8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    sys.exit(f"{path}: line {n}: {e}")
    if not rows:
        sys.exit(f"{path}: no rows")
    return rows
