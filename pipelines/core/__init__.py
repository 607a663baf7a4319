"""The ground floor every other part of ``pipelines`` may use: the settings tree (``settings``), the errors shown to
users (``errors``), scrubbed logging (``logs``), the one SQLite engine factory (``sql``), the loaded domains with
their PII policies (``domains``) and de-identification under those policies (``deidentification``)."""

__all__: list[str] = []
