"""Code tasks: complete, write tests, translate (``tasks``), their checks (``checks``) run in a bubblewrap
sandbox (``sandbox``), and de-identification that reads names only in comments and strings (``deidentify``)."""

__all__: list[str] = []
