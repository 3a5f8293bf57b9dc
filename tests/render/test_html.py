"""The HTML site (callflow.render.html): content, links, well-formedness, determinism,
escaping and the Graphviz-missing fallback.

The reference flow is rendered with ``plan_documents`` + ``write_documents`` (the code
path ``callflow render`` takes) into a temporary folder; the tests read the files back.
The browser-level behaviour (sticky header, hover, anchors) is in tests/e2e/test_browser.py.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from callflow import ir
from callflow.check import check_flow
from callflow.fdl import parse_file, parse_text
from callflow.render import collab
from callflow.render.documents import (
    RenderOptions,
    diagram_views,
    plan_documents,
    write_documents,
)
from callflow.render.html import hierarchy_rows, href, site_documents
from callflow.render.summary import message_summary
from callflow.scenarios import expand_scenarios

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "flows" / "ims-conference.fdl"
HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed")

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
SVG_RE = re.compile(r"<svg[\s>].*?</svg>", re.DOTALL)
EVIL = "<script>alert(1)</script> & \"q\" 'a' ]]>"
EVIL_FDL = EVIL.replace("\\", "\\\\").replace('"', '\\"')


# ------------------------------------------------------------------------------ helpers


def load(path: Path = REFERENCE) -> tuple[ir.Flow, list[ir.Scenario]]:
    result = parse_file(path)
    assert result.ok and result.flow is not None, result.diagnostics
    return result.flow, expand_scenarios(result.flow).scenarios


def render(
    out: Path,
    flow: ir.Flow,
    scenarios: Sequence[ir.Scenario],
    options: RenderOptions | None = None,
    all_scenarios: Sequence[ir.Scenario] | None = None,
) -> list[Path]:
    every = all_scenarios or scenarios
    findings = check_flow(flow, every)
    if options is None:  # without Graphviz, collaboration.svg cannot be written
        options = RenderOptions() if HAS_DOT else RenderOptions(views=("full", "interface"))
    documents = plan_documents(flow, scenarios, options, findings, all_scenarios=every)
    return write_documents(documents, out)


class Page(HTMLParser):
    """An HTML page read back: balanced tags, links, ids, texts per element id/class."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed: {self.stack}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        for key, value in values.items():
            if key in ("href", "src", "xlink:href", "action", "poster", "data"):
                self.links.append((tag, key, value))
        if "id" in values:
            self.ids.add(values["id"])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append((tag, values))
        if "id" in values:
            self.ids.add(values["id"])
        for key, value in values.items():
            if key in ("href", "src", "xlink:href"):
                self.links.append((tag, key, value))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all_text(self) -> str:
        return "".join(self.text)


def element_texts(text: str, start: str, end: str) -> list[str]:
    """Texts of the elements between two markers, markup removed (a light extractor)."""
    section = text.split(start, 1)[1].split(end, 1)[0]
    return [Page(m).all_text().strip() for m in re.findall(r"<li>(.*?)</li>", section, re.DOTALL)]


def html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


@pytest.fixture(scope="module")
def reference() -> tuple[ir.Flow, list[ir.Scenario]]:
    return load()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, reference) -> Path:
    out = tmp_path_factory.mktemp("site")
    render(out, *reference)
    return out


# ------------------------------------------------------------------------------ content


def test_output_tree(site: Path, reference) -> None:
    flow, scenarios = reference
    names = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    expected = {"index.html", "assets/site.css", "assets/site.js"}
    for scenario in scenarios:
        slug = scenario.slug
        expected |= {f"{slug}/sequence.html", f"{slug}/summary.html"}
        expected |= {f"{slug}/interface-{e.name}.html" for e in flow.architecture.entities}
        if HAS_DOT:
            expected.add(f"{slug}/collaboration.html")
    assert expected <= names
    assert {n for n in names if n.endswith(".html")} == {n for n in expected if n.endswith(".html")}


