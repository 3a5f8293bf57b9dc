"""The HTML site in a real browser: headless Chromium driven by Selenium.

Every HTML page of the rendered reference flow is opened from ``file://`` and checked:
no console error, one ``g.msg`` per message of the view, the sticky header still at the
top after scrolling to the bottom, hovering a message highlights exactly the messages of
its Call-ID, and ``#mN`` scrolls message N clear of the sticky header. Full-page
screenshots of each scenario's sequence diagram and of the S_CSCF_A interface view are
saved under ``tmp_path`` and copied to ``/tmp/callflow-screenshots/`` for a human to see.

Needs ``/usr/bin/chromium``, ``chromedriver`` on PATH and the ``selenium`` package
(test dependency); skipped with the reason otherwise. Selenium Manager never runs: the
driver is given explicitly, so nothing is downloaded.
"""

from __future__ import annotations

import base64
import importlib.util
import shutil
from pathlib import Path
from typing import Any

import pytest

from callflow.check import check_flow
from callflow.fdl import parse_file, parse_text
from callflow.render.documents import (
    DiagramView,
    RenderOptions,
    diagram_views,
    plan_documents,
    write_documents,
)
from callflow.scenarios import expand_scenarios

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "flows" / "ims-conference.fdl"
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path("/tmp/callflow-screenshots")
HAS_DOT = shutil.which("dot") is not None

_missing = [
    reason
    for reason, absent in (
        ("/usr/bin/chromium is not installed", not CHROMIUM.exists()),
        ("chromedriver is not on PATH", shutil.which("chromedriver") is None),
        ("selenium is not importable", importlib.util.find_spec("selenium") is None),
    )
    if absent
]
pytestmark = pytest.mark.skipif(bool(_missing), reason="; ".join(_missing) or "ok")

# JavaScript probes (run in the page)
STICKY = """
const sticky = document.querySelector('.cf-sticky');
const r = sticky.getBoundingClientRect();
const style = getComputedStyle(sticky);
return {top: r.top, height: r.height, position: style.position,
        scrolled: window.scrollY, max: document.documentElement.scrollHeight - innerHeight};
"""
LIT = "return Array.from(document.querySelectorAll('g.msg.hl')).map(g => g.id);"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[DiagramView]]:
    result = parse_file(REFERENCE)
    assert result.flow is not None
    flow = result.flow
    scenarios = expand_scenarios(flow).scenarios
    # without Graphviz, collaboration.svg cannot be written (the index then shows a note)
    options = RenderOptions(views=("full", "interface", "collab")[: 3 if HAS_DOT else 2])
    out = tmp_path_factory.mktemp("site")
    documents = plan_documents(
        flow, scenarios, options, check_flow(flow, scenarios), all_scenarios=scenarios
    )
    write_documents(documents, out)
    return out, diagram_views(flow, scenarios, options, all_scenarios=scenarios)


def open_page(driver: Any, path: Path) -> None:
    driver.get(path.as_uri())
    driver.execute_script("return document.readyState")


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def full_page_screenshot(driver: Any, target: Path) -> None:
    """The whole page (not just the viewport) as PNG, through the DevTools protocol."""
    driver.execute_script("window.scrollTo(0, 0)")
    size = driver.execute_script(
        "const e = document.documentElement;"
        "return [Math.ceil(e.scrollWidth), Math.ceil(e.scrollHeight)];"
    )
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1},
        },
    )
    target.write_bytes(base64.b64decode(shot["data"]))


def calls_of(driver: Any) -> dict[str, str | None]:
    return driver.execute_script(
        "const out = {}; document.querySelectorAll('g.msg').forEach("
        "g => out[g.id] = g.getAttribute('data-call')); return out;"
    )


def hover_and_check(driver: Any, message_id: str, calls: dict[str, str | None]) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.ID, message_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    ActionChains(driver).move_to_element(element).perform()
    lit = set(driver.execute_script(LIT))
    call = calls[message_id]
    expected = {m for m, c in calls.items() if c == call} if call is not None else {message_id}
    assert lit == expected, (message_id, call)


