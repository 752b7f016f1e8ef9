"""The in-memory store (tests and tools): one ``MemoryHubStore`` built from one mixin per concern."""

from hub.store.memory.store import MemoryHubStore

__all__ = ["MemoryHubStore"]
