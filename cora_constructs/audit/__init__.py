"""`cora audit`: compare what is deployed in an AWS account with the standards, the workflow
manifest and the cloud assembly (read-only boto3 calls; no ``aws_cdk`` import)."""

from __future__ import annotations

from cora_constructs.audit.checks import audit
from cora_constructs.audit.collect import AwsTarget, collect, make_clients
from cora_constructs.audit.expected import expected_state, read_manifest, read_template_functions
from cora_constructs.audit.model import AuditError, AuditReport, Check, Finding, Status

__all__ = [
    "AuditError",
    "AuditReport",
    "AwsTarget",
    "Check",
    "Finding",
    "Status",
    "audit",
    "collect",
    "expected_state",
    "make_clients",
    "read_manifest",
    "read_template_functions",
]
