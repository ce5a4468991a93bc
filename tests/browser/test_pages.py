"""Every page of the built book in a real browser (headless Chromium), with every host
but this machine unreachable, as in a classroom behind a firewall.

Run after the book is built (the README's test command does both):

    .venv/bin/jupyter-book build . && .venv/bin/python -m pytest -q tests/browser

Each page must log no console error, load nothing from another host, typeset every
equation, load every image, give every image a caption and an alt text that says what it
shows, show each explorer's stand-in figure, and open its sidebar
at phone width; each chapter's self-check quiz must draw itself and answer clicks. Screenshots of each page at 1280 and 400 px go to _build/screenshots/.
"""

from __future__ import annotations

import base64
import functools
import html
import http.server
import json
import os
import pathlib
import re
import shutil
import tempfile
import threading
import time
import urllib.parse

import pytest

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Another built edition (the student one, say) can be checked with FUNREC_BOOK_HTML=folder.
HTML = pathlib.Path(os.environ.get("FUNREC_BOOK_HTML", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = ROOT / "_build" / "screenshots"
PAGES = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
               if not p.relative_to(HTML).parts[0].startswith("_"))
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage",
                  # Every name but this machine's fails to resolve: nothing from outside.
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
DESKTOP, PHONE = (1280, 900), (400, 850)
TILE = 10_000
LOCAL = "127.0.0.1"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    """The built book over HTTP on this machine (MathJax fonts do not load from file://)."""
    handler = functools.partial(QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer((LOCAL, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{LOCAL}:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("chromium and chromedriver are needed (Debian: apt-get install chromium "
                    "chromium-driver; .ci/run installs them)")
    profile = tempfile.mkdtemp(prefix="funrec-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}",
                                  f"--window-size={DESKTOP[0]},{DESKTOP[1]}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_the_book_was_built():
    assert (HTML / "index.html").exists(), "build the book first: jupyter-book build ."
    assert any(page.startswith("book/") for page in PAGES)


def wait_for(driver, script: str, timeout: float = 30.0):
    """Poll a JavaScript expression until it is truthy; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(f"return {script}")
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.25)


def requested_urls(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def other_hosts(urls) -> list[str]:
    return [u for u in urls if urllib.parse.urlparse(u).scheme in ("http", "https", "ws", "wss")
            and urllib.parse.urlparse(u).hostname != LOCAL]


def screenshot(driver, path: pathlib.Path, size) -> None:
    """The whole page, not only the first screen, in tiles of at most TILE pixels high
    (Chromium captures no more than about 16,000 at once): name.png, name-2.png, ..."""
    width, height = size
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    full = driver.execute_script("return document.documentElement.scrollHeight")
    path.parent.mkdir(parents=True, exist_ok=True)
    for number, top in enumerate(range(0, full, TILE), start=1):
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": top, "width": width, "height": min(TILE, full - top),
                     "scale": 1}})
        name = path if number == 1 else path.with_name(f"{path.stem}-{number}{path.suffix}")
        name.write_bytes(base64.b64decode(shot["data"]))


def load(driver, url: str) -> None:
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.get(url)
    wait_for(driver, "document.readyState === 'complete'")
    # Some images load only near the screen: ask for all of them now.
    driver.execute_script("document.querySelectorAll('img').forEach(i => i.loading = 'eager')")
    wait_for(driver, "Array.from(document.images).every(i => i.complete)")
    math = driver.execute_script("return document.querySelector('.math') !== null")
    # If MathJax never starts (not served, say), the checks below say so.
    if math and wait_for(driver, "!!(window.MathJax && MathJax.startup && "
                                 "MathJax.startup.promise)", timeout=20):
        driver.execute_script("window.typeset = false;"
                              "MathJax.startup.promise.then(() => { window.typeset = true; })")
        wait_for(driver, "window.typeset === true")


@pytest.mark.parametrize("page", PAGES)
def test_page_reads_offline(browser, site, page):
    browser.get_log("browser"), browser.get_log("performance")  # drop earlier pages' logs
    load(browser, site + page)

    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors {errors}"
    assert not other_hosts(requested_urls(browser)), f"{page}: loads from other hosts"

    untypeset = browser.execute_script(
        "return Array.from(document.querySelectorAll('.math'))"
        ".filter(m => !m.querySelector('mjx-container')).length")
    raw = browser.execute_script(
        "const a = document.querySelector('article') || document.body;"
        "const copy = a.cloneNode(true); copy.querySelectorAll('pre, code, script, style')"
        ".forEach(n => n.remove()); return copy.textContent")
    assert untypeset == 0, f"{page}: {untypeset} equations not typeset"
    assert "\\[" not in raw and "\\(" not in raw, f"{page}: raw TeX left in the text"

    broken = browser.execute_script(
        "return Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src.slice(0, 80))")
    assert not broken, f"{page}: images that did not load: {broken}"

    # Every figure says what it shows to a reader who cannot see it (an alt text of a few
    # words, not the image's file path, which is what an image without one gets), and
    # carries a numbered caption.
    images = browser.execute_script(
        "return Array.from(document.querySelectorAll('article img, .bd-article img')).map(i => ({"
        " alt: i.getAttribute('alt') || '', src: (i.getAttribute('src') || '').slice(0, 200),"
        " caption: (i.closest('figure') && i.closest('figure').querySelector('figcaption'))"
        "  ? i.closest('figure').querySelector('figcaption').textContent : ''}))")
    for image in images:
        alt = image["alt"].strip()
        assert len(alt.split()) >= 4, f"{page}: an image's alt text says too little: {alt!r}"
        assert not re.search(r"\.(png|svg|jpe?g|gif)$", alt, re.I) and "_images/" not in alt \
            and alt != image["src"], f"{page}: an image's alt text is its file path: {alt!r}"
        assert re.match(r"\s*Fig\. \d", image["caption"]), \
            f"{page}: an image without a numbered caption (alt {alt[:60]!r})"

    if browser.find_elements(By.CSS_SELECTOR, "section[id^='explore']"):
        previews = browser.find_elements(By.CSS_SELECTOR, ".funrec-explorer-preview")
        assert previews, f"{page}: the Explore section has no explorer stand-in"
        for preview in previews:
            assert preview.find_elements(By.TAG_NAME, "img"), f"{page}: explorer without figure"
            assert "runs live in Jupyter or Colab" in preview.text

    name = page.replace("/", "_").removesuffix(".html")
    screenshot(browser, SCREENSHOTS / f"{name}-1280.png", DESKTOP)
    screenshot(browser, SCREENSHOTS / f"{name}-400.png", PHONE)


@pytest.mark.parametrize("page", [p for p in PAGES if p.startswith("book/")][:1] + ["index.html"])
def test_sidebar_opens_at_phone_width(browser, site, page):
    load(browser, site + page)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True})
    browser.execute_script("window.scrollTo(0, 0)")
    links = "nav.bd-docs-nav a, .bd-sidebar-primary .bd-links a"
    visible = ("Array.from(document.querySelectorAll(arguments[0])).filter(a => {"
               " const r = a.getBoundingClientRect();"
               " return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= innerWidth"
               " && getComputedStyle(a).visibility !== 'hidden'; }).length")
    # The phone layout applies a moment after the override (index.html also redirects first):
    # give it a few seconds to close the sidebar before calling it open.
    closed = wait_for(browser, f"({visible.replace('arguments[0]', repr(links))}) === 0", timeout=5)
    assert closed, "sidebar open before the click"
    toggles = [b for b in browser.find_elements(By.CSS_SELECTOR, "button.primary-toggle, "
                                                "label.primary-toggle") if b.is_displayed()]
    assert toggles, f"{page}: no visible button opens the sidebar at {PHONE[0]} px"
    toggles[0].click()
    time.sleep(0.8)  # the drawer slides in
    shown = browser.execute_script(f"return {visible}", links)
    assert shown > 0, f"{page}: the sidebar did not open at {PHONE[0]} px"
    browser.save_screenshot(str(SCREENSHOTS / f"{page.replace('/', '_')[:-5]}-400-sidebar.png"))


QUIZZES = ROOT / "funrec" / "quizzes"
QUIZ_PAGES = [p for p in PAGES if p.startswith("book/")
              and (QUIZZES / f"{p.removeprefix('book/').removesuffix('.html')}.json").exists()]


def plain(text: str) -> str:
    """Text as a page shows it: tags gone, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def click(driver, element) -> None:
    """Click as a reader does, with the element in the middle of the screen (at its edge the
    page's sticky header would take the click)."""
    # "instant": the theme scrolls smoothly, and a click would not wait for the scroll.
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})",
                          element)
    element.click()


def quiz_feedback(driver, wrapper) -> str:
    return " ".join(wrapper.find_element(By.CSS_SELECTOR, ".Feedback").text.split())


@pytest.mark.parametrize("page", QUIZ_PAGES)
def test_quiz_renders_and_explains_a_wrong_answer_offline(browser, site, page):
    """The self-check quiz draws every question with no kernel, a wrong answer shows its own
    explanation and a right one is marked right, and nothing is asked of another host."""
    questions = json.loads((QUIZZES / f"{page.removeprefix('book/').removesuffix('.html')}"
                                      ".json").read_text())
    browser.get_log("browser"), browser.get_log("performance")
    load(browser, site + page)
    drawn = wait_for(browser, f"document.querySelectorAll('.Quiz').length >= {len(questions)}")
    wrappers = browser.find_elements(By.CSS_SELECTOR, ".Quiz")
    assert drawn and len(wrappers) == len(questions), f"{page}: {len(wrappers)} questions drawn"

    first = next(i for i, q in enumerate(questions) if q["type"] == "multiple_choice")
    question, wrapper = questions[first], wrappers[first]
    assert plain(question["question"]) in " ".join(wrapper.text.split())
    buttons = {" ".join(b.text.split()): b for b in wrapper.find_elements(By.CSS_SELECTOR,
                                                                           ".MCButton")}
    wrong = next(a for a in question["answers"] if not a["correct"])
    click(browser, buttons[plain(wrong["answer"])])
    assert quiz_feedback(browser, wrapper) == plain(wrong["feedback"])
    assert "incorrect" in wrapper.find_element(By.CSS_SELECTOR, ".Feedback").get_attribute("class")
    right = next(a for a in question["answers"] if a["correct"])
    click(browser, buttons[plain(right["answer"])])
    assert quiz_feedback(browser, wrapper) == plain(right["feedback"])

    for index, numeric in ((i, q) for i, q in enumerate(questions) if q["type"] == "numeric"):
        answer = next(a for a in numeric["answers"] if "value" in a and not a["correct"])
        field = wrappers[index].find_element(By.CSS_SELECTOR, "input[type='text']")
        click(browser, field)
        field.send_keys(f"{answer['value']}\n")
        assert quiz_feedback(browser, wrappers[index]) == plain(answer["feedback"])

    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors {errors}"
    assert not other_hosts(requested_urls(browser)), f"{page}: asked another host"


def test_the_book_shows_reference_solutions_but_no_hidden_test():
    """The book (not the teacher edition) shows each autograded exercise's reference
    solution, and none of its tests or grading notes."""
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from classroom import chapters, read_master

    for chapter in chapters():
        page = (HTML / "book" / f"{chapter}.html").read_text()
        text = plain(page)
        assert "For the teacher" not in text and "teacher-notes" not in page, chapter
        for question in read_master(chapter):
            assert plain(max(question.solution[0].splitlines(), key=len)) in text, chapter
            for test in question.tests:
                assert test.source.split("def ", 1)[1].split("(", 1)[0] not in text, chapter
