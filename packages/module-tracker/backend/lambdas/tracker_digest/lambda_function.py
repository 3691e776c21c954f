"""
Tracker digest - a scheduled worker that counts open tasks per owner for the daily digest.

It has no HTTP routes: it runs on a schedule, so it is a plain StandardLambda.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from cora_runtime.tables import module_table


def summarise(items: list[dict[str, Any]]) -> dict[str, int]:
    """Open tasks per owner, from table items."""
    counts: Counter[str] = Counter()
    for item in items:
        if str(item.get("sk", "")).startswith("TASK#") and item.get("status") != "done":
            counts[str(item.get("pk", "")).removeprefix("OWNER#")] += 1
    return dict(sorted(counts.items()))


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    table = module_table()
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = table.scan(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    digest = summarise(items)
    print(json.dumps({"event": "tracker_digest", "owners": len(digest), "open_tasks": sum(digest.values())}))
    return {"open_tasks_by_owner": digest}
