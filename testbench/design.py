"""The design under test: which RTL a command verifies, read from a filelist or an sctb.toml."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "PROJECT_FILE",
    "REFERENCE_RTL",
    "SIMULATORS",
    "Design",
    "DesignError",
    "declared_modules",
    "load_design",
    "parse_filelist",
    "reference_design",
    "strip_comments",
]

#: The bundled reference RTL (a package-data directory of the installed project).
REFERENCE_RTL = Path(__file__).resolve().parent.parent / "rtl_models"
#: The project file a design directory may hold instead of a bare filelist.
PROJECT_FILE = "sctb.toml"
#: The filelist and the Verilator waiver file of a directory without a project file.
FILELIST = "sc.f"
WAIVERS = "sc.vlt"
SIMULATORS = ("icarus", "verilator")
_PROJECT_KEYS = {"name", "filelist", "files", "include_dirs", "defines", "waivers", "simulators"}


class DesignError(ValueError):
    """A design description that cannot be used: the message names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class Design:
    """One design under test: its sources, include directories, defines and lint waivers.

    Attributes
    ----------
    name : str
        A short name for reports (the project file's ``name``, else the directory name).
    root : Path
        The directory the description's relative paths start from.
    source : Path
        The file the design was read from (``sc.f`` or ``sctb.toml``).
    files : tuple of Path
        The HDL sources, in compile order (absolute).
    include_dirs : tuple of Path
        ```include`` search directories.
    defines : dict of str to str
        Preprocessor defines (``+define+NAME=VALUE``).
    waivers : tuple of Path
        Verilator configuration files (``lint_off`` waivers); Verilator only.
    simulators : tuple of str
        The simulators this design supports (default: both).
    is_reference : bool
        True for the bundled reference RTL (``rtl_models/``).
    """

    name: str
    root: Path
    source: Path
    files: tuple[Path, ...]
    include_dirs: tuple[Path, ...] = ()
    defines: Mapping[str, str] = dataclasses.field(default_factory=dict)
    waivers: tuple[Path, ...] = ()
    simulators: tuple[str, ...] = SIMULATORS
    is_reference: bool = False

    def modules(self) -> dict[str, Path]:
        """Every module the sources declare, and the file that declares it."""
        found: dict[str, Path] = {}
        for path in self.files:
            for name in declared_modules(path.read_text(errors="replace")):
                found.setdefault(name, path)
        return found

    def file_digests(self) -> list[dict]:
        """Path, SHA-256 and size of every file the design consists of (sources, waivers)."""
        rows = []
        for path in (self.source, *self.files, *self.waivers):
            data = path.read_bytes()
            rows.append({"path": str(path), "sha256": hashlib.sha256(data).hexdigest(),
                         "bytes": len(data)})
        return rows

    def digest(self) -> str:
        """One SHA-256 over the description and every file's name and content (hex)."""
        h = hashlib.sha256()
        for row in self.file_digests():
            h.update(Path(row["path"]).name.encode())
            h.update(bytes.fromhex(row["sha256"]))
        h.update(repr(sorted(self.defines.items())).encode())
        return h.hexdigest()

    def to_dict(self) -> dict:
        """JSON-ready description: name, directory, files with their SHA-256, the digest."""
        return {
            "name": self.name, "root": str(self.root), "source": str(self.source),
            "reference": self.is_reference, "digest": self.digest(),
            "files": self.file_digests(), "include_dirs": [str(p) for p in self.include_dirs],
            "defines": dict(self.defines), "simulators": list(self.simulators),
        }

    def summary(self) -> str:
        """One line naming the design for a console header."""
        kind = "the bundled reference RTL" if self.is_reference else "a user design"
        return (f"design {self.name} ({kind}): {self.source}, {len(self.files)} files, "
                f"sha256 {self.digest()[:16]}")

    def cli_args(self) -> list[str]:
        """The command-line option that names this design (empty for the reference)."""
        return [] if self.is_reference else ["--rtl-dir", str(self.source)]


_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_MODULE = re.compile(r"^\s*(?:macro)?module\s+(?:automatic\s+|static\s+)?([A-Za-z_][\w$]*)", re.M)


def strip_comments(text: str) -> str:
    """Verilog source ``text`` with its ``//`` and ``/* */`` comments replaced by a space."""
    return _COMMENTS.sub(" ", text)


