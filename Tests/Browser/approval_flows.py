#!/usr/bin/env python3
"""The approver's flows in a real browser (issue 10, flows 1 and 2): headless Chromium driven by
Selenium against a running `ledger serve --follow-projections`.

Usage: approval_flows.py BASE_URL OFFICER PASSWORD APPROVER PASSWORD SCREENSHOT_DIR

1. An officer signs in, finds HH-1 by "nguyen van" (no diacritics), submits application A-WEB
   on the beneficiary's page; a SECOND browser session signs in as an approver, finds A-WEB in
   the queue (with the budget available) and approves it: the confirmation is shown; back in
   the officer's browser, still signed in, the officer records a payment on A-WEB and sees the
   statement's "still to pay" fall by the amount paid.
2. The same approver's own submission A-2 shows why it is not theirs to decide and no approve
   button; a post made anyway (a form put together in the page) is refused with the reason.
The budget and loans pages are opened too. axe finds no serious or critical violation on each
page; the queue, budget and loans pages are photographed at 1280 px and 390 px. Prints one line
per step; exits 1 naming the first failed check.
"""
import os
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web_flows import Failed, browser, check, follow, sign_in, text, visit, audit, wait_gone  # noqa: E402
from beneficiary_flows import fill as fill_fields, still_to_pay  # noqa: E402


def vnd(shown):
    """'5.000.000 ₫' → 5000000."""
    digits = "".join(character for character in shown if character.isdigit())
    check(digits, f"not an amount: {shown!r}")
    return int(digits)


def fill(driver, selector, value):
    field = driver.find_element(By.CSS_SELECTOR, selector)
    field.clear()
    field.send_keys(value)


def officer_submits(driver, base, user, password):
    driver.get(base + "/sign-in")
    sign_in(driver, user, password)
    driver.find_element(By.ID, "name").send_keys("nguyen van")
    follow(driver, driver.find_element(By.CSS_SELECTOR, "form[role=search] button[type=submit]"))
    link = driver.find_element(By.CSS_SELECTOR, ".results tbody a[href='/beneficiaries/HH-1']")
    follow(driver, link)
    form = "form[action='/beneficiaries/HH-1/applications']"
    fill(driver, f"{form} [name=application_id]", "A-WEB")
    program = driver.find_element(By.CSS_SELECTOR, f"{form} [name=program]")
    if program.tag_name == "select":
        Select(program).select_by_value("NQ12-HOUSING")
    else:
        fill(driver, f"{form} [name=program]", "NQ12-HOUSING")
    fill(driver, f"{form} [name=amount_vnd]", "5.000.000")
    fill(driver, f"{form} [name=submitted_on]", "02/03/2024")
    follow(driver, driver.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]"))
    check("done=applications" in driver.current_url, f"the officer's application was not recorded: {driver.current_url}\n{text(driver)}")
    print("officer: submitted A-WEB on the beneficiary's page")


