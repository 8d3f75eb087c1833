"""The YAML spec format: reading text safely, with positions, into pydantic models."""
