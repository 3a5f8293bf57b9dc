"""The example EventStudio project (flows/eventstudio/) end to end, as a user runs it.

`callflow check` and `callflow render` on the project folder: every scenario of
project.scn.json (defines included), every document (object level, component and
subsystem levels, an interface view of a type, a context diagram), styles and links in
the SVG, the project's HTML index linking everything, byte-identical output on a second
render; and the published site in headless Chromium (no console error, every page's
diagram present, the link clickable, the styled message coloured).
"""

from __future__ import annotations

import filecmp
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from callflow.cli import cli

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "flows" / "eventstudio"
HAS_DOT = shutil.which("dot") is not None
SCENARIOS = (
    "registration",
    "registration-with-profile-download",
    "deregistration-accepted",
    "deregistration-rejected",
)
DOCUMENTS = ("objects", "components", "subsystems", "cscf-interfaces")


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eventstudio") / "site"
    result = invoke("render", str(PROJECT), "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


def svg(site: Path, document: str, scenario: str = "registration") -> str:
    return (site / document / scenario / "sequence.svg").read_text(encoding="utf-8")


def message_group(text: str, number: int) -> str:
    start = text.index(f'<g id="m{number}"')
    return text[start : text.index("</g>", start)]


def texts(text: str) -> list[str]:
    return re.findall(r"<text [^>]*>([^<]*)</text>", text)


def test_check_reads_every_scenario_and_is_clean() -> None:
    result = invoke("check", str(PROJECT))
    assert result.exit_code == 0, result.output
    assert "4 scenarios from 2 models, 5 documents: no findings" in result.output
    assert "model/registration.FDL: 2 scenarios" in result.output


def test_scenarios_follow_the_project_defines() -> None:
    result = invoke("scenarios", str(PROJECT))
    assert result.exit_code == 0, result.output
    rows = [re.split(r"\s{2,}", line.strip()) for line in result.output.splitlines()[1:]]
    assert [(row[1], row[2], row[-1]) for row in rows] == [
        ("Registration", "registration", "16"),
        ("Registration with profile download", "registration-with-profile-download", "18"),
        ("Deregistration / Accepted", "deregistration-accepted", "6"),
        ("Deregistration / Rejected", "deregistration-rejected", "6"),
    ]


def test_every_document_and_scenario_is_rendered_and_linked(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    for document in DOCUMENTS:
        assert f'href="{document}/index.html"' in index
        for scenario in SCENARIOS:
            assert (site / document / scenario / "sequence.svg").is_file()
            assert f'href="{document}/{scenario}/sequence.html"' in index
    assert 'href="context/index.html"' in index
    if HAS_DOT:
        assert "<svg" in (site / "context" / "context.svg").read_text(encoding="utf-8")


def test_the_defines_change_what_a_scenario_holds(site: Path) -> None:
    assert "ServerAssignment" not in svg(site, "objects")
    assert "ServerAssignment" in svg(site, "objects", "registration-with-profile-download")


def test_object_level_document(site: Path) -> None:
    text = svg(site, "objects")
    labels = texts(text)
    for label in ("UE", "P-CSCF", "I-CSCF", "S-CSCF", "AuthCtx | RegCtx", "HSS"):
        assert label in labels
    # the styled 401 (style _error: CRIMSON, dashed) and the link on message 5
    assert "stroke:crimson" in message_group(text, 8)
    assert '<a href="https://www.rfc-editor.org/rfc/rfc3261#section-10">' in message_group(text, 5)
    # the block remark and the preconditions frame
    assert "The UE registers its contact; the S-CSCF challenges it once (AKA) and then" in (
        " ".join(labels)
    )
    assert "Preconditions" in labels


def test_component_level_document_merges_columns(site: Path) -> None:
    text = svg(site, "components")
    labels = texts(text)
    for label in ("Edge", "Control", "HSS", "UE"):
        assert label in labels
    for merged in ("P-CSCF", "I-CSCF", "S-CSCF"):
        assert merged not in labels  # folded into Edge and Control
    # I-CSCF -> S-CSCF: both in Control, a self-message (a loop path, not a line)
    fifth = message_group(text, 5)
    assert "<path " in fifth and "<line " not in fifth
    # USE_MULTI_TIER_HEADER: the system row is drawn
    assert "Operator Network" in labels


def test_subsystem_level_document_excludes_remarks(site: Path) -> None:
    text = svg(site, "subsystems")
    labels = texts(text)
    for label in ("Handset", "IMS Core", "Subscriber Data"):
        assert label in labels
    assert "Remarks" not in labels
    assert "the P-CSCF adds Path" not in text


def test_interface_view_of_a_type(site: Path) -> None:
    text = svg(site, "cscf-interfaces")
    assert '<title id="t1">CSCF Interfaces (IMS Registration)</title>' in text
    assert "Compute RES" not in text  # the UE's own action involves no CSCF
    assert "REGISTER" in texts(text)


def test_a_second_render_is_byte_identical(site: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert invoke("render", str(PROJECT), "-o", str(again)).exit_code == 0
    ours = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert ours == theirs
    _, mismatch, errors = filecmp.cmpfiles(site, again, [str(p) for p in ours], shallow=False)
    assert (mismatch, errors) == ([], [])


# --------------------------------------------------------------------------- browser

# the `driver` fixture (headless Chromium, skipped without it) is in conftest.py


def test_the_project_site_in_a_real_browser(driver: Any, site: Path) -> None:
    from selenium.webdriver.common.by import By

    driver.get((site / "index.html").as_uri())
    links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "a[href]")]
    pages = sorted({link for link in links if link.startswith("file:") and ".html" in link})
    assert len(pages) >= 1 + len(DOCUMENTS) * len(SCENARIOS)
    for page in pages:
        driver.get(page)
        assert driver.title, page
        errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == [], page
        if page.endswith("/sequence.html"):
            assert driver.find_elements(By.CSS_SELECTOR, "g.msg"), page
    # the objects document: the link is a real link, the styled message is crimson
    driver.get((site / "objects" / "registration" / "sequence.html").as_uri())
    href = driver.execute_script("return document.querySelector('g#m5 a').href.baseVal")
    assert href == "https://www.rfc-editor.org/rfc/rfc3261#section-10"
    stroke = driver.execute_script(
        "return getComputedStyle(document.querySelector('g#m8 line')).stroke"
    )
    assert stroke == "rgb(220, 20, 60)"  # CRIMSON
    shot = Path("/tmp/callflow-screenshots")
    shot.mkdir(exist_ok=True)
    driver.save_screenshot(str(shot / "eventstudio-objects-registration.png"))
