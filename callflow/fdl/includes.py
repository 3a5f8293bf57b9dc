"""Where an ``#include`` finds its file, and where it may not look.

This is policy rather than text processing, so it is kept apart from the preprocessor's
pass: the include search path (the ``-I`` folders, ``include/`` beside the main file, the
``include/`` of the EventStudio project the main file is in, then callflow's stand-ins for
the files EventStudio installs), the roots no include may leave (``--root`` and every
folder on the search path, after symlinks are resolved), the case-insensitive fallback for
projects written on Windows (used with warning FDL209), how an included file is named in
messages, and the wording of FDL204/FDL206 when nothing is found. Nothing here reads a
file's contents or reports: :class:`IncludeResolver` answers and the preprocessor reports.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from callflow.fdl.sources import FDL204, FDL206, PathArg

__all__ = [
    "DEFAULT_INCLUDE_FOLDER",
    "EVENTSTUDIO_INCLUDE",
    "IncludeLookup",
    "IncludeResolver",
    "search_path",
]

#: the folder beside the main file searched by default (EventStudio's project layout)
DEFAULT_INCLUDE_FOLDER = "include"

#: callflow's stand-ins for the include files EventStudio installs (``<colors.FDL>``, the
#: theme files ``<pastel.FDL>`` ...): last on the search path, as a system folder is, so a
#: project's own copy of any of them wins
EVENTSTUDIO_INCLUDE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eventstudio")


def _project_folder_above(folder: str, levels: int = 4) -> str | None:
    """The nearest folder at or above ``folder`` (a few levels up) that holds an EventStudio
    ``project.scn.json``: a model in ``model/`` finds the project's ``include/`` then."""
    current = os.path.abspath(folder)
    for _ in range(levels):
        if os.path.isfile(os.path.join(current, "project.scn.json")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return None


def search_path(include_dirs: Sequence[PathArg], main_dir: str) -> list[str]:
    """The include search path: the given folders (absolute, once each), then ``include/``
    beside the main file, then the ``include/`` of the EventStudio project the main file
    is in, then callflow's stand-ins for EventStudio's installed include files."""
    folders = [os.path.abspath(os.fspath(folder)) for folder in include_dirs]
    default = os.path.join(main_dir, DEFAULT_INCLUDE_FOLDER)
    if os.path.isdir(default):
        folders.append(default)
    project = _project_folder_above(main_dir)
    if project is not None and os.path.isdir(os.path.join(project, DEFAULT_INCLUDE_FOLDER)):
        folders.append(os.path.join(project, DEFAULT_INCLUDE_FOLDER))
    folders.append(EVENTSTUDIO_INCLUDE)
    unique: list[str] = []
    for folder in folders:
        if folder not in unique:
            unique.append(folder)
    return unique


@dataclass(frozen=True, slots=True)
class IncludeLookup:
    """What looking an include's path up on its folders found.

    ``target`` is the file to read (None: none was found), ``real`` its real path, and
    ``respelled`` says it was found only under another letter case. When nothing was found,
    ``outside`` is the first candidate that was outside every root, if any.
    """

    target: str | None
    real: str
    respelled: bool
    outside: str | None


class IncludeResolver:
    """The search path and roots of one preprocessing run, and the lookups made on them."""

    __slots__ = ("cwd", "listings", "main_display", "root", "roots", "search")

    def __init__(self, root_real: str, search: list[str], main_display: str) -> None:
        self.root = root_real
        self.search = search  # the include search path (absolute folders)
        self.roots = [root_real]  # --root and every folder on the search path
        for folder in search:
            real = os.path.realpath(folder)
            if real not in self.roots:
                self.roots.append(real)
        self.main_display = main_display
        self.cwd = os.getcwd()
        self.listings: dict[str, dict[str, list[str]]] = {}  # folder -> lower name -> names

    def display(self, abs_path: str) -> str:
        """Included files: relative to the working directory when below it, else absolute."""
        cwd = self.cwd
        if abs_path.startswith(cwd.rstrip(os.sep) + os.sep):
            return os.path.relpath(abs_path, cwd)
        return abs_path

    def folders(self, quoted: bool, base_dir: str) -> list[str]:
        """Where to look, in order: ``"path"`` beside the including file first, ``<path>``
        on the search path only."""
        if quoted:
            return [base_dir, *(f for f in self.search if f != base_dir)]
        return list(self.search)

    def find(self, path: str, folders: list[str]) -> IncludeLookup:
        """The first file ``path`` names in ``folders`` that is inside a root."""
        outside: str | None = None
        for folder in folders:
            target = os.path.normpath(os.path.join(folder, path))
            real = os.path.realpath(target)
            if not self.inside(real):
                outside = outside or real
                continue
            if os.path.exists(target):
                return IncludeLookup(target, real, False, None)
            spelled = self.case_match(target)
            if spelled is not None and self.inside(os.path.realpath(spelled)):
                return IncludeLookup(spelled, os.path.realpath(spelled), True, None)
        return IncludeLookup(None, "", False, outside)

    def not_found(
        self, shown: str, path: str, folders: list[str], outside: str | None
    ) -> tuple[str, str]:
        """The code and message for an include ``shown`` (as written) that was not found."""
        # callflow's own stand-ins are not a folder the user chose: not named here
        folders = [folder for folder in folders if folder != EVENTSTUDIO_INCLUDE]
        if outside is not None:
            chosen = [r for r in self.roots[1:] if r != os.path.realpath(EVENTSTUDIO_INCLUDE)]
            if not chosen:
                allowed = f"the project root {self.root} (use --root to allow it)"
            else:
                others = ", ".join(chosen)
                allowed = (
                    f"the project root {self.root} and the include folders {others} "
                    "(use --root or -I to allow it)"
                )
            return FDL206, f"cannot include {shown}: {outside} is outside {allowed}"
        if not folders:
            return (
                FDL204,
                f"cannot include {shown}: there is no include folder to look in (add one "
                f"with -I DIR, or an {DEFAULT_INCLUDE_FOLDER}/ folder beside "
                f'{self.main_display}; "{path}" in double quotes is also looked for beside '
                "the including file)",
            )
        return FDL204, f"cannot include {shown}: no such file (looked in {', '.join(folders)})"

    def inside(self, real: str) -> bool:
        """Is the real path below ``--root`` or a folder of the search path?"""
        for root in self.roots:
            try:
                if os.path.commonpath([root, real]) == root:
                    return True
            except ValueError:  # different drives
                continue
        return False

    def case_match(self, target: str) -> str | None:
        """The existing file whose path equals ``target`` but for letter case, if any.

        Each missing part of the path is looked up case-insensitively in its folder (the
        first in sorted order when several match), so ``Include/Inc.FDL`` finds
        ``include/inc.fdl``: projects written on Windows spell names loosely.
        """
        drive, tail = os.path.splitdrive(target)
        current = drive + os.sep
        for part in tail.split(os.sep):
            if not part:
                continue
            candidate = os.path.join(current, part)
            if os.path.lexists(candidate):
                current = candidate
                continue
            names = self.listing(current).get(part.lower())
            if not names:
                return None
            current = os.path.join(current, names[0])
        return current if os.path.exists(current) else None

    def listing(self, folder: str) -> dict[str, list[str]]:
        """``folder``'s entries by lower-case name (read once per run; none if unreadable)."""
        cached = self.listings.get(folder)
        if cached is None:
            cached = {}
            try:
                entries = sorted(os.listdir(folder))
            except OSError:
                entries = []
            for entry in entries:
                cached.setdefault(entry.lower(), []).append(entry)
            self.listings[folder] = cached
        return cached
