"""The JSON Schema of spec format v1, generated from the pydantic models."""

from __future__ import annotations

from typing import Any

from incidentflow.spec.models import Spec

SCHEMA_ID = "urn:incidentflow:schema:process:v1"


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) for editors such as yaml-language-server."""
    schema = Spec.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "incidentflow process spec (format v1)",
        **{k: v for k, v in schema.items() if k != "title"},
    }
