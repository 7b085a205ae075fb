"""The one error shape of the pack: a problem a user can act on, said as *where* (a node id or a
file), *what went wrong* and *what to do*. Standard library only, so every layer can raise it.

``CheckpointError`` / ``LLMError`` (the loaders, ``where`` = the file) and ``nodes.common.CoCoError``
(``where`` = the node id) are subclasses; a node re-raises a model-layer error under its own id with
:meth:`FixableError.at`.
"""

from __future__ import annotations


class FixableError(Exception):
    """``str()`` is ``"<where>: <problem>\\nFix: <fix>"`` (the fix line only when there is one)."""

    def __init__(self, where: str, problem: str, fix: str | None = None):
        self.where, self.problem, self.fix = where, problem, fix
        msg = f"{where}: {problem}"
        if fix:
            msg += f"\nFix: {fix}"
        super().__init__(msg)

    @property
    def path(self) -> str:  # the loaders' name for ``where``
        return self.where

    def at(self, node: str, cls=None) -> "FixableError":
        """The same problem reported by ``node`` (as ``cls``, default :class:`FixableError`): the
        file, if any, moves into the problem text."""
        problem = self.problem if self.where == node else f"{self.where}: {self.problem}"
        return (cls or FixableError)(node, problem, self.fix)
