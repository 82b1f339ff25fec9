#!/usr/bin/env python3
"""The beneficiary's page in a real browser: headless Chromium driven by Selenium against a
running `ledger serve` (the helpers, axe and screenshots as in web_flows.py).

Usage: beneficiary_flows.py BASE_URL OFFICER PASSWORD APPROVER APPROVER_PASSWORD SCREENSHOT_DIR

An officer signs in, opens the register shortcut (the form only), finds "nguyen van" (typed without diacritics), opens the household,
submits application A-2 for 5.000.000 ₫ (first with "5,5": the error is next to the amount, the
values kept); the approver approves it through the API (the approver's queue page is tested on
its own); the officer reloads the page, records a payment of 2.000.000 ₫ on A-2 and sees the
statement's balance still to pay go from 5.000.000 ₫ to 3.000.000 ₫; opens the printable
statement (signature lines) and photographs it as printed. axe on every page; screenshots at
1280 px and 390 px.
"""
import json
import os
import sys
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web_flows import Failed, browser, check, follow, photograph, sign_in, text, visit  # noqa: E402


def api(base, method, path, body, token=None):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"{}")


def approve(base, user, password, application):
    status, session = api(base, "POST", "/api/v1/session", {"user": user, "password": password})
    check(status == 201, f"the approver could not sign in: {status}")
    status, answer = api(base, "POST", f"/api/v1/applications/{application}/approval",
                         {"amount_vnd": 5000000, "decision": "QĐ 15", "decided_on": "2024-04-05"}, token=session["session"])
    check(status == 200, f"approving {application}: {status} {answer}")
    print(f"approved {application} through the API")


def still_to_pay(driver):
    """The statement's last 'still to pay' total."""
    cells = driver.find_elements(By.CSS_SELECTOR, "table.statement tfoot td.amount")
    check(cells, "no statement totals on the page")
    return cells[0].text


def fill(driver, values):
    for field, value in values.items():
        element = driver.find_element(By.ID, field)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)


def run(base, user, password, approver, approver_password, folder):
    driver = browser()
    try:
        driver.get(base + "/sign-in")
        sign_in(driver, user, password)
        follow(driver, driver.find_element(By.CSS_SELECTOR, ".shortcuts a[href='/register']"))
        check(driver.current_url.endswith("/register"), f"the register shortcut did not open /register: {driver.current_url}")
        visit(driver, folder, "register")
        driver.get(base + "/")
        driver.find_element(By.ID, "name").send_keys("nguyen van")
        follow(driver, driver.find_element(By.CSS_SELECTOR, "form[role=search] button[type=submit]"))
        links = driver.find_elements(By.CSS_SELECTOR, ".results tbody tr a")
        check(links, f"search 'nguyen van' found nobody:\n{text(driver)}")
        follow(driver, links[0])
        check(driver.current_url.endswith("/beneficiaries/HH-1"), f"not the household's page: {driver.current_url}")
        visit(driver, folder, "beneficiary-page")

        # An amount with a decimal part: refused next to the field, the values kept.
        fill(driver, {"applications-application_id": "A-2", "applications-program": "NQ12-HOUSING",
                      "applications-amount_vnd": "5,5", "applications-submitted_on": "03/04/2024"})
        follow(driver, driver.find_element(By.CSS_SELECTOR, "#applications-form button[type=submit]"))
        error = driver.find_elements(By.ID, "applications-amount_vnd-error")
        check(error and error[0].is_displayed(), f"'5,5': no error next to the amount:\n{text(driver)}")
        check(driver.find_element(By.ID, "applications-application_id").get_attribute("value") == "A-2", "the application number was not kept")
        check(driver.find_element(By.ID, "applications-amount_vnd").get_attribute("aria-invalid") == "true", "the amount is not marked invalid")
        print(f"'5,5' refused next to the amount: {error[0].text}")
        visit(driver, folder, "beneficiary-form-error")

        fill(driver, {"applications-amount_vnd": "5.000.000"})
        follow(driver, driver.find_element(By.CSS_SELECTOR, "#applications-form button[type=submit]"))
        check("Đã nộp hồ sơ." in text(driver), f"no confirmation of the submission:\n{text(driver)}")
        check("03/04/2024" in text(driver), "the submission is not on the statement")
        print("submitted A-2")

        approve(base, approver, approver_password, "A-2")
        driver.get(base + "/beneficiaries/HH-1")
        before = still_to_pay(driver)
        check(before == "5.000.000 ₫", f"still to pay after the approval: {before}")
        fill(driver, {"payments-application_id": "A-2", "payments-payment_id": "P-1", "payments-amount_vnd": "2000000",
                      "payments-paid_on": "10/04/2024", "payments-method": "cash", "payments-voucher": "PC-001"})
        follow(driver, driver.find_element(By.CSS_SELECTOR, "#payments-form button[type=submit]"))
        check("Đã ghi nhận khoản chi." in text(driver), f"no confirmation of the payment:\n{text(driver)}")
        after = still_to_pay(driver)
        check(after == "3.000.000 ₫", f"still to pay after paying 2.000.000 ₫: {after} (was {before})")
        print(f"paid 2.000.000 ₫: still to pay {before} → {after}")
        visit(driver, folder, "beneficiary-paid")

        follow(driver, driver.find_element(By.CSS_SELECTOR, "a.print-link"))
        body = text(driver)
        for line in ("Người thụ hưởng", "Cán bộ tài chính", "Thủ trưởng đơn vị", "Cần Thơ, ngày … tháng … năm …"):
            check(line in body, f"the printable statement lacks {line!r}")
        visit(driver, folder, "statement")
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        check(not driver.find_element(By.CSS_SELECTOR, ".main-nav").is_displayed(), "the navigation is printed")
        photograph(driver, folder, "statement-print")
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        print("printable statement: signature lines, no navigation when printed")
    finally:
        driver.quit()


def main():
    if len(sys.argv) != 7:
        print(__doc__, file=sys.stderr)
        return 64
    base, user, password, approver, approver_password, folder = sys.argv[1].rstrip("/"), *sys.argv[2:7]
    os.makedirs(folder, exist_ok=True)
    try:
        run(base, user, password, approver, approver_password, folder)
    except Failed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print("all beneficiary browser checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
