#!/usr/bin/env python3
"""The payment list import and the auditor's page in a real browser (headless Chromium driven
by Selenium, axe for accessibility), against a running `ledger serve`.

Usage: import_audit_flows.py BASE_URL OFFICER PASSWORD AUDITOR PASSWORD SCREENSHOT_DIR WORK_DIR

Flow 3: the officer uploads a CSV with one bad row through the file input: the page lists the
line and the column, nothing is recorded; ticks "record the valid rows" and uploads it again:
the valid rows are recorded; uploads it once more: nothing new. Flow 4: the auditor runs verify
(the result is shown) and downloads a digest (Chromium saves it into WORK_DIR/downloads); the
officer cannot open the auditor's page nor download. axe on every page; screenshots at 1280 px
and 390 px wide. Prints one line per step; exits 1 naming the first failed check.
"""
import glob
import json
import os
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web_flows import CHROMEDRIVER, CHROMIUM, Failed, check, follow, sign_in, text, visit  # noqa: E402

CSV = (
    "payment_id,application_id,amount_vnd,paid_on,method,voucher\n"
    "P-1,A-1,1000000,2024-03-15,bank,PC-001\n"
    "P-2,A-1,abc,2024-03-15,bank,PC-002\n"
    'P-3,A-1,2000000,2024-03-16,cash,"PC-003, đợt 1"\n'
)


def browser(downloads):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=vi"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": downloads,
        "download.prompt_for_download": False,
        "download.directory_upgrade": True,
        "safebrowsing.enabled": False,
    })
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # Headless Chromium honours the preference; the DevTools command makes sure of it.
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    return driver


def summary(driver):
    """The import summary's rows: label → value."""
    return {row.find_element(By.TAG_NAME, "th").text: row.find_element(By.TAG_NAME, "td").text
            for row in driver.find_elements(By.CSS_SELECTOR, "table.import-summary tr")}


def upload(driver, path, skip_invalid):
    driver.find_element(By.ID, "file").send_keys(path)
    box = driver.find_element(By.ID, "skip_invalid")
    if box.is_selected() != skip_invalid:
        box.click()
    follow(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/imports'] button[type=submit]"))


def sign_out(driver):
    follow(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/sign-out'] button"))


def nav(driver, path):
    links = driver.find_elements(By.CSS_SELECTOR, f"nav.main-nav a[href='{path}']")
    return links[0] if links else None


def run(base, officer, officer_password, auditor, auditor_password, folder, work):
    downloads = os.path.join(work, "downloads")
    os.makedirs(downloads, exist_ok=True)
    csv_path = os.path.join(work, "payments.csv")
    with open(csv_path, "w", encoding="utf-8") as file:
        file.write(CSV)
    driver = browser(downloads)
    try:
        # Flow 3: the officer's import.
        driver.get(base + "/sign-in")
        sign_in(driver, officer, officer_password)
        link = nav(driver, "/imports")
        check(link is not None, "the officer's navigation has no import page")
        check(nav(driver, "/audit") is None, "the officer's navigation offers the auditor's page")
        follow(driver, link)
        check(driver.find_element(By.TAG_NAME, "h1").text == "Nhập danh sách chi trả", "the import page has no heading")
        visit(driver, folder, "import")

        upload(driver, csv_path, skip_invalid=False)
        rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
                for row in driver.find_elements(By.CSS_SELECTOR, "table.import-problems tbody tr")]
        check(len(rows) == 1 and rows[0][0] == "3" and rows[0][1] == "amount_vnd" and rows[0][2],
              f"one bad row: expected line 3, amount_vnd and a problem, got {rows}")
        check(summary(driver).get("Đã ghi nhận") == "0", f"one bad row: something was recorded: {summary(driver)}")
        check("chưa ghi nhận gì" in driver.find_element(By.ID, "import-verdict").text, "one bad row: the verdict does not say nothing was recorded")
        print(f"one bad row: listed {rows[0]}, nothing recorded")
        visit(driver, folder, "import-refused")

        upload(driver, csv_path, skip_invalid=True)
        counts = summary(driver)
        check(counts.get("Đã ghi nhận") == "2" and counts.get("Không hợp lệ") == "1", f"record the valid rows: {counts}")
        print(f"record the valid rows: {counts}")
        visit(driver, folder, "import-recorded")

        upload(driver, csv_path, skip_invalid=True)
        counts = summary(driver)
        check(counts.get("Đã ghi nhận") == "0" and counts.get("Đã ghi nhận trước đó") == "2", f"the same file again: {counts}")
        print(f"the same file again: nothing new: {counts}")

        # The officer cannot open the auditor's actions.
        for path in ("/audit", "/audit/digest", "/audit/export"):
            driver.get(base + path)
            check("Chỉ kiểm toán viên" in text(driver), f"an officer opened {path}:\n{text(driver)[:500]}")
        driver.get(base + "/audit")
        visit(driver, folder, "audit-not-allowed")
        time.sleep(0.5)
        check(not os.listdir(downloads), f"an officer downloaded {os.listdir(downloads)}")
        print("an officer: the audit page and downloads are not allowed")
        driver.get(base + "/")
        sign_out(driver)

        # Flow 4: the auditor verifies and downloads a digest.
        sign_in(driver, auditor, auditor_password)
        link = nav(driver, "/audit")
        check(link is not None, "the auditor's navigation has no audit page")
        follow(driver, link)
        visit(driver, folder, "audit")
        follow(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/audit/verify'] button[type=submit]"))
        result = driver.find_element(By.ID, "verify-result").text
        check(result.startswith("Nguyên vẹn"), f"verify: the result shown is {result!r}")
        print(f"verify: {result}")
        visit(driver, folder, "audit-verified")

        driver.find_element(By.CSS_SELECTOR, "a[href='/audit/digest']").click()
        deadline = time.time() + 20
        files = []
        while time.time() < deadline:
            files = [f for f in glob.glob(os.path.join(downloads, "ledger-digest-*.json"))]
            if files and not glob.glob(os.path.join(downloads, "*.crdownload")):
                break
            time.sleep(0.2)
        check(files, f"the digest was not downloaded into {downloads}: {os.listdir(downloads)}")
        with open(files[0], encoding="utf-8") as file:
            digest = json.load(file)
        check(isinstance(digest.get("position"), int) and len(digest.get("hash", "")) == 64, f"the digest file: {digest}")
        print(f"digest downloaded: {os.path.basename(files[0])} position {digest['position']}")

        driver.find_element(By.ID, "beneficiary").send_keys("HH-1")
        follow(driver, driver.find_element(By.CSS_SELECTOR, "form.history button[type=submit]"))
        events = [row.find_elements(By.TAG_NAME, "td")[5].text for row in driver.find_elements(By.CSS_SELECTOR, "table.history tbody tr")]
        check("BeneficiaryRegistered" in events and "PaymentRecorded" in events, f"the history of HH-1: {events}")
        print(f"history of HH-1: {len(events)} events")
        visit(driver, folder, "audit-history")
    finally:
        driver.quit()


def main():
    if len(sys.argv) != 8:
        print(__doc__, file=sys.stderr)
        return 64
    base = sys.argv[1].rstrip("/")
    folder, work = sys.argv[6], sys.argv[7]
    os.makedirs(folder, exist_ok=True)
    try:
        run(base, sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], folder, work)
    except Failed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print("all browser checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
