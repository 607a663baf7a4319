"""The validated shape of a domain folder's optional ``modes.yaml``: code task modes (complete, write tests,
translate, …), each with its prompts for chat models and for base models, and the check run on its output."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domains.config import DomainConfig
from domains.loading import load_yaml_model

__all__ = ["CODE_MODES_FILE", "CodeModeConfig", "CodeModesConfig", "load_code_modes"]

#: File name of the code-mode configuration inside a domain folder.
CODE_MODES_FILE = "modes.yaml"


class CodeModeConfig(BaseModel):
    """One code task mode.

    Attributes:
        label: Name shown in the UI ("Write tests").
        help: One sentence shown under the mode picker.
        input_language: Language of the code the user gives (``python``, ``cpp``, …; fenced-block name).
        output_language: Language of the code the model returns.
        system_prompt: System prompt for chat models (Ollama).
        request: The user turn for chat models; ``{code}`` is the user's (de-identified) code.
        completion_prompt: The prompt for base models without a chat template (the embedded llama.cpp model),
            ending where the model should go on writing; ``{code}`` as above.
        completion_prefix: Text the completion prompt ends with that belongs to the output (e.g. ``def test_``),
            put back in front of a base model's continuation.
        stop: Stop sequences of base-model completion.
        max_tokens: Most new tokens per answer.
        check: What is run on the output: ``none``; ``syntax`` (the completed code must parse); ``tests``
            (pytest tests run against the user's code, with coverage); ``translation`` (the translated program
            runs, and is compared with the compiled original when a compiler exists).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1)
    help: str = ""
    input_language: str = "python"
    output_language: str = "python"
    system_prompt: str = Field(min_length=1)
    request: str = Field(min_length=1)
    completion_prompt: str = Field(min_length=1)
    completion_prefix: str = ""
    stop: list[str] = Field(default_factory=list)
    max_tokens: int = Field(default=384, ge=16, le=4096)
    check: Literal["none", "syntax", "tests", "translation"] = "none"

    @field_validator("request", "completion_prompt")
    @classmethod
    def _has_code(cls, value: str) -> str:
        if "{code}" not in value:
            raise ValueError(f"{value[:60]!r}… must contain {{code}}")
        return value


class CodeModesConfig(BaseModel):
    """The code task modes of a domain, by name (``complete``, ``write_tests``, ``translate``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    modes: dict[str, CodeModeConfig] = Field(min_length=1)


def load_code_modes(domain: DomainConfig) -> CodeModesConfig | None:
    """Load ``<domain folder>/modes.yaml``.

    Args:
        domain: A loaded domain (its ``folder`` is read).

    Returns:
        The validated modes, or None when the domain has no such file.

    Raises:
        DomainError: The file is not a YAML mapping or does not validate (the message names the file).
    """
    if domain.folder is None:
        return None
    path: Path = domain.folder / CODE_MODES_FILE
    if not path.is_file():
        return None
    return load_yaml_model(path, CodeModesConfig, "code modes")
