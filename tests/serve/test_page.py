"""The page at /, in a real headless Chromium (Debian's chromium and chromium-driver; .ci/run installs them): a
person types a history, asks, and sees two lists side by side. Outside CI a machine without them skips."""

import os
import shutil
import socket
import threading
import time

import pytest
import uvicorn

from sprec.serve.app import create_app
from sprec.serve.system import RunSystem

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def server(finished_run):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(RunSystem(finished_run[0].run_dir)), host="127.0.0.1", port=port,
                                        log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not srv.started and time.time() < deadline:
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromedriver are missing: .ci/run installs them (apt-get install chromium "
                        "chromium-driver)")  # fmt: skip
        pytest.skip("no chromium/chromedriver here (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"):  # fmt: skip
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


def test_a_typed_history_gets_two_lists_side_by_side(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(server + "/")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#titles option"))  # the catalog came for autocomplete
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "#right option")))
    for title in ("station eleven", "Practice Makes Perfect"):
        browser.find_element(By.ID, "title").send_keys(title)
        browser.find_element(By.ID, "add").click()
    Select(browser.find_element(By.ID, "left")).select_by_visible_text("popularity")
    Select(browser.find_element(By.ID, "right")).select_by_visible_text("itemknn > sft")
    browser.find_element(By.ID, "k").clear()
    browser.find_element(By.ID, "k").send_keys("3")
    browser.find_element(By.ID, "go").click()
    wait.until(lambda b: all(b.find_elements(By.CSS_SELECTOR, f"#list-{s} li.item") for s in ("left", "right")))
    for side, model in (("left", "popularity"), ("right", "itemknn > sft")):
        assert browser.find_element(By.CSS_SELECTOR, f"#list-{side} h2").text == model
        items = browser.find_elements(By.CSS_SELECTOR, f"#list-{side} li.item")
        assert len(items) == 3 and not any("Station Eleven" in i.text for i in items)  # the history is left out
        assert browser.find_elements(By.CSS_SELECTOR, f"#list-{side} .bar > i")  # a popularity bar per item
    assert browser.find_element(By.ID, "error").text == ""
    browser.save_screenshot(str(tmp_path / "page.png"))


def test_an_unknown_title_shows_its_close_matches(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "/")
    WebDriverWait(browser, 60).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#right option"))
    browser.find_element(By.ID, "title").send_keys("station elevn")
    browser.find_element(By.ID, "go").click()
    WebDriverWait(browser, 60).until(lambda b: b.find_element(By.ID, "error").text)
    assert "close matches: Station Eleven" in browser.find_element(By.ID, "error").text