def approver_decides(driver, base, user, password, folder):
    driver.get(base + "/sign-in")
    sign_in(driver, user, password)
    # The read models follow the log inside the service: the queue shows A-WEB within moments.
    for _ in range(40):
        driver.get(base + "/queue")
        if driver.find_elements(By.CSS_SELECTOR, "form[action='/queue/A-WEB/approve']"):
            break
        time.sleep(0.25)
    check(driver.find_elements(By.CSS_SELECTOR, "form[action='/queue/A-WEB/approve']"), f"A-WEB is not in the queue:\n{text(driver)}")
    row = driver.find_element(By.ID, "application-A-WEB").text
    check("5.000.000 ₫" in row, f"the queue does not show the requested amount: {row}")
    print(f"approver: A-WEB is in the queue: {row}")
    visit(driver, folder, "queue")

    form = "form[action='/queue/A-WEB/approve']"
    fill(driver, f"{form} [name=decision]", "QĐ 21/2024")
    fill(driver, f"{form} [name=decided_on]", "05/03/2024")
    follow(driver, driver.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]"))
    check("approved=A-WEB" in driver.current_url, f"not approved: {driver.current_url}\n{text(driver)}")
    check("Đã phê duyệt hồ sơ A-WEB." in text(driver), f"no confirmation:\n{text(driver)}")
    print("approver: approved A-WEB, the confirmation is shown")
    audit(driver, "queue-approved")

    # Flow 2: their own submission.
    section = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby='decide-application-A-2']")
    check("bốn mắt" in section.text, f"A-2 does not say why it is not theirs to decide: {section.text}")
    check(not driver.find_elements(By.CSS_SELECTOR, "form[action='/queue/A-2/approve']"), "A-2 has an approve button")
    print(f"approver: their own A-2 says: {section.find_element(By.CLASS_NAME, 'why-not').text}")
    csrf = driver.find_element(By.CSS_SELECTOR, "form[action='/sign-out'] [name=csrf_token]").get_attribute("value")
    page = driver.find_element(By.TAG_NAME, "html")
    driver.execute_script(
        """const form = document.createElement('form');
        form.method = 'post'; form.action = '/queue/A-2/approve';
        for (const [name, value] of Object.entries(arguments[0])) {
          const input = document.createElement('input'); input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
        }
        document.body.appendChild(form); form.submit();""",
        {"csrf_token": csrf, "command_id": "web-flow-2", "amount": "5000000", "decision": "QĐ 22", "decided_on": "05/03/2024"},
    )
    wait_gone(driver, page)
    alert = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby='decide-application-A-2'] .error-summary").text
    check("bốn mắt" in alert, f"the refusal does not say why: {alert}")
    print(f"approver: approving their own A-2 is refused: {alert}")

    driver.get(base + "/budget")
    check(driver.find_elements(By.CSS_SELECTOR, "svg[role=img] title"), "the budget page has no chart with a title")
    check("NQ12-HOUSING" in text(driver), f"the budget page does not show NQ12-HOUSING:\n{text(driver)}")
    print("budget: the figures and the chart")
    visit(driver, folder, "budget")
    # The loans as of a date typed as officers type it.
    driver.get(base + "/loans")
    fill(driver, "#as_of", "30/06/2025")
    follow(driver, driver.find_element(By.CSS_SELECTOR, "form[action='/loans'] button[type=submit]"))
    overdue = driver.find_elements(By.CSS_SELECTOR, "table.overdue tbody tr")
    check(len(overdue) == 1 and "L-1" in overdue[0].text, f"loans as of 30/06/2025: L-1 is not overdue:\n{text(driver)}")
    print(f"loans: overdue as of 30/06/2025: {overdue[0].text}")
    visit(driver, folder, "loans")


def officer_pays(driver, base):
    """The officer's own browser, still signed in: pay 2.000.000 ₫ on the approved A-WEB."""
    driver.get(base + "/beneficiaries/HH-1")
    before = still_to_pay(driver)
    fill_fields(driver, {"payments-application_id": "A-WEB", "payments-payment_id": "P-WEB", "payments-amount_vnd": "2.000.000",
                         "payments-paid_on": "12/03/2024", "payments-method": "cash", "payments-voucher": "PC-WEB-1"})
    follow(driver, driver.find_element(By.CSS_SELECTOR, "#payments-form button[type=submit]"))
    check("Đã ghi nhận khoản chi." in text(driver), f"no confirmation of the payment:\n{text(driver)}")
    after = still_to_pay(driver)
    check(vnd(before) - vnd(after) == 2_000_000, f"still to pay went from {before} to {after}, not down by 2.000.000 ₫")
    print(f"officer: paid 2.000.000 ₫ on A-WEB: still to pay {before} → {after}")


def run(base, officer, officer_password, approver, approver_password, folder):
    officer_driver = browser()
    try:
        officer_submits(officer_driver, base, officer, officer_password)
        approver_driver = browser()
        try:
            approver_decides(approver_driver, base, approver, approver_password, folder)
        finally:
            approver_driver.quit()
        officer_pays(officer_driver, base)
    finally:
        officer_driver.quit()


def main():
    if len(sys.argv) != 7:
        print(__doc__, file=sys.stderr)
        return 64
    base, folder = sys.argv[1].rstrip("/"), sys.argv[6]
    os.makedirs(folder, exist_ok=True)
    try:
        run(base, sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], folder)
    except Failed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print("all approval checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
