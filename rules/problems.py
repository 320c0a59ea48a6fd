"""The error a file import raises: every problem found, so the whole file is fixed in one pass."""

from __future__ import annotations


class FileProblems(Exception):
    """The file cannot be imported; `problems` lists each one, by line where it has one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