def test_index_lists_scenarios_introduction_and_entities(site: Path, reference) -> None:
    flow, scenarios = reference
    text = (site / "index.html").read_text(encoding="utf-8")
    page = Page(text)
    assert not page.errors
    body = page.all_text()
    assert "IMS Conference Call" in body
    for scenario in scenarios:
        assert scenario.name in body
    assert [s.slug for s in scenarios] == ["participant-joins", "participant-declines"]

    steps = element_texts(text, '<ol class="cf-steps">', "</ol>")
    assert len(steps) == 6
    assert steps[0].startswith("The conference initiator uses the conference-factory URI")
    assert steps == [r.text for r in flow.introduction]

    table = text.split('class="cf-table cf-hierarchy"', 1)[1].split("</table>", 1)[0]
    rows = Page(table.split("<tbody>", 1)[1])
    entities = re.findall(r"<td><code>([^<]*)</code></td>", table)
    assert len(entities) == 9 == len(flow.architecture.entities)
    assert entities == [e.name for e in flow.architecture.entities]
    for label in ("Calling UE", "IMS Network", "IMS 1 MRF", "Initiating S-CSCF", "MRFC-AS"):
        assert label in rows.all_text()
    assert 'rowspan="7"' in table  # IMS Network spans its seven entities
    # the scenario table: messages and statements per scenario
    assert re.search(r"Participant joins</th>\s*<td[^>]*>126</td>\s*<td[^>]*>141</td>", text)
    assert re.search(r"Participant declines</th>\s*<td[^>]*>54</td>\s*<td[^>]*>62</td>", text)
    assert "No findings." in body


def test_index_links_every_scenario_and_view(site: Path, reference) -> None:
    flow, scenarios = reference
    page = Page((site / "index.html").read_text(encoding="utf-8"))
    targets = {value for _, key, value in page.links if key == "href"}
    for scenario in scenarios:
        slug = scenario.slug
        assert f"{slug}/sequence.html" in targets
        assert f"{slug}/sequence.svg" in targets
        assert f"{slug}/summary.html" in targets
        for entity in flow.architecture.entities:
            assert f"{slug}/interface-{entity.name}.html" in targets
        if HAS_DOT:
            assert f"{slug}/collaboration.html" in targets


@needs_dot
def test_index_embeds_the_context_diagram(site: Path) -> None:
    text = (site / "index.html").read_text(encoding="utf-8")
    section = text.split('id="architecture"', 1)[1].split("</section>", 1)[0]
    (svg,) = SVG_RE.findall(section)
    root = ET.fromstring(svg)
    labels = {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"Calling UE", "IMS Network", "Called UE"} <= labels
    assert "<?xml" not in section and "<!DOCTYPE" not in section


def test_links_resolve_to_existing_files_and_anchors(site: Path) -> None:
    checked = 0
    for path in html_files(site):
        page = Page(path.read_text(encoding="utf-8"))
        for tag, key, value in page.links:
            if key == "href" and value.startswith("data:"):
                continue
            parts = urlsplit(value)
            assert not parts.scheme and not parts.netloc, (path, value)
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            assert target.is_file(), f"{path.relative_to(site)}: {tag} {key}={value}"
            assert site.resolve() in target.parents, value  # stays inside the folder
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in Page(target.read_text(encoding="utf-8")).ids, value
            checked += 1
    assert checked > 300


