"""Which stored sessions are chats: the web app's conversation picker lists those and leaves out code-task
sessions (the Code page's and ``assistant code``'s), which would otherwise clutter it.

A code task is stored by :class:`pipelines.skills.code.tasks.CodeTaskPipeline` with the question
``"<mode label>:\\n```<language>\\n<code>\\n```"`` (the label from the domain's ``modes.yaml``), so a session
whose title (its first stored question) has that shape is a code-task session; sessions stored before this
module existed are told apart the same way.
"""

from __future__ import annotations

from collections.abc import Collection

from domains import load_code_modes
from pipelines.conversation.memory import SessionInfo
from pipelines.conversation.sessions import Conversations
from pipelines.core.domains import DomainRegistry

__all__ = ["chat_session_ids", "code_task_labels", "is_code_task_session"]

#: What follows the mode label in a stored code task's question.
_TASK_HEAD = ":\n```"


def code_task_labels(domains: DomainRegistry) -> frozenset[str]:
    """The labels of every domain's code modes (``modes.yaml``: "Complete", "Write tests", ...).

    Raises:
        DomainError: A ``modes.yaml`` that does not validate.
    """
    labels: set[str] = set()
    for name in domains:
        modes = load_code_modes(domains[name])
        if modes is not None:
            labels.update(mode.label for mode in modes.modes.values())
    return frozenset(labels)


def is_code_task_session(info: SessionInfo, labels: Collection[str]) -> bool:
    """Whether ``info`` is a code-task session: its title starts with ``"<label>:\\n```"`` for one of
    ``labels`` (:func:`code_task_labels`)."""
    head, found, _ = info.title.partition(_TASK_HEAD)
    return bool(found) and head in labels


def chat_session_ids(
    conversations: Conversations, domains: DomainRegistry, only: Collection[str] | None = None
) -> list[str]:
    """The ids of the stored chat conversations, most recently updated first (as
    :meth:`pipelines.conversation.sessions.Conversations.sessions` lists them): every session, or those in
    ``only`` (a signed-in user's own), except code-task sessions."""
    labels = code_task_labels(domains)
    return [
        info.id
        for info in conversations.sessions()
        if (only is None or info.id in only) and not is_code_task_session(info, labels)
    ]
