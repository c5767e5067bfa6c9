"""Lambda entry point of the ``api`` unit: Chroma's HTTP API v2 behind API Gateway (HTTP API).

Composition only. Settings come from the environment (``CHROMALAKE_BUCKET``,
``CHROMALAKE_TABLE``, ``CHROMALAKE_REGION``, ``ALLOW_RESET``, ...; see ``chromalake.config``),
and the engine and the REST app are built once per cold start, so a warm instance reuses its
catalog client, Lance handles and cached matrices. ``chromalake run`` serves the same app
through the same ``resolve(event, context)`` call. With ``CHROMALAKE_MAINTENANCE_QUEUE_URL``
set, each written collection is also queued (debounced) for the ``maintenance`` function.

Example (``sam local invoke Api -e functions/api/events/heartbeat.json``, or in Python; the
handler also prints its metrics to stdout as CloudWatch EMF lines):

    import json; from chromalake.server.gateway import LambdaContext
    event = json.load(open("functions/api/events/heartbeat.json"))
    handler(event, LambdaContext())["statusCode"]  # 200
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from chromalake.auth.factory import build_key_admin
from chromalake.config import Settings
from chromalake.engine.factory import build_engine
from chromalake.engine.policy import Debounced, WriteListener
from chromalake.server import build_app

# Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME /
# POWERTOOLS_METRICS_NAMESPACE when set (template.yaml); these are the fallbacks.
# Most invocations publish no metric (only errors and cold starts do): powertools' warning
# about an empty metric set is expected, not news.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service="chromalake-api")
tracer = Tracer(service="chromalake-api")
metrics = Metrics(namespace="chromalake", service="chromalake-api")

settings = Settings.from_env()
engine = build_engine(settings)
# With CHROMALAKE_AUTH=true (behind the authorizer) the key admin routes are served too.
app = build_app(engine, settings, build_key_admin(settings) if settings.chromalake_auth else None)
# chromalake's own loggers (a line per request, warnings and errors with their cause) write
# through this Logger: JSON with the invocation's correlation id, at POWERTOOLS_LOG_LEVEL.
copy_config_to_registered_loggers(source_logger=logger, include={"chromalake"})


def _tell_maintenance(queue_url: str) -> WriteListener:
    """The write listener: one queue message per written collection (debounced)."""
    import boto3

    sqs = boto3.client("sqs", region_name=settings.chromalake_region)

    def send(collection_id: str) -> None:
        # The write is committed already; a lost message is caught up by the scheduled sweep.
        try:
            sqs.send_message(
                QueueUrl=queue_url, MessageBody=json.dumps({"collection_id": collection_id})
            )
        except Exception:
            logger.exception("could not queue maintenance", extra={"collection_id": collection_id})

    return Debounced(send, settings.chromalake_maintenance_delay_seconds)


if settings.chromalake_maintenance_queue_url:
    engine.on_write = _tell_maintenance(settings.chromalake_maintenance_queue_url)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Answer one API Gateway HTTP API (payload 2.0) event with the REST app."""
    result = app.resolve(event, context)
    # API Gateway counts requests and 4xx/5xx already; a metric document per request would
    # add ~0.2 KB of logs to each (infrastructure/README.md's cost estimate), so only errors
    # (and cold starts) publish one.
    if result.get("statusCode", 200) >= 500:
        metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
    return result