def declared_modules(text: str) -> list[str]:
    """The names of the modules (and macromodules) Verilog source ``text`` declares, in order.

    Parameters
    ----------
    text : str
        Verilog or SystemVerilog source; comments are ignored.

    Returns
    -------
    list of str
        One name per ``module`` declaration.
    """
    return _MODULE.findall(strip_comments(text))


def parse_filelist(path: str | os.PathLike, *, _seen: tuple[Path, ...] = ()
                   ) -> tuple[list[Path], list[Path], dict[str, str]]:
    """Read a Verilog filelist: sources, ``+incdir+`` directories and ``+define+`` macros.

    One entry per line; ``//`` and ``#`` start comments; ``-f FILE`` / ``-F FILE`` include
    another filelist (``-F``: its paths relative to itself, as ``-f`` here too); paths are
    relative to the filelist's directory; ``$VAR`` / ``${VAR}`` are expanded.

    Returns
    -------
    files, include_dirs : list of Path
        Absolute paths, in order.
    defines : dict of str to str

    Raises
    ------
    DesignError
        A missing file, an unsupported option, a cycle of includes or a list naming no source.
    """
    path = Path(path).resolve()
    if path in _seen:
        raise DesignError(f"{path}: filelist includes itself ({' -> '.join(map(str, _seen))})")
    if not path.is_file():
        raise DesignError(f"filelist {path} does not exist")
    base = path.parent
    files: list[Path] = []
    incdirs: list[Path] = []
    defines: dict[str, str] = {}
    try:
        text = path.read_text()
    except UnicodeDecodeError as e:
        raise DesignError(f"{path}: not a text filelist ({e})") from None
    tokens: list[tuple[int, str]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = re.split(r"//|#", line, maxsplit=1)[0]
        tokens += [(lineno, tok) for tok in line.split()]
    it = iter(tokens)
    for lineno, tok in it:
        where = f"{path}:{lineno}"
        tok = os.path.expandvars(tok)
        if tok in ("-f", "-F"):
            nxt = next(it, None)
            if nxt is None:
                raise DesignError(f"{where}: {tok} needs a file name")
            sub = _resolve(base, os.path.expandvars(nxt[1]))
            f, i, d = parse_filelist(sub, _seen=(*_seen, path))
            files += f
            incdirs += i
            defines.update(d)
        elif tok.startswith("+incdir+"):
            for d in filter(None, tok[len("+incdir+"):].split("+")):
                incdir = _resolve(base, d)
                if not incdir.is_dir():
                    raise DesignError(f"{where}: include directory {incdir} does not exist")
                incdirs.append(incdir)
        elif tok.startswith("+define+"):
            for d in filter(None, tok[len("+define+"):].split("+")):
                name, _, value = d.partition("=")
                defines[name] = value
        elif tok.startswith(("+", "-")):
            raise DesignError(f"{where}: unsupported filelist option {tok!r} (supported: source "
                              "paths, -f/-F FILE, +incdir+DIR, +define+NAME[=VALUE])")
        else:
            src = _resolve(base, tok)
            if not src.is_file():
                raise DesignError(f"{where}: source file {src} does not exist")
            files.append(src)
    if not files and not _seen:
        raise DesignError(f"filelist {path} names no source file")
    return files, incdirs, defines


def _resolve(base: Path, p: str) -> Path:
    q = Path(p)
    return (q if q.is_absolute() else base / q).resolve()


def reference_design() -> Design:
    """The bundled reference RTL (``rtl_models/sc.f`` with its waivers)."""
    return _from_filelist(REFERENCE_RTL / FILELIST, name="reference", is_reference=True)


def _from_filelist(filelist: Path, *, name: str, is_reference: bool = False) -> Design:
    files, incdirs, defines = parse_filelist(filelist)
    waiver = filelist.parent / WAIVERS
    return Design(name=name, root=filelist.parent.resolve(), source=filelist.resolve(),
                  files=tuple(files), include_dirs=tuple(incdirs), defines=defines,
                  waivers=(waiver.resolve(),) if waiver.is_file() else (),
                  is_reference=is_reference)


def _str_list(doc: dict, key: str, where: Path) -> list[str]:
    value = doc.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DesignError(f"{where}: design.{key} must be a list of strings, got {value!r}")
    return value


def _from_project(path: Path) -> Design:
    try:
        doc = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise DesignError(f"{path}: not valid TOML ({e})") from None
    design = doc.get("design")
    if not isinstance(design, dict):
        raise DesignError(f"{path}: needs a [design] table")
    unknown = sorted(set(design) - _PROJECT_KEYS)
    if unknown:
        raise DesignError(f"{path}: unknown design key(s) {', '.join(unknown)}; valid keys: "
                          f"{', '.join(sorted(_PROJECT_KEYS))}")
    base = path.parent.resolve()
    files: list[Path] = []
    incdirs: list[Path] = []
    defines: dict[str, str] = {}
    if "filelist" in design:
        fl = design["filelist"]
        if not isinstance(fl, str):
            raise DesignError(f"{path}: design.filelist must be a path string, got {fl!r}")
        files, incdirs, defines = parse_filelist(_resolve(base, fl))
    for f in _str_list(design, "files", path):
        src = _resolve(base, f)
        if not src.is_file():
            raise DesignError(f"{path}: design.files names {src}, which does not exist")
        files.append(src)
    if not files:
        raise DesignError(f"{path}: the design names no source file (set design.filelist or "
                          "design.files)")
    for d in _str_list(design, "include_dirs", path):
        incdir = _resolve(base, d)
        if not incdir.is_dir():
            raise DesignError(f"{path}: design.include_dirs names {incdir}, not a directory")
        incdirs.append(incdir)
    extra = design.get("defines", {})
    if not isinstance(extra, dict) or not all(isinstance(v, (str, int)) for v in extra.values()):
        raise DesignError(f"{path}: design.defines must be a table of strings or integers, "
                          f"got {extra!r}")
    defines.update({k: str(v) for k, v in extra.items()})
    waivers = []
    for w in _str_list(design, "waivers", path):
        vlt = _resolve(base, w)
        if not vlt.is_file():
            raise DesignError(f"{path}: design.waivers names {vlt}, which does not exist")
        waivers.append(vlt)
    sims = _str_list(design, "simulators", path) or list(SIMULATORS)
    bad = [s for s in sims if s not in SIMULATORS]
    if bad:
        raise DesignError(f"{path}: design.simulators has {bad[0]!r}; valid: "
                          f"{', '.join(SIMULATORS)}")
    name = design.get("name", base.name)
    if not isinstance(name, str) or not name:
        raise DesignError(f"{path}: design.name must be a non-empty string, got {name!r}")
    return Design(name=name, root=base, source=path.resolve(), files=tuple(files),
                  include_dirs=tuple(incdirs), defines=defines, waivers=tuple(waivers),
                  simulators=tuple(sims))


def load_design(where: str | os.PathLike | None = None) -> Design:
    """The design named on a command line; the bundled reference RTL when ``where`` is None.

    Parameters
    ----------
    where : path, optional
        A directory holding ``sctb.toml`` (preferred) or a filelist ``sc.f`` (with an optional
        Verilator waiver file ``sc.vlt`` beside it), or the path of such a ``.toml`` or ``.f``
        file itself.

    Raises
    ------
    DesignError
        The path does not exist, holds no description, or the description is wrong (the
        message names the file, the line or key, and the bad value).
    """
    if where is None:
        return reference_design()
    if "\x00" in os.fspath(where):
        raise DesignError(f"design {os.fspath(where)!r}: a path cannot hold a NUL byte")
    path = Path(where).expanduser()
    if not path.exists():
        raise DesignError(f"design {str(where)!r} does not exist")
    path = path.resolve()
    if path.is_dir():
        if (path / PROJECT_FILE).is_file():
            return _from_project(path / PROJECT_FILE)
        if (path / FILELIST).is_file():
            design = _from_filelist(path / FILELIST, name=path.name)
        else:
            raise DesignError(f"design directory {path} has neither {PROJECT_FILE} nor {FILELIST}")
    elif path.suffix == ".toml":
        return _from_project(path)
    elif path.is_file():
        design = _from_filelist(path, name=path.parent.name)
    else:
        raise DesignError(f"design {str(where)!r} is neither a directory nor a file")
    if design.root == REFERENCE_RTL.resolve() and design.source.name == FILELIST:
        return dataclasses.replace(design, name="reference", is_reference=True)
    return design