def test_no_external_resources(site: Path) -> None:
    for path in sorted(site.rglob("*")):
        if not path.is_file() or path.suffix not in (".html", ".css", ".js"):
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text), path
        assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", text), path
        assert "@import" not in text, path
        if path.suffix == ".html":
            for _, _, value in Page(text).links:
                assert not value.lower().startswith(("http:", "https:", "//")), (path, value)
        # the only absolute URLs are XML namespace names
        for url in re.findall(r"https?://[^\s\"'<>)]+", text):
            assert url in {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, (
                path,
                url,
            )


def test_every_page_parses_and_inline_svgs_are_well_formed(site: Path) -> None:
    svgs = 0
    for path in html_files(site):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>\n")
        page = Page(text)
        assert not page.errors, (path, page.errors[:3])
        for svg in SVG_RE.findall(text):
            ET.fromstring(svg)  # raises on malformed XML
            svgs += 1
        ids = [values["id"] for _, values in page.tags if "id" in values]
        assert len(ids) == len(set(ids)), path  # one-page diagrams: no id twice
    assert svgs >= 2 * 20  # a header and a body per diagram page


def test_diagram_pages_embed_every_message_with_a_sticky_header(site: Path, reference) -> None:
    flow, scenarios = reference
    views = diagram_views(flow, scenarios, RenderOptions(), all_scenarios=scenarios)
    assert len(views) == 20
    for view in views:
        text = (site / f"{view.stem}.html").read_text(encoding="utf-8")
        sticky = text.split('<div class="cf-sticky">', 1)[1].split("</div>", 1)[0]
        assert 'class="header"' in sticky and "sticky-part" in sticky
        header_svg = ET.fromstring(SVG_RE.findall(sticky)[0])
        header_texts = {"".join(t.itertext()) for t in header_svg.iter()}
        assert {"Calling UE", "IMS Network", "IMS 1 MRF", "MRFC-AS", "MRFP"} <= header_texts
        ids = re.findall(r'<g id="(m\d+)" class="msg', text)
        assert ids == [f"m{n}" for n in view.layout.messages]
        count = len(view.layout.messages)
        assert f'data-count="{count}">{count} message' in text
        assert text.count("<defs>") == 1  # one copy of the markers and CSS per page
        assert '<script src="../assets/site.js" defer></script>' in text


def test_s_cscf_a_interface_view_page(site: Path) -> None:
    text = (site / "participant-joins" / "interface-S_CSCF_A.html").read_text(encoding="utf-8")
    assert "<title>Initiating S-CSCF Interfaces (IMS Conference Call) · Participant joins" in text
    assert "<h1>Initiating S-CSCF Interfaces (IMS Conference Call)</h1>" in text
    assert (
        'href="interface-S_CSCF_A.html" title="interface view of S_CSCF_A" aria-current="page"'
        in text
    )
    assert 'href="../index.html"' in text
    assert "40 messages" in text


def test_summary_pages(site: Path, reference) -> None:
    _, scenarios = reference
    for scenario in scenarios:
        text = (site / scenario.slug / "summary.html").read_text(encoding="utf-8")
        rows = message_summary(scenario)
        body = text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        assert body.count("<tr>") == len(rows)
        first = rows[0]
        assert f'<a href="sequence.html#m{first.first}">{first.first}</a>' in body
        assert sum(r.count for r in rows) >= len(scenario.messages())
        assert "Conference Initiator" in body  # entity labels, with the id as a title


@needs_dot
def test_collaboration_pages_embed_the_graph(site: Path, reference) -> None:
    _, scenarios = reference
    for scenario in scenarios:
        text = (site / scenario.slug / "collaboration.html").read_text(encoding="utf-8")
        (svg,) = SVG_RE.findall(text)
        assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"


def test_hierarchy_rows_merge_groups() -> None:
    result = parse_text(
        'system: S1 "One", S2 "Two"\nsubsystem: X "Ex" in S1\n'
        "eternal: A in X [role=ue], B in X, C in S1, D in S2, E\n",
        "h.fdl",
    )
    assert result.flow is not None
    levels, rows = hierarchy_rows(result.flow.architecture)
    assert levels == ["System", "Subsystem"]
    spans = [[(c.label, c.rowspan) if c else None for c in row.cells] for row in rows]
    assert spans == [
        [("One", 3), ("Ex", 2)],
        [None, None],
        [None, ("", 1)],
        [("Two", 1), ("", 1)],
        [("", 1), ("", 1)],
    ]


def test_href_is_relative() -> None:
    assert href("index.html", "a/b.html") == "a/b.html"
    assert href("a/b.html", "index.html") == "../index.html"
    assert href("a/b.html", "a/c.html", "m3") == "c.html#m3"
    assert href("a/b.html", "assets/site.css") == "../assets/site.css"


# ------------------------------------------------------------------------------ options


def test_html_only_full_view_without_collab(tmp_path: Path, reference) -> None:
    flow, scenarios = reference
    options = RenderOptions(views=("full",), formats=("html",))
    render(tmp_path, flow, scenarios, options)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.*"))
    assert names == [
        "assets/site.css",
        "assets/site.js",
        "index.html",
        "participant-declines/sequence.html",
        "participant-declines/summary.html",
        "participant-joins/sequence.html",
        "participant-joins/summary.html",
    ]
    for path in html_files(tmp_path):
        for _, key, value in Page(path.read_text(encoding="utf-8")).links:
            if key == "href" and not value.startswith("data:"):
                assert (path.parent / urlsplit(value).path).is_file(), (path, value)


def test_one_entity_and_a_date(tmp_path: Path, reference) -> None:
    flow, scenarios = reference
    options = RenderOptions(views=("interface",), formats=("html",), entity="S_CSCF_A",
                            date="2024-05-06")  # fmt: skip
    render(tmp_path, flow, scenarios[:1], options, all_scenarios=scenarios)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "participant-joins/interface-S_CSCF_A.html" in index
    assert "participant-joins/interface-UE_A.html" not in index
    assert "1 scenario of 2" in index
    assert "on 2024-05-06." in index
    page = (tmp_path / "participant-joins" / "interface-S_CSCF_A.html").read_text(encoding="utf-8")
    assert "2024-05-06" in page


def test_findings_table(tmp_path: Path) -> None:
    result = parse_text(
        'eternal: A [role=ue], B [role=ue]\nfeature "f" {\n    A starts timer T1\n'
        "    INVITE : A -> UE_C\n}\n",
        "bad.fdl",
    )
    assert result.flow is not None
    scenarios = expand_scenarios(result.flow).scenarios
    render(tmp_path, result.flow, scenarios, RenderOptions(views=("full",), formats=("html",)))
    text = (tmp_path / "index.html").read_text(encoding="utf-8")
    review = text.split('id="review"', 1)[1]
    assert "No findings" not in review
    assert "<code>FLOW001</code>" in review and "<code>bad.fdl:4:19</code>" in review
    assert "<code>FLOW002</code>" in review and "<td>main</td>" in review
    assert re.search(r"\d+ errors?, \d+ warnings?", review)
    assert '<tr class="cf-error">' in review


# ------------------------------------------------------------------------------ determinism


def test_rendering_is_deterministic(tmp_path: Path, reference) -> None:
    flow, scenarios = reference
    first, second = tmp_path / "a", tmp_path / "b"
    render(first, flow, scenarios)
    render(second, *load())  # a fresh parse, too
    files_a = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert files_a == files_b
    for name in files_a:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_documents_are_made_lazily(reference) -> None:
    flow, scenarios = reference
    calls: list[str] = []

    def make() -> str:
        calls.append("collab")
        return "<svg xmlns='http://www.w3.org/2000/svg'/>"

    views = diagram_views(flow, scenarios, RenderOptions(views=("full",)))
    documents = site_documents(
        flow, scenarios, views, {s.slug: make for s in scenarios}, [], RenderOptions(),
        all_scenarios=scenarios,
    )  # fmt: skip
    assert calls == []
    assert [d.path for d in documents][:3] == [
        "index.html",
        "participant-joins/sequence.html",
        "participant-joins/summary.html",
    ]
    collab_doc = next(d for d in documents if d.path.endswith("collaboration.html"))
    assert "<svg xmlns='http://www.w3.org/2000/svg'/>" in collab_doc.make()
    assert calls == ["collab"]


# ------------------------------------------------------------------------------ escaping


def evil_flow() -> tuple[ir.Flow, list[ir.Scenario]]:
    e = EVIL_FDL
    source = (
        f'title "{e}"\n'
        f'system: S "{e}"\n'
        f'eternal: A "{e}" in S [role=ue, uri="sip:a@x.net"], B "B {e}" [role=ue]\n'
        f'remark "{e}"\n'
        f'feature "{e}" {{\n'
        f'    heading "{e}"\n'
        f'    OPTIONS(Call-ID="{e}", X-Evil="{e}", "{e}") : A -> B  (* {EVIL} *)\n'
        f'    200 OK(Call-ID="{e}") : B -> A\n'
        f'    A takes action "{e}"\n'
        f'    remark "{e}"\n'
        "}\n"
    )
    result = parse_text(source, "evil.fdl")
    assert result.flow is not None, result.diagnostics
    assert result.flow.title == EVIL
    return result.flow, expand_scenarios(result.flow).scenarios


def test_user_text_is_escaped_everywhere(tmp_path: Path) -> None:
    flow, scenarios = evil_flow()
    render(tmp_path, flow, scenarios)
    files = [p for p in sorted(tmp_path.rglob("*")) if p.is_file()]
    assert any(p.name == "interface-A.html" for p in files)
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text, path
        assert "]]>" not in text, path
        if path.suffix == ".html":
            page = Page(text)
            assert not page.errors, (path, page.errors[:3])
            scripts = [v for tag, v in page.tags if tag == "script"]
            assert scripts == [{"src": v.get("src", ""), "defer": ""} for v in scripts]
            assert all(s["src"].endswith("assets/site.js") for s in scripts)
            for svg in SVG_RE.findall(text):
                ET.fromstring(svg)
    index = Page((tmp_path / "index.html").read_text(encoding="utf-8"))
    # shown literally: the parsed text holds the string as the user wrote it
    assert index.all_text().count(EVIL) >= 4  # title, h1, step, system, entity label
    page_text = (tmp_path / "main" / "sequence.html").read_text(encoding="utf-8")
    assert EVIL in Page(page_text).all_text()
    body = SVG_RE.findall(page_text)[1]
    messages = [
        g for g in ET.fromstring(body).iter("{http://www.w3.org/2000/svg}g")
        if "msg" in g.get("class", "").split()
    ]  # fmt: skip
    assert [g.get("data-call") for g in messages] == [EVIL, EVIL]
    summary = Page((tmp_path / "main" / "summary.html").read_text(encoding="utf-8"))
    assert "B " + EVIL in summary.all_text()


# ------------------------------------------------------------------------------ no Graphviz


def test_graphviz_missing_gives_notes(tmp_path: Path, reference, monkeypatch) -> None:
    def missing(*args: object, **kwargs: object) -> str:
        raise collab.GraphvizMissing("Graphviz's 'dot' was not found on PATH")

    monkeypatch.setattr(collab, "render_graph", missing)
    flow, scenarios = reference
    render(tmp_path, flow, scenarios, RenderOptions(views=("full", "collab"), formats=("html",)))
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "No context diagram: Graphviz&#39;s &#39;dot&#39; was not found on PATH" in index
    page = (tmp_path / "participant-joins" / "collaboration.html").read_text(encoding="utf-8")
    assert "No collaboration diagram: Graphviz" in page
    assert "<svg" not in page


def test_pages_of_a_long_diagram_each_get_a_sticky_header(tmp_path: Path, reference) -> None:
    flow, scenarios = reference
    options = RenderOptions(views=("full",), formats=("html",), page_height=1200)
    render(tmp_path, flow, scenarios[:1], options, all_scenarios=scenarios)
    views = diagram_views(flow, scenarios[:1], options, all_scenarios=scenarios)
    (view,) = views
    count = len(view.layout.pages)
    assert count > 2
    text = (tmp_path / "participant-joins" / "sequence.html").read_text(encoding="utf-8")
    assert not Page(text).errors
    assert text.count('<div class="cf-sticky">') == count
    assert [int(n) for n in re.findall(r'<section class="cf-sheet" id="page-(\d+)"', text)] == list(
        range(1, count + 1)
    )
    assert f"{count} pages" in text
    assert text.count("<defs>") == 1
    ids = re.findall(r'<g id="(m\d+)" class="msg', text)
    assert ids == [f"m{n}" for n in view.layout.messages]
    for svg in SVG_RE.findall(text):
        ET.fromstring(svg)