def test_every_page_in_a_real_browser(driver: Any, rendered, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    out, views = rendered
    by_page = {out / f"{view.stem}.html": view for view in views}
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == 1 + 20 + 2 + (2 if HAS_DOT else 0)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    seen_diagrams = long_pages = 0
    for page in pages:
        name = page.relative_to(out).as_posix()
        open_page(driver, page)
        assert driver.title, name
        view = by_page.get(page)
        if view is not None:
            seen_diagrams += 1
            messages = driver.find_elements(By.CSS_SELECTOR, "g.msg")
            assert len(messages) == len(view.layout.messages), name
            count = driver.find_element(By.CSS_SELECTOR, ".cf-count")
            assert count.text.startswith(f"{len(view.layout.messages)} message"), name

            # hover: the first message, and one of another Call-ID (or without one)
            calls = calls_of(driver)
            ids = list(calls)
            first = ids[0]
            other = next((m for m in ids if calls[m] != calls[first]), None)
            hover_and_check(driver, first, calls)
            if other is not None:
                hover_and_check(driver, other, calls)
            heading = driver.find_element(By.TAG_NAME, "h1")
            ActionChains(driver).move_to_element(heading).perform()
            assert driver.execute_script(LIT) == [], name

            # the sticky header stays at the top after scrolling to the bottom
            driver.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
            sticky = driver.execute_script(STICKY)
            assert sticky["position"] == "sticky", name
            if sticky["max"] > sticky["height"]:  # long enough to scroll the header away
                long_pages += 1
                assert sticky["scrolled"] >= sticky["max"] - 1, name
                assert abs(sticky["top"]) <= 1, (name, sticky)
            element = driver.find_element(By.CSS_SELECTOR, ".cf-sticky")
            assert element.is_displayed(), name
            header = driver.find_element(By.CSS_SELECTOR, ".cf-sticky svg")
            assert header.is_displayed() and header.size["height"] > 50, name

            if view.entity is None or view.entity == "S_CSCF_A":
                shot = shots / f"{view.stem.replace('/', '--')}.png"
                full_page_screenshot(driver, shot)
                assert shot.stat().st_size > 10_000
        assert console_errors(driver) == [], name
    assert seen_diagrams == 20
    assert long_pages >= 12  # the short interface views fit in the window

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    saved = sorted(shots.glob("*.png"))
    assert [p.name for p in saved] == [
        "participant-declines--interface-S_CSCF_A.png",
        "participant-declines--sequence.png",
        "participant-joins--interface-S_CSCF_A.png",
        "participant-joins--sequence.png",
    ]
    for shot in saved:
        shutil.copy2(shot, SCREENSHOTS / shot.name)


def test_message_anchor_scrolls_clear_of_the_sticky_header(
    driver: Any, rendered, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    out, _ = rendered
    page = out / "participant-joins" / "sequence.html"
    driver.get(page.as_uri() + "#m60")
    box = driver.execute_script(
        "const m = document.getElementById('m60').getBoundingClientRect();"
        "const s = document.querySelector('.cf-sticky').getBoundingClientRect();"
        "return {top: m.top, bottom: m.bottom, sticky: s.bottom, scrolled: window.scrollY,"
        " marked: document.getElementById('m60').classList.contains('cf-target')};"
    )
    assert box["scrolled"] > 1000
    assert box["sticky"] <= box["top"] <= box["sticky"] + 60, box
    assert box["marked"]
    # what a reader sees: the header still on top, message 60's Call-ID highlighted
    ActionChains(driver).move_to_element(driver.find_element(By.ID, "m60")).perform()
    assert len(driver.execute_script(LIT)) > 1
    shot = tmp_path / "participant-joins--sequence--m60-hover.png"
    driver.save_screenshot(str(shot))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(shot, SCREENSHOTS / shot.name)
    # a hash change on the same page scrolls too
    driver.execute_script("location.hash = '#m100'")
    top = driver.execute_script(
        "return [document.getElementById('m100').getBoundingClientRect().top,"
        " document.querySelector('.cf-sticky').getBoundingClientRect().bottom];"
    )
    assert top[1] <= top[0] <= top[1] + 60, top
    assert console_errors(driver) == []


def test_summary_links_jump_to_the_message(driver: Any, rendered) -> None:
    from selenium.webdriver.common.by import By

    out, _ = rendered
    driver.get((out / "participant-declines" / "summary.html").as_uri())
    link = driver.find_elements(By.CSS_SELECTOR, ".cf-summary a")[-1]
    number = link.text
    link.click()
    assert driver.current_url.endswith(f"/participant-declines/sequence.html#m{number}")
    box = driver.execute_script(
        f"return [document.getElementById('m{number}').getBoundingClientRect().top,"
        " document.querySelector('.cf-sticky').getBoundingClientRect().bottom, innerHeight];"
    )
    assert box[1] <= box[0] <= box[2], box
    assert console_errors(driver) == []


def test_hostile_text_is_inert_in_the_browser(driver: Any, tmp_path: Path) -> None:
    """User text that looks like markup or script stays text; odd Call-IDs still work."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    evil = '<script>alert(1)</script> & \\"q\\" ]]>'
    source = (
        f'title "{evil}"\n'
        f'eternal: A "{evil}" [role=ue], B [role=ue]\n'
        f'remark "{evil}"\n'
        'feature "f" {\n'
        f'    OPTIONS(Call-ID="{evil}", "{evil}") : A -> B\n'
        f'    200 OK(Call-ID="{evil}") : B -> A\n'
        "    MESSAGE(Call-ID=__proto__) : A -> B\n"
        "    200 OK(Call-ID=__proto__) : B -> A\n"
        "}\n"
    )
    result = parse_text(source, "evil.fdl")
    assert result.flow is not None, result.diagnostics
    scenarios = expand_scenarios(result.flow).scenarios
    options = RenderOptions(views=("full",), formats=("html",))
    write_documents(plan_documents(result.flow, scenarios, options), tmp_path)
    for page in ("index.html", "main/sequence.html", "main/summary.html"):
        driver.get((tmp_path / page).as_uri())
        with pytest.raises(NoAlertPresentException):
            driver.switch_to.alert.text  # noqa: B018
        assert console_errors(driver) == [], page
        assert "<script>alert(1)</script>" in driver.find_element(By.TAG_NAME, "body").text
    driver.get((tmp_path / "main" / "sequence.html").as_uri())
    calls = calls_of(driver)
    assert sorted(calls.values()) == ['<script>alert(1)</script> & "q" ]]>'] * 2 + ["__proto__"] * 2
    for message in calls:
        hover_and_check(driver, message, calls)
