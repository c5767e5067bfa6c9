"""AWS mistakes at start-up as one line each, not a 90-line botocore traceback.

Before ``chromalake run`` serves on a DynamoDB table or an S3 bucket (and before the other
commands use one), :func:`check` asks each for its description once: missing credentials or
region, an endpoint nobody answers, a table or bucket that does not exist, or access denied
each come back as one sentence that says what to do.
"""

from __future__ import annotations

from typing import Any

from chromalake.config import Settings

FIX_CREDENTIALS = (
    "no AWS credentials found: set AWS_PROFILE (after `aws configure`) or AWS_ACCESS_KEY_ID "
    "and AWS_SECRET_ACCESS_KEY, or try `chromalake run --aws-local`"
)
FIX_REGION = "no AWS region: pass --region (or set AWS_REGION)"


def describe(error: BaseException, settings: Settings) -> str | None:
    """One line for an AWS error, or None when ``error`` is not one.

    Example:
        >>> from botocore.exceptions import NoRegionError
        >>> describe(NoRegionError(), Settings())
        'no AWS region: pass --region (or set AWS_REGION)'
    """
    try:
        from botocore import exceptions as aws  # type: ignore[import-untyped]
    except ModuleNotFoundError:
        return None
    if isinstance(error, aws.NoCredentialsError | aws.PartialCredentialsError):
        return FIX_CREDENTIALS
    if isinstance(error, aws.NoRegionError):
        return FIX_REGION
    if isinstance(error, aws.EndpointConnectionError):
        where = error.kwargs.get("endpoint_url")
        return f"cannot reach {where}: is the endpoint (or the region) right?"
    if isinstance(error, aws.ClientError):
        return _client_error(error, settings)
    if isinstance(error, aws.BotoCoreError):
        return f"AWS: {error}"
    return None


def _client_error(error: Any, settings: Settings) -> str:
    info = error.response.get("Error", {})
    code, message = str(info.get("Code", "")), str(info.get("Message", ""))
    region = settings.chromalake_region or "the default region"
    if code == "ResourceNotFoundException":
        return (
            f"DynamoDB table {settings.chromalake_table} does not exist in {region} "
            "(`sam deploy` creates it; its name is the stack's CatalogTableName output)"
        )
    if code in ("404", "NoSuchBucket"):
        return f"S3 bucket {settings.chromalake_bucket} does not exist in {region}"
    if code in ("403", "AccessDenied", "AccessDeniedException"):
        return f"access denied by AWS: {message or 'check the credentials and their policy'}"
    if code in (
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "ExpiredToken",
    ):
        return f"AWS refused the credentials ({code}): {message}"
    if code == "400" and settings.chromalake_bucket:
        return f"S3 refused bucket {settings.chromalake_bucket!r} (400): is the name valid?"
    return f"AWS {code}: {message}"


def check(settings: Settings) -> str | None:
    """The first problem with the settings' table and bucket, as one line; None if none.

    Asks DynamoDB for the table and S3 for the bucket (one request each); settings without
    either need nothing and return None at once.
    """
    if not (settings.chromalake_table or settings.chromalake_bucket):
        return None
    try:
        import boto3  # type: ignore[import-untyped]
        from botocore.config import Config  # type: ignore[import-untyped]
    except ModuleNotFoundError as error:
        from chromalake.extras import missing_extra

        return str(missing_extra(error))
    # One try each, briefly: a wrong endpoint should be said at once, not after retries.
    quick = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10)
    try:
        if settings.chromalake_table:
            dynamodb = boto3.client(
                "dynamodb",
                region_name=settings.chromalake_region,
                endpoint_url=settings.chromalake_dynamodb_endpoint,
                config=quick,
            )
            dynamodb.describe_table(TableName=settings.chromalake_table)
        if settings.chromalake_bucket:
            s3 = boto3.client(
                "s3",
                region_name=settings.chromalake_region,
                endpoint_url=settings.chromalake_s3_endpoint,
                config=quick,
            )
            s3.head_bucket(Bucket=settings.chromalake_bucket)
    except Exception as error:
        line = describe(error, settings)
        if line is None:
            raise
        return line
    return None


__all__ = ["check", "describe"]
