#!/usr/bin/env python3
"""The web pages in a real browser: headless Chromium (Debian's chromium and chromium-driver)
driven by Selenium, against a running `ledger serve`.

Usage: web_flows.py BASE_URL USER PASSWORD SCREENSHOT_DIR

An officer signs in with a wrong password (the error is shown, the user name kept), then with
the right one (the start page), searches "nguyen van" (no diacritics) and finds "Nguyễn Văn …",
opens the beneficiary, switches to English and back, signs out. On every page axe must find no
violation of serious or critical impact; each page is photographed at 1280 px (desktop) and
390 px (phone) wide into SCREENSHOT_DIR. Prints one line per step; exits 1 naming the first
failed check.
"""
import os
import sys

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
WIDTHS = {"desktop": 1280, "phone": 390}
BLOCKING_IMPACTS = {"serious", "critical"}


class Failed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failed(message)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=vi"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def audit(driver, page):
    """axe on the page as shown: no serious or critical violation."""
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    blocking = [v for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    summary = "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(str(n['target']) for n in v['nodes'][:3])}" for v in blocking
    )
    check(not blocking, f"{page}: axe found {len(blocking)} serious or critical violation(s): {summary}")
    print(f"axe {page}: {len(results['violations'])} violation(s), none serious or critical")


def photograph(driver, folder, page):
    """The whole page at each width."""
    for label, width in WIDTHS.items():
        driver.set_window_size(width, 900)
        height = driver.execute_script("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)")
        driver.set_window_size(width, min(max(int(height) + 100, 600), 6000))
        driver.execute_script("window.scrollTo(0, 0)")
        path = os.path.join(folder, f"{page}-{label}.png")
        check(driver.save_screenshot(path), f"{page}: could not write {path}")
        print(f"screenshot {path}")
    driver.set_window_size(1280, 900)


def visit(driver, folder, page):
    audit(driver, page)
    photograph(driver, folder, page)


def text(driver):
    return driver.find_element(By.TAG_NAME, "body").text


def wait_gone(driver, page, seconds=30):
    """Waits until `page` (the old document's <html>) has been replaced by the next page's.
    Chromium may answer a question about a node of a document being replaced with "Node with
    given id does not belong to the document" instead of a stale-element error: gone as well."""
    def gone(_):
        try:
            page.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
    WebDriverWait(driver, seconds).until(gone)


def follow(driver, element):
    """Clicks a link or button and waits for the next page (the old one goes stale)."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    wait_gone(driver, page)


def sign_in(driver, user, password):
    field = driver.find_element(By.ID, "user")
    field.clear()
    field.send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    follow(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/sign-in'] button[type=submit]"))


def run(base, user, password, folder):
    driver = browser()
    try:
        driver.get(base + "/")
        check(driver.current_url.endswith("/sign-in"), f"not signed in: / should lead to /sign-in, got {driver.current_url}")
        check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi", "the page is not Vietnamese by default")
        visit(driver, folder, "sign-in")

        sign_in(driver, user, "not-the-password")
        body = text(driver)
        check("Sai tên đăng nhập hoặc mật khẩu" in body, f"a wrong password: no error shown:\n{body}")
        check(driver.find_element(By.ID, "user").get_attribute("value") == user, "a wrong password: the user name was not kept")
        print("wrong password: the error is shown, the user name kept")
        visit(driver, folder, "sign-in-error")

        sign_in(driver, user, password)
        check(driver.current_url.rstrip("/") == base, f"signed in: expected the start page, got {driver.current_url}")
        check(f"Đăng nhập với tên {user}" in text(driver), "signed in: the page does not say who is signed in")
        print("right password: the start page")
        visit(driver, folder, "home")

        driver.find_element(By.ID, "name").send_keys("nguyen van")
        follow(driver, driver.find_element(By.CSS_SELECTOR, "form[role=search] button[type=submit]"))
        rows = driver.find_elements(By.CSS_SELECTOR, ".results tbody tr")
        names = [row.find_elements(By.TAG_NAME, "td")[1].text for row in rows]
        check(any(name.startswith("Nguyễn Văn") for name in names), f"search 'nguyen van': no Nguyễn Văn … among {names}")
        print(f"search 'nguyen van' found {names}")
        visit(driver, folder, "search-results")

        follow(driver, rows[0].find_element(By.TAG_NAME, "a"))
        check("/beneficiaries/" in driver.current_url, f"the result's link did not open the beneficiary: {driver.current_url}")
        check(driver.find_element(By.TAG_NAME, "h1").text.startswith("Đối tượng thụ hưởng Nguyễn Văn"), "the beneficiary page has no heading")
        visit(driver, folder, "beneficiary")

        follow(driver, driver.find_element(By.CSS_SELECTOR, "a[hreflang=en]"))
        check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", "the English switch did not switch")
        check("Beneficiary Nguyễn Văn" in driver.find_element(By.TAG_NAME, "h1").text, "the English page has no English heading")
        visit(driver, folder, "beneficiary-en")
        follow(driver, driver.find_element(By.CSS_SELECTOR, "a[hreflang=vi]"))
        check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi", "the Vietnamese switch did not switch back")

        follow(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/sign-out'] button"))
        check(driver.current_url.endswith("/sign-in"), f"signed out: expected /sign-in, got {driver.current_url}")
        driver.get(base + "/")
        check("/sign-in" in driver.current_url, "after signing out the start page still opens")
        print("signed out")
    finally:
        driver.quit()


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 64
    base, user, password, folder = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
    os.makedirs(folder, exist_ok=True)
    try:
        run(base, user, password, folder)
    except Failed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print("all browser checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
