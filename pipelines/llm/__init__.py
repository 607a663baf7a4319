"""Talking to models: the backends behind LangChain's chat-model interface (``backends``, ``ollama``,
``llamacpp``), prompts (``prompts``), the streamed generation with reasoning split off and scanned
(``generation``, ``reasoning``) and the one turn loop every flow shares (``turn``)."""

__all__: list[str] = []
