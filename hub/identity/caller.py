"""Who is calling: the role and id named by the caller's mTLS certificate."""

from __future__ import annotations

from dataclasses import dataclass

HUB = "hub"


@dataclass(frozen=True, slots=True)
class Caller:
    role: str  # "member" | "auditor" | "operator" | "hub" | "anonymous"
    id: str

    def __str__(self) -> str:
        return f"{self.role}:{self.id}"


HUB_CALLER = Caller(HUB, HUB)
