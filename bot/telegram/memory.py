"""Per-chat conversation memory, in RAM only (never written to disk)."""

from __future__ import annotations

from collections import OrderedDict, deque

from bot.models import Turn

# (chat id, user id): in a group, each member has their own conversation with the bot.
Conversation = tuple[int, int]


class ChatMemory:
    """The last ``max_turns`` turns per conversation, for at most ``max_chats`` chats."""

    def __init__(self, max_turns: int, max_chats: int = 10_000) -> None:
        self.max_turns = max_turns
        self.max_chats = max_chats
        self._chats: OrderedDict[Conversation, deque[Turn]] = OrderedDict()

    def history(self, key: Conversation) -> tuple[Turn, ...]:
        turns = self._chats.get(key)
        return tuple(turns) if turns else ()

    def add(
        self, key: Conversation, question: str, answer: str, units: tuple[str, ...] = ()
    ) -> None:
        if self.max_turns == 0:
            return
        turns = self._chats.get(key)
        if turns is None:
            turns = self._chats[key] = deque(maxlen=self.max_turns)
        self._chats.move_to_end(key)
        turns.extend((Turn("user", question), Turn("assistant", answer, units)))
        while len(self._chats) > self.max_chats:
            self._chats.popitem(last=False)

    def conversations(self) -> list[Conversation]:
        return list(self._chats)

    def clear(self, key: Conversation) -> None:
        self._chats.pop(key, None)

    def clear_user(self, user_id: int) -> None:
        """Every conversation of one user (``/forget``), in any chat."""
        for key in [k for k in self._chats if k[1] == user_id]:
            del self._chats[key]

    def __len__(self) -> int:
        return len(self._chats)
