"""Agent assist: analysis and a reply draft for a customer message (``assist``) and the agents' feedback on the
drafts, stored de-identified (``feedback``)."""

__all__: list[str] = []
