"""Lambda entry point of the ``maintenance`` unit: compaction, ANN index builds, version cleanup.

Composition only: the engine is built once per cold start from the environment (the same
``CHROMALAKE_*`` variables as the ``api`` unit), and each invocation runs
``chromalake.engine.maintenance`` for the collections it names. Three event shapes:

- an SQS batch (the queue the ``api`` function feeds after writes): each message body is
  ``{"collection_id": "..."}``; a collection named twice in a batch is maintained once, and
  failed messages are reported back (``batchItemFailures``) so only they are retried;
- an EventBridge schedule (``detail-type: Scheduled Event``): every collection is maintained,
  and compacted and cleaned whether or not a threshold was crossed;
- a direct invocation ``{"collection_id": "..."}``: that collection, every step run;
- ``{"action": "restore_version", "collection_id": "...", "version": N}`` from the ``admin``
  function (which has no Lance): that version's records committed as the latest version.

Example (``sam local invoke Maintenance -e functions/maintenance/events/schedule.json``, or):

    import json; from chromalake.server.gateway import LambdaContext
    handler(json.load(open("functions/maintenance/events/schedule.json")), LambdaContext())
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from chromalake.config import Settings
from chromalake.engine.factory import build_engine
from chromalake.engine.maintenance import Report, maintain, maintain_all

logger = Logger(service="chromalake-maintenance")

settings = Settings.from_env()
engine = build_engine(settings)


def _reports(reports: list[Report | None]) -> list[dict[str, Any]]:
    found = [asdict(r) for r in reports if r is not None]
    for report in found:
        logger.info("maintained", extra=report)
    return found


def _queue_batch(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Maintain each collection the messages name; report the messages that failed."""
    by_collection: dict[str, list[str]] = {}
    for record in records:
        collection_id = str(json.loads(record["body"])["collection_id"])
        by_collection.setdefault(collection_id, []).append(record["messageId"])
    failures: list[dict[str, str]] = []
    reports: list[Report | None] = []
    for collection_id, message_ids in by_collection.items():
        try:
            reports.append(maintain(engine, collection_id))
        except Exception:
            logger.exception("maintenance failed", extra={"collection_id": collection_id})
            failures += [{"itemIdentifier": m} for m in message_ids]
    return {"batchItemFailures": failures, "reports": _reports(reports)}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Maintain the collections an SQS batch, a schedule or a direct invocation names."""
    if "Records" in event:
        return _queue_batch(event["Records"])
    if event.get("action") == "restore_version":
        collection_id, restored = str(event["collection_id"]), int(event["version"])
        version = engine.restore_version(collection_id, restored)
        logger.info("restored", extra={"collection_id": collection_id, "version": version})
        return {"collection_id": collection_id, "restored": restored, "version": version}
    if "collection_id" in event:
        # Asked for by name (an operator, a test): everything runs, due or not.
        return {"reports": _reports([maintain(engine, str(event["collection_id"]), force=True)])}
    return {"reports": _reports(list(maintain_all(engine)))}
