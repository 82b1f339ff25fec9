/// The words of the web pages (`ledger serve`'s HTML), in English and Vietnamese. A case's raw
/// value is its English text (with `{0}`, `{1}`, … for values); `WebCatalog` holds the Vietnamese.
/// Every case has a Vietnamese entry (LedgerServerTests checks), so a page is never half English.
public enum WebString: String, Sendable, CaseIterable {
    // The layout
    case department = "Department of Labour, Invalids and Social Affairs of Cần Thơ City"
    case applicationName = "Social policy disbursement ledger"
    case skipToContent = "Skip to the main content"
    case mainNavigation = "Main navigation"
    case languageSwitch = "Language"
    case signedInAs = "Signed in as {0}"
    case footer = "Ledger of support under Resolutions 11/2023 and 12/2023 of the City People's Council. Times are Vietnam time (UTC+07:00)."
    case home = "Find a beneficiary"
    // Roles
    case roleOfficer = "officer"
    case roleApprover = "approver"
    case roleAuditor = "auditor"
    case roleAdmin = "admin"
    // Sign in / out
    case signIn = "Sign in"
    case signOut = "Sign out"
    case userName = "User name"
    case password = "Password"
    case signInIntro = "Sign in with the user name and password the department's administrator gave you."
    case signedOut = "You have signed out."
    case sessionEnded = "Your session has ended. Sign in again to continue."
    case wrongPassword = "Wrong user name or password. Check them (is Caps Lock on?) and try again."
    case lockedUser = "Too many failed sign-ins for this user name. Try again in {0} minutes, or ask the administrator to check the account."
    case lockedAddress = "Too many failed sign-ins from this computer. Try again in {0} minutes."
    case accountDisabled = "This account may not sign in (disabled or expired). Ask the department's administrator."
    case userNameInvalid = "Enter your user name: letters, digits, _ . - (at most 63)."
    case passwordMissing = "Enter your password."
    case passwordTooLong = "The password is too long (at most 1024 bytes)."
    case tooManySessions = "You already have too many sessions open. Sign out in another browser, or wait {0} minutes."
    case serviceBusy = "The service is busy. Try again in a moment."
    case databaseUnavailable = "The database cannot be reached. Try again in a moment; if it goes on, tell the administrator."
    case superuser = "A database superuser cannot sign in here. Sign in with your own account."
    case passwordNotChecked = "The database did not check the password, so the service refuses the sign-in. Tell the administrator (docs/operations.md)."
    case errorTitle = "Something went wrong"
    case formExpired = "The form had expired (the session changed). Go back, reload the page and try again."
    case goHome = "Back to the start page"
    // Search
    case searchIntro = "Type a name with or without diacritics (nguyen van finds Nguyễn Văn …), a national id number, or a district or ward, or several."
    case name = "Name"
    case nationalID = "National id number"
    case unit = "District or ward"
    case search = "Search"
    case searchNothingGiven = "Type a name, a national id number or a unit to search for."
    case nameWithoutLetters = "Type at least one letter or digit of the name."
    case nationalIDMalformed = "A national id number has 9 digits (old identity card) or 12 digits (citizen identity card), nothing else."
    case resultsHeading = "Results"
    case noResults = "No beneficiary matches. Check the spelling, or search by national id number."
    case resultsCount = "{0} found"
    case resultsMore = "{0} match; the first {1} are shown. Narrow the search to see the others."
    case beneficiaryID = "Id"
    case kind = "Kind"
    case categories = "Categories"
    case kindPerson = "person"
    case kindHousehold = "household"
    // A beneficiary
    case beneficiaryHeading = "Beneficiary {0}"
    case registeredOn = "Registered on"
    case registeredBy = "Registered by"
    case registeredAt = "Recorded at"
    case bankAccount = "Bank account"
    case nationalIDOnRecord = "National id on record"
    case yes = "yes"
    case no = "no"
    case none = "none"
    case amendments = "Amendments"
    case applicationsHeading = "Applications"
    case noApplications = "No applications yet."
    case application = "Application"
    case programme = "Programme"
    case fiscalYear = "Year"
    case status = "Status"
    case requested = "Requested"
    case approved = "Approved"
    case paid = "Paid"
    case notFound = "There is no beneficiary {0}."
    case readModelsBehind = "The lists are catching up with the latest records; what was recorded in the last moments may not show yet."
    // MARK: beneficiary
    case beneAmendmentsCaption = "Amendments of {0}"
    case beneAmendmentsHeading = "Amendment history"
    case beneAmount = "Amount"
    case beneAmountPositive = "The amount must be more than 0 ₫."
    case beneApplicationLeft = "{0} (still to pay {1})"
    case beneApplicationsCaption = "Applications of {0}"
    case beneBackToBeneficiary = "Back to the beneficiary"
    case beneChoose = "— choose —"
    case beneDate = "Date"
    case beneDetail = "Detail"
    case beneDoneAmend = "The amendment was recorded."
    case beneDoneApplication = "The application was submitted."
    case beneDonePayment = "The payment was recorded."
    case beneEvent = "Step"
    case beneFormHasErrors = "Nothing was recorded: correct the field marked below."
    case beneFormsOnlyOfficers = "Only an officer records amendments, applications and payments."
    case beneMethodBank = "Bank transfer"
    case beneMethodCash = "Cash"
    case beneMethodRequired = "Choose bank transfer or cash."
    case beneMotto = "Independence – Freedom – Happiness"
    case beneNation = "SOCIALIST REPUBLIC OF VIET NAM"
    case beneNoAmendments = "No amendment so far."
    case beneNoApprovedApplications = "No approved application is waiting for a payment."
    case beneNoStatementLines = "Nothing recorded yet."
    case beneNotAllowed = "Your role does not allow this; nothing was recorded."
    case beneNotAllowedTitle = "Not allowed"
    case beneOutstanding = "Loan outstanding"
    case benePayable = "Still to pay"
    case benePlaceDateLine = "Cần Thơ, date … month … year …"
    case benePrintHint = "Use the browser's Print command (Ctrl+P) to print on A4 paper."
    case benePrintStatement = "Printable statement"
    case beneReleased = "Released"
    case beneRequired = "Required."
    case beneReversed = "Reversed"
    case beneSignBeneficiary = "The beneficiary"
    case beneSignFinanceOfficer = "Finance officer"
    case beneSignHead = "Head of department"
    case beneSignHint = "(signature and full name)"
    case beneStatementCaption = "Every recorded step for {0}, with the balances after it"
    case beneStatementHeading = "Statement"
    case beneStatementTitle = "Statement of support for {0}"
    case beneTotals = "Totals"
    case beneYearInvalid = "Write a fiscal year such as 2024."
    case beneReasonLabel = "Reason"
    case beneAmendedOnLabel = "Date of the amendment"
    case beneDateHint = "dd/mm/yyyy; today when left empty"
    case beneNewNameLabel = "New name"
    case beneNewBankAccountLabel = "New bank account"
    case beneAddCategoryLabel = "Add a category"
    case beneRemoveCategoryLabel = "Remove a category"
    case beneNewUnitLabel = "Move to the unit"
    case beneAmendHeading = "Amend the details"
    case beneAmendSubmit = "Record the amendment"
    case beneSubmitHeading = "Submit an application"
    case beneSubmitSubmit = "Submit the application"
    case beneApplicationIDLabel = "Application number"
    case beneAmountRequestedLabel = "Amount requested"
    case beneAmountHint = "In đồng, e.g. 5.000.000"
    case beneSubmittedOnLabel = "Submitted on"
    case beneYearLabel = "Fiscal year (if not the submission's)"
    case benePaymentHeading = "Record a payment"
    case benePaymentSubmit = "Record the payment"
    case benePaymentApplicationLabel = "Approved application"
    case benePaymentIDLabel = "Payment number"
    case beneAmountPaidLabel = "Amount paid"
    case benePaidOnLabel = "Paid on"
    case beneMethodLabel = "Method"
    case beneVoucherLabel = "Voucher"
    case beneShortcuts = "Shortcuts"
    case beneShortcutRegister = "Register a beneficiary"
    case beneShortcutSubmit = "Submit an application: find the beneficiary first"
    case beneShortcutPayment = "Record a payment: find the beneficiary first"
    case beneShortcutImport = "Import a payment list"
    case beneKindRequired = "Choose household or person."
    case beneRegisterHeading = "The new beneficiary's details"
    case beneRegisterSubmit = "Register"
    case beneUnitHint = "The district, ward or commune, e.g. Ninh Kiều"
    case beneRegisteredOnLabel = "Date of registration"
    case beneCategoryLabel = "Category (e.g. poor)"
    case beneDoneRegister = "Beneficiary {0} was registered."
    case beneOpenBeneficiary = "Open the beneficiary's page"
    case beneFormAlreadySent = "This form was already sent with other values and recorded. Check the page above; to record something more, send the form again now."
    // MARK: queue, budget, loans (the approver's queue, the budget, the loans)
    case queue = "Applications to decide"
    case queueIntro = "Applications waiting for a decision, oldest first, with the programme's cap per beneficiary and the budget still available."
    case queueNotAllowed = "Only an approver may open the queue of applications to decide. Ask the department's administrator if you should be one."
    case queueCaption = "Applications waiting for a decision"
    case queueCount = "{0} waiting"
    case queueEmpty = "No application is waiting for a decision."
    case queueSubmitted = "Submitted by, on"
    case queueCap = "Cap per beneficiary"
    case queueAvailable = "Budget available"
    case queueNoBudget = "no budget allocated"
    case queueApproveLegend = "Approve {0}"
    case queueRejectLegend = "Reject {0}"
    case queueAmount = "Amount approved"
    case queueAmountHint = "In đồng, e.g. 5.000.000; the amount requested is filled in"
    case queueDecisionReference = "Decision reference"
    case queueDecidedOn = "Decided on"
    case queueDateHint = "dd/mm/yyyy, e.g. 21/05/2024"
    case queueReason = "Reason for rejecting"
    case queueApprove = "Approve"
    case queueReject = "Reject"
    case queueAmountInvalid = "Type the amount in đồng, e.g. 5.000.000 or 5000000."
    case queueDecisionMissing = "Type the decision's reference, e.g. QĐ 12/2024."
    case queueDateInvalid = "Type a date as dd/mm/yyyy, e.g. 21/05/2024."
    case queueReasonMissing = "Type why the application is rejected."
    case queueApproved = "Application {0} was approved."
    case queueRejected = "Application {0} was rejected."
    case budget = "Budget"
    case budgetIntro = "Each budget (programme × year × unit): allocated, reserved by approvals, paid, released by withdrawals and closures, and what approvals may still reserve."
    case budgetFilters = "Which figures"
    case budgetAllProgrammes = "All programmes"
    case budgetAsOfDate = "As of the date"
    case budgetAsOfHint = "dd/mm/yyyy; leave empty for everything recorded"
    case budgetShow = "Show"
    case budgetAsOf = "Figures as of {0}."
    case budgetLatest = "Figures of everything recorded."
    case budgetEmpty = "No budget matches."
    case budgetFix = "Correct the filter marked below."
    case budgetUnknownProgramme = "There is no such programme."
    case budgetYearInvalid = "Type a year, e.g. 2024."
    case budgetCaption = "Budgets by programme, year and unit"
    case budgetAllocated = "Allocated"
    case budgetReserved = "Reserved"
    case budgetReleased = "Released back"
    case budgetAvailable = "Available"
    case budgetReservedNotPaid = "Reserved, not yet paid"
    case budgetTotal = "Total"
    case budgetChartTitle = "Budgets: paid, reserved and available against the allocation"
    case budgetChartLine = "{0}: allocated {1}, paid {2}, reserved {3}, available {4}"
    case loans = "Loans"
    case loansIntro = "The loan book and the loans past due, with their arrears buckets, as they stood on a date."
    case loansAsOf = "Loans as of {0}."
    case loansBook = "Loan book"
    case loansBookCaption = "Every loan as of {0}"
    case loansNone = "No loan was disbursed by that date."
    case loansOverdue = "Overdue"
    case loansBucketCaption = "Overdue loans by arrears bucket"
    case loansOverdueCaption = "Loans past due"
    case loansNoneOverdue = "No loan is past due."
    case loansCount = "Number of loans"
    case loansLoan = "Loan"
    case loansPrincipal = "Principal"
    case loansDisbursedOn = "Disbursed on"
    case loansOutstanding = "Outstanding principal"
    case loansInterest = "Interest owed"
    case loansOverduePrincipal = "Overdue principal"
    case loansDaysPastDue = "Days past due"
    case loansArrears = "Arrears"
    case loansAsOfHint = "dd/mm/yyyy; leave empty for today"
    // MARK: import, audit
    case importAuditNotAllowed = "Not allowed for your role"
    case importNav = "Import payments"
    case importHeading = "Payment list import"
    case importIntro = "Upload the bank's payment list as a CSV file with the header {0}. Every row is checked first; while any row is invalid nothing is recorded. Uploading the same file again records only the rows not yet recorded."
    case importFile = "Payment list (CSV file)"
    case importFileHint = "UTF-8, separated by commas, semicolons or tabs; columns in any order."
    case importSkipInvalid = "Record the valid rows"
    case importSkipInvalidHint = "Record the valid rows now and leave out the invalid ones (listed in the report), instead of recording nothing."
    case importSubmit = "Check and record"
    case importChooseFile = "Choose the payment list's CSV file to upload."
    case importNotAPaymentFile = "This is not a payment list: {0}. Nothing was recorded."
    case importNotAllowed = "Only officers import payment lists. Sign in with an officer's account, or ask an officer."
    case importReport = "Import report"
    case importSummary = "What the import did"
    case importProblems = "Invalid rows"
    case importRecorded = "Recorded {0} payments."
    case importNothingNew = "Nothing new was recorded: every row was recorded before ({0} already recorded)."
    case importRecordedSkipping = "The valid rows were recorded ({0}); {1} invalid rows were left out (listed below). Fix them and upload the file again: rows already recorded are skipped."
    case importRefused = "Invalid rows: {0} of {1} (listed below); nothing was recorded. Fix them and upload the file again, or tick “Record the valid rows” to record the {2} valid ones."
    case importStopped = "The import stopped: {0}. Recorded: {1}; not recorded: {2}. Upload the same file again to record the rest (rows already recorded are skipped)."
    case importIgnoredColumns = "Ignored the columns {0}: not columns of a payment list ({1})."
    case auditNav = "Audit"
    case auditHeading = "Audit of the ledger"
    case auditIntro = "Check that the ledger's history is unchanged and its rules hold, keep a digest of it, export it, and read who did what and when."
    case auditNotAllowed = "Only auditors open the audit pages. Sign in with an auditor's account."
    case auditLastHeading = "Last verification"
    case auditLastCaption = "What the last verification found"
    case auditNoneYet = "No verification has been run through this service since it started."
    case auditMemoryNote = "The ledger does not record verification runs: this page shows the last one run through this service since it started (ledger audit verify runs one at any time)."
    case auditVerifyHeading = "Verify the ledger"
    case auditChainOnly = "Hash chain only"
    case auditChainOnlyHint = "Check only that no recorded event was changed, without replaying every rule (faster on a large ledger)."
    case auditVerifySubmit = "Run verify"
    case auditVerifyDone = "Verification finished."
    case auditIntact = "Intact: the hash chain is unbroken and every rule holds."
    case auditChainIntact = "Intact: the hash chain is unbroken (the rules were not replayed)."
    case auditNotIntact = "Not intact: at position {0}: {1}"
    case auditRulesBroken = "The hash chain is unbroken, but rules are broken: {0}. Run ledger audit verify to see each one."
    case auditRanAt = "Ran at"
    case auditRanBy = "Ran by"
    case auditHeadPosition = "Head position"
    case auditHeadHash = "Head hash"
    case auditEventsReplayed = "Events replayed"
    case auditProblemsFound = "Problems found"
    case auditDuration = "Duration"
    case auditMilliseconds = "{0} ms"
    case auditDownloadsHeading = "Downloads"
    case auditDigest = "Download a digest"
    case auditDigestHint = "the head position and hash, the same file as ledger audit digest; keep it to prove later that history up to it is unchanged (ledger audit verify --digest FILE)."
    case auditExport = "Download an export"
    case auditExportHint = "every event as JSON lines (ledger-export-v1), the same as ledger audit export; check it offline with scripts/verify-export."
    case auditHistoryHeading = "History"
    case auditHistoryIntro = "Who did what and when: the events of a beneficiary (with their applications and loans) or of one stream."
    case auditBeneficiary = "Beneficiary id"
    case auditStream = "Stream id"
    case auditHistorySubmit = "Show history"
    case auditHistoryOneOf = "Give a beneficiary id or a stream id, not both."
    case auditNoStream = "There are no events in stream {0}."
    case auditNoBeneficiary = "There is no beneficiary {0} and nothing names them."
    case auditHistoryCaption = "History of {0}"
    case auditHistoryCount = "{0} events"
    // MARK: recent work (the officer's home page)
    case recentHeading = "Your recent work"
    case recentCaption = "The last things you recorded, newest first"
    case recentNone = "You have not recorded anything yet."
    case recentWhen = "When"
    case recentWhat = "What"
    case recentBeneficiary = "Beneficiary"
    case recentBeneficiaryRegistered = "Registered the beneficiary"
    case recentBeneficiaryAmended = "Amended the beneficiary"
    case recentApplicationSubmitted = "Submitted an application"
    case recentApplicationApproved = "Approved an application"
    case recentApplicationRejected = "Rejected an application"
    case recentApplicationWithdrawn = "Withdrew an application"
    case recentApplicationClosed = "Closed an application"
    case recentPaymentRecorded = "Recorded a payment"
    case recentPaymentReversed = "Reversed a payment"
    case recentLoanOpened = "Opened a loan"
    case recentLoanDisbursed = "Disbursed a loan"
    case recentLoanRepaid = "Recorded a loan repayment"
    case recentLoanSettled = "Settled a loan"
    case recentLoanWrittenOff = "Wrote off a loan"
    case recentOther = "Recorded {0}"
}

/// The Vietnamese of `WebString` (Unicode NFC), and the text of a case in a language.
public enum WebCatalog {
    /// The text of `string` in `language`, with `{0}`, `{1}`, … replaced by `values` in order.
    public static func text(_ string: WebString, in language: Language, _ values: String...) -> String {
        let template = language == .vi ? (vietnamese[string] ?? string.rawValue) : string.rawValue
        var output = template
        for (index, value) in values.enumerated() {
            output = output.replacingOccurrences(of: "{\(index)}", with: value)
        }
        return output
    }

    public static let vietnamese: [WebString: String] = [
        .department: "Sở Lao động – Thương binh và Xã hội thành phố Cần Thơ",
        .applicationName: "Sổ cái chi trả chính sách xã hội",
        .skipToContent: "Chuyển đến nội dung chính",
        .mainNavigation: "Điều hướng chính",
        .languageSwitch: "Ngôn ngữ",
        .signedInAs: "Đăng nhập với tên {0}",
        .footer: "Sổ cái hỗ trợ theo Nghị quyết 11/2023 và 12/2023 của Hội đồng nhân dân thành phố. Thời gian theo giờ Việt Nam (UTC+07:00).",
        .home: "Tìm đối tượng thụ hưởng",
        .roleOfficer: "cán bộ",
        .roleApprover: "người phê duyệt",
        .roleAuditor: "kiểm toán viên",
        .roleAdmin: "quản trị viên",
        .signIn: "Đăng nhập",
        .signOut: "Đăng xuất",
        .userName: "Tên đăng nhập",
        .password: "Mật khẩu",
        .signInIntro: "Đăng nhập bằng tên đăng nhập và mật khẩu do quản trị viên của Sở cấp cho bạn.",
        .signedOut: "Bạn đã đăng xuất.",
        .sessionEnded: "Phiên làm việc đã kết thúc. Hãy đăng nhập lại để tiếp tục.",
        .wrongPassword: "Sai tên đăng nhập hoặc mật khẩu. Hãy kiểm tra lại (phím Caps Lock có đang bật không?) rồi thử lại.",
        .lockedUser: "Đăng nhập sai quá nhiều lần với tên đăng nhập này. Hãy thử lại sau {0} phút, hoặc nhờ quản trị viên kiểm tra tài khoản.",
        .lockedAddress: "Đăng nhập sai quá nhiều lần từ máy tính này. Hãy thử lại sau {0} phút.",
        .accountDisabled: "Tài khoản này không được phép đăng nhập (đã bị khóa hoặc hết hạn). Hãy liên hệ quản trị viên của Sở.",
        .userNameInvalid: "Hãy nhập tên đăng nhập: chữ cái, chữ số, _ . - (tối đa 63 ký tự).",
        .passwordMissing: "Hãy nhập mật khẩu.",
        .passwordTooLong: "Mật khẩu quá dài (tối đa 1024 byte).",
        .tooManySessions: "Bạn đang mở quá nhiều phiên làm việc. Hãy đăng xuất ở trình duyệt khác, hoặc chờ {0} phút.",
        .serviceBusy: "Hệ thống đang bận. Hãy thử lại sau giây lát.",
        .databaseUnavailable: "Không kết nối được cơ sở dữ liệu. Hãy thử lại sau giây lát; nếu vẫn lỗi, hãy báo quản trị viên.",
        .superuser: "Tài khoản siêu quản trị cơ sở dữ liệu không được đăng nhập ở đây. Hãy đăng nhập bằng tài khoản của bạn.",
        .passwordNotChecked: "Cơ sở dữ liệu không kiểm tra mật khẩu nên hệ thống từ chối đăng nhập. Hãy báo quản trị viên (docs/operations.md).",
        .errorTitle: "Đã xảy ra lỗi",
        .formExpired: "Biểu mẫu đã hết hạn (phiên làm việc đã thay đổi). Hãy quay lại, tải lại trang rồi thử lại.",
        .goHome: "Về trang đầu",
        .searchIntro: "Nhập họ tên có dấu hoặc không dấu (nguyen van tìm được Nguyễn Văn …), số định danh cá nhân, hoặc quận/huyện, phường/xã, hoặc kết hợp.",
        .name: "Họ tên",
        .nationalID: "Số định danh cá nhân",
        .unit: "Quận/huyện hoặc phường/xã",
        .search: "Tìm",
        .searchNothingGiven: "Hãy nhập họ tên, số định danh cá nhân hoặc đơn vị hành chính để tìm.",
        .nameWithoutLetters: "Hãy nhập ít nhất một chữ cái hoặc chữ số của họ tên.",
        .nationalIDMalformed: "Số định danh cá nhân gồm 9 chữ số (chứng minh nhân dân cũ) hoặc 12 chữ số (căn cước công dân), không có ký tự khác.",
        .resultsHeading: "Kết quả",
        .noResults: "Không có đối tượng nào phù hợp. Hãy kiểm tra chính tả, hoặc tìm theo số định danh cá nhân.",
        .resultsCount: "Tìm thấy {0}",
        .resultsMore: "Có {0} đối tượng phù hợp; đang hiện {1} đối tượng đầu. Hãy thu hẹp tìm kiếm để xem các đối tượng khác.",
        .beneficiaryID: "Mã",
        .kind: "Loại",
        .categories: "Diện",
        .kindPerson: "cá nhân",
        .kindHousehold: "hộ gia đình",
        .beneficiaryHeading: "Đối tượng thụ hưởng {0}",
        .registeredOn: "Ngày đăng ký",
        .registeredBy: "Người đăng ký",
        .registeredAt: "Thời điểm ghi nhận",
        .bankAccount: "Tài khoản ngân hàng",
        .nationalIDOnRecord: "Đã có số định danh cá nhân",
        .yes: "có",
        .no: "không",
        .none: "không có",
        .amendments: "Số lần điều chỉnh",
        .applicationsHeading: "Hồ sơ",
        .noApplications: "Chưa có hồ sơ nào.",
        .application: "Hồ sơ",
        .programme: "Chương trình",
        .fiscalYear: "Năm",
        .status: "Trạng thái",
        .requested: "Đề nghị",
        .approved: "Phê duyệt",
        .paid: "Đã chi",
        .notFound: "Không có đối tượng thụ hưởng {0}.",
        .readModelsBehind: "Danh sách đang cập nhật các ghi nhận mới nhất; những gì vừa ghi nhận có thể chưa hiện ra.",
        // MARK: beneficiary
        .beneAmendmentsCaption: "Các lần điều chỉnh của {0}",
        .beneAmendmentsHeading: "Lịch sử điều chỉnh",
        .beneAmount: "Số tiền",
        .beneAmountPositive: "Số tiền phải lớn hơn 0 ₫.",
        .beneApplicationLeft: "{0} (còn phải chi {1})",
        .beneApplicationsCaption: "Các hồ sơ của {0}",
        .beneBackToBeneficiary: "Quay lại đối tượng thụ hưởng",
        .beneChoose: "— chọn —",
        .beneDate: "Ngày",
        .beneDetail: "Chi tiết",
        .beneDoneAmend: "Đã ghi nhận điều chỉnh.",
        .beneDoneApplication: "Đã nộp hồ sơ.",
        .beneDonePayment: "Đã ghi nhận khoản chi.",
        .beneEvent: "Nội dung",
        .beneFormHasErrors: "Chưa ghi nhận gì: hãy sửa ô được đánh dấu bên dưới.",
        .beneFormsOnlyOfficers: "Chỉ cán bộ nghiệp vụ mới ghi nhận điều chỉnh, hồ sơ và khoản chi.",
        .beneMethodBank: "Chuyển khoản",
        .beneMethodCash: "Tiền mặt",
        .beneMethodRequired: "Hãy chọn chuyển khoản hoặc tiền mặt.",
        .beneMotto: "Độc lập – Tự do – Hạnh phúc",
        .beneNation: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        .beneNoAmendments: "Chưa có điều chỉnh nào.",
        .beneNoApprovedApplications: "Không có hồ sơ đã phê duyệt nào chờ chi trả.",
        .beneNoStatementLines: "Chưa có ghi nhận nào.",
        .beneNotAllowed: "Vai trò của bạn không được phép làm việc này; chưa ghi nhận gì.",
        .beneNotAllowedTitle: "Không được phép",
        .beneOutstanding: "Dư nợ vay",
        .benePayable: "Còn phải chi",
        .benePlaceDateLine: "Cần Thơ, ngày … tháng … năm …",
        .benePrintHint: "Dùng lệnh In của trình duyệt (Ctrl+P) để in trên khổ giấy A4.",
        .benePrintStatement: "Bản in sao kê",
        .beneReleased: "Đã hoàn trả dự toán",
        .beneRequired: "Bắt buộc nhập.",
        .beneReversed: "Đã hoàn chi",
        .beneSignBeneficiary: "Người thụ hưởng",
        .beneSignFinanceOfficer: "Cán bộ tài chính",
        .beneSignHead: "Thủ trưởng đơn vị",
        .beneSignHint: "(Ký, ghi rõ họ tên)",
        .beneStatementCaption: "Các bước đã ghi nhận của {0}, kèm số dư sau mỗi bước",
        .beneStatementHeading: "Sao kê",
        .beneStatementTitle: "Sao kê hỗ trợ của {0}",
        .beneTotals: "Tổng cộng",
        .beneYearInvalid: "Nhập năm ngân sách, ví dụ 2024.",
        .beneReasonLabel: "Lý do",
        .beneAmendedOnLabel: "Ngày điều chỉnh",
        .beneDateHint: "dd/mm/yyyy; để trống là hôm nay",
        .beneNewNameLabel: "Tên mới",
        .beneNewBankAccountLabel: "Tài khoản ngân hàng mới",
        .beneAddCategoryLabel: "Thêm diện đối tượng",
        .beneRemoveCategoryLabel: "Bỏ diện đối tượng",
        .beneNewUnitLabel: "Chuyển đến đơn vị",
        .beneAmendHeading: "Điều chỉnh thông tin",
        .beneAmendSubmit: "Ghi nhận điều chỉnh",
        .beneSubmitHeading: "Nộp hồ sơ đề nghị",
        .beneSubmitSubmit: "Nộp hồ sơ",
        .beneApplicationIDLabel: "Số hồ sơ",
        .beneAmountRequestedLabel: "Số tiền đề nghị",
        .beneAmountHint: "Tính bằng đồng, ví dụ 5.000.000",
        .beneSubmittedOnLabel: "Ngày nộp",
        .beneYearLabel: "Năm ngân sách (nếu khác năm nộp)",
        .benePaymentHeading: "Ghi nhận chi trả",
        .benePaymentSubmit: "Ghi nhận khoản chi",
        .benePaymentApplicationLabel: "Hồ sơ đã phê duyệt",
        .benePaymentIDLabel: "Mã khoản chi",
        .beneAmountPaidLabel: "Số tiền chi",
        .benePaidOnLabel: "Ngày chi",
        .beneMethodLabel: "Hình thức chi",
        .beneVoucherLabel: "Số chứng từ",
        .beneShortcuts: "Lối tắt",
        .beneShortcutRegister: "Đăng ký đối tượng thụ hưởng",
        .beneShortcutSubmit: "Nộp hồ sơ: tìm đối tượng thụ hưởng trước",
        .beneShortcutPayment: "Ghi nhận chi trả: tìm đối tượng thụ hưởng trước",
        .beneShortcutImport: "Nhập danh sách chi trả",
        .beneKindRequired: "Hãy chọn hộ gia đình hoặc cá nhân.",
        .beneRegisterHeading: "Thông tin đối tượng thụ hưởng mới",
        .beneRegisterSubmit: "Đăng ký",
        .beneUnitHint: "Quận/huyện hoặc phường/xã, ví dụ Ninh Kiều",
        .beneRegisteredOnLabel: "Ngày đăng ký",
        .beneCategoryLabel: "Diện đối tượng (ví dụ poor)",
        .beneDoneRegister: "Đã đăng ký đối tượng thụ hưởng {0}.",
        .beneOpenBeneficiary: "Mở trang của đối tượng thụ hưởng",
        .beneFormAlreadySent: "Biểu mẫu này đã được gửi với giá trị khác và đã ghi nhận. Hãy kiểm tra trang ở trên; nếu cần ghi nhận thêm, hãy gửi lại biểu mẫu ngay bây giờ.",
        // MARK: queue, budget, loans
        .queue: "Hồ sơ chờ phê duyệt",
        .queueIntro: "Các hồ sơ đang chờ quyết định, hồ sơ cũ nhất trước, kèm mức hỗ trợ tối đa mỗi đối tượng của chương trình và ngân sách còn lại.",
        .queueNotAllowed: "Chỉ người phê duyệt mới được mở danh sách hồ sơ chờ quyết định. Nếu bạn cần quyền này, hãy liên hệ quản trị viên của Sở.",
        .queueCaption: "Hồ sơ đang chờ quyết định",
        .queueCount: "{0} hồ sơ đang chờ",
        .queueEmpty: "Không có hồ sơ nào đang chờ quyết định.",
        .queueSubmitted: "Người nộp, ngày nộp",
        .queueCap: "Mức tối đa mỗi đối tượng",
        .queueAvailable: "Ngân sách còn lại",
        .queueNoBudget: "chưa phân bổ ngân sách",
        .queueApproveLegend: "Phê duyệt {0}",
        .queueRejectLegend: "Từ chối {0}",
        .queueAmount: "Số tiền phê duyệt",
        .queueAmountHint: "Tính bằng đồng, ví dụ 5.000.000; đã điền sẵn số tiền đề nghị",
        .queueDecisionReference: "Số quyết định",
        .queueDecidedOn: "Ngày quyết định",
        .queueDateHint: "dd/mm/yyyy, ví dụ 21/05/2024",
        .queueReason: "Lý do từ chối",
        .queueApprove: "Phê duyệt",
        .queueReject: "Từ chối",
        .queueAmountInvalid: "Hãy nhập số tiền bằng đồng, ví dụ 5.000.000 hoặc 5000000.",
        .queueDecisionMissing: "Hãy nhập số quyết định, ví dụ QĐ 12/2024.",
        .queueDateInvalid: "Hãy nhập ngày theo dạng dd/mm/yyyy, ví dụ 21/05/2024.",
        .queueReasonMissing: "Hãy nhập lý do từ chối hồ sơ.",
        .queueApproved: "Đã phê duyệt hồ sơ {0}.",
        .queueRejected: "Đã từ chối hồ sơ {0}.",
        .budget: "Ngân sách",
        .budgetIntro: "Từng khoản ngân sách (chương trình × năm × đơn vị): đã phân bổ, đã giữ cho hồ sơ phê duyệt, đã chi, đã hoàn lại do rút hoặc đóng hồ sơ, và phần còn có thể phê duyệt.",
        .budgetFilters: "Chọn số liệu",
        .budgetAllProgrammes: "Tất cả chương trình",
        .budgetAsOfDate: "Tính đến ngày",
        .budgetAsOfHint: "dd/mm/yyyy; để trống để xem mọi ghi nhận",
        .budgetShow: "Xem",
        .budgetAsOf: "Số liệu tính đến ngày {0}.",
        .budgetLatest: "Số liệu của mọi ghi nhận.",
        .budgetEmpty: "Không có khoản ngân sách nào phù hợp.",
        .budgetFix: "Hãy sửa điều kiện lọc được đánh dấu bên dưới.",
        .budgetUnknownProgramme: "Không có chương trình này.",
        .budgetYearInvalid: "Hãy nhập năm, ví dụ 2024.",
        .budgetCaption: "Ngân sách theo chương trình, năm và đơn vị",
        .budgetAllocated: "Đã phân bổ",
        .budgetReserved: "Đã giữ",
        .budgetReleased: "Đã hoàn lại",
        .budgetAvailable: "Còn lại",
        .budgetReservedNotPaid: "Đã giữ, chưa chi",
        .budgetTotal: "Tổng cộng",
        .budgetChartTitle: "Ngân sách: đã chi, đã giữ và còn lại so với phân bổ",
        .budgetChartLine: "{0}: phân bổ {1}, đã chi {2}, đã giữ {3}, còn lại {4}",
        .loans: "Khoản vay",
        .loansIntro: "Sổ cho vay và các khoản vay quá hạn theo nhóm nợ, tại một ngày.",
        .loansAsOf: "Khoản vay tính đến ngày {0}.",
        .loansBook: "Sổ cho vay",
        .loansBookCaption: "Mọi khoản vay tính đến ngày {0}",
        .loansNone: "Chưa có khoản vay nào được giải ngân đến ngày đó.",
        .loansOverdue: "Quá hạn",
        .loansBucketCaption: "Khoản vay quá hạn theo nhóm nợ",
        .loansOverdueCaption: "Các khoản vay quá hạn",
        .loansNoneOverdue: "Không có khoản vay nào quá hạn.",
        .loansCount: "Số khoản vay",
        .loansLoan: "Khoản vay",
        .loansPrincipal: "Gốc",
        .loansDisbursedOn: "Ngày giải ngân",
        .loansOutstanding: "Dư nợ gốc",
        .loansInterest: "Lãi phải trả",
        .loansOverduePrincipal: "Gốc quá hạn",
        .loansDaysPastDue: "Số ngày quá hạn",
        .loansArrears: "Nhóm nợ",
        .loansAsOfHint: "dd/mm/yyyy; để trống để xem hôm nay",
        // MARK: import, audit
        .importAuditNotAllowed: "Vai trò của bạn không được phép",
        .importNav: "Nhập danh sách chi trả",
        .importHeading: "Nhập danh sách chi trả",
        .importIntro: "Tải lên danh sách chi trả của ngân hàng dạng tệp CSV có dòng tiêu đề {0}. Mọi dòng được kiểm tra trước; khi còn dòng không hợp lệ thì không ghi nhận gì. Tải lại cùng tệp chỉ ghi nhận những dòng chưa được ghi nhận.",
        .importFile: "Danh sách chi trả (tệp CSV)",
        .importFileHint: "Mã hóa UTF-8, phân cách bằng dấu phẩy, dấu chấm phẩy hoặc tab; các cột theo thứ tự bất kỳ.",
        .importSkipInvalid: "Ghi nhận các dòng hợp lệ",
        .importSkipInvalidHint: "Ghi nhận ngay các dòng hợp lệ và bỏ qua các dòng không hợp lệ (liệt kê trong báo cáo), thay vì không ghi nhận gì.",
        .importSubmit: "Kiểm tra và ghi nhận",
        .importChooseFile: "Hãy chọn tệp CSV của danh sách chi trả để tải lên.",
        .importNotAPaymentFile: "Đây không phải danh sách chi trả: {0}. Chưa ghi nhận gì.",
        .importNotAllowed: "Chỉ cán bộ mới được nhập danh sách chi trả. Hãy đăng nhập bằng tài khoản cán bộ, hoặc nhờ cán bộ thực hiện.",
        .importReport: "Báo cáo nhập",
        .importSummary: "Kết quả nhập",
        .importProblems: "Các dòng không hợp lệ",
        .importRecorded: "Đã ghi nhận {0} khoản chi.",
        .importNothingNew: "Không có gì mới được ghi nhận: mọi dòng đã được ghi nhận trước đó ({0} dòng).",
        .importRecordedSkipping: "Đã ghi nhận các dòng hợp lệ ({0}); bỏ qua {1} dòng không hợp lệ (liệt kê dưới đây). Hãy sửa rồi tải lại tệp: các dòng đã ghi nhận sẽ được bỏ qua.",
        .importRefused: "Dòng không hợp lệ: {0} trên {1} (liệt kê dưới đây); chưa ghi nhận gì. Hãy sửa rồi tải lại tệp, hoặc đánh dấu “Ghi nhận các dòng hợp lệ” để ghi nhận {2} dòng hợp lệ.",
        .importStopped: "Việc nhập đã dừng: {0}. Đã ghi nhận: {1}; chưa ghi nhận: {2}. Hãy tải lại cùng tệp để ghi nhận phần còn lại (các dòng đã ghi nhận sẽ được bỏ qua).",
        .importIgnoredColumns: "Đã bỏ qua các cột {0}: không phải cột của danh sách chi trả ({1}).",
        .auditNav: "Kiểm toán",
        .auditHeading: "Kiểm toán sổ cái",
        .auditIntro: "Kiểm tra lịch sử của sổ cái không bị thay đổi và các quy tắc được tuân thủ, lưu bản tóm lược, xuất dữ liệu, và xem ai đã làm gì, khi nào.",
        .auditNotAllowed: "Chỉ kiểm toán viên mới được mở các trang kiểm toán. Hãy đăng nhập bằng tài khoản kiểm toán viên.",
        .auditLastHeading: "Lần kiểm tra gần nhất",
        .auditLastCaption: "Chi tiết lần kiểm tra gần nhất",
        .auditNoneYet: "Chưa có lần kiểm tra nào được chạy qua dịch vụ này kể từ khi khởi động.",
        .auditMemoryNote: "Sổ cái không lưu các lần kiểm tra: trang này hiện lần gần nhất được chạy qua dịch vụ này kể từ khi khởi động (lệnh ledger audit verify chạy được bất cứ lúc nào).",
        .auditVerifyHeading: "Kiểm tra sổ cái",
        .auditChainOnly: "Chỉ chuỗi băm",
        .auditChainOnlyHint: "Chỉ kiểm tra không có sự kiện nào đã ghi bị thay đổi, không chạy lại mọi quy tắc (nhanh hơn với sổ cái lớn).",
        .auditVerifySubmit: "Chạy kiểm tra",
        .auditVerifyDone: "Đã kiểm tra xong.",
        .auditIntact: "Nguyên vẹn: chuỗi băm không đứt và mọi quy tắc được tuân thủ.",
        .auditChainIntact: "Nguyên vẹn: chuỗi băm không đứt (không chạy lại các quy tắc).",
        .auditNotIntact: "Không nguyên vẹn: tại vị trí {0}: {1}",
        .auditRulesBroken: "Chuỗi băm không đứt nhưng có quy tắc bị vi phạm: {0}. Hãy chạy ledger audit verify để xem từng trường hợp.",
        .auditRanAt: "Thời điểm chạy",
        .auditRanBy: "Người chạy",
        .auditHeadPosition: "Vị trí cuối",
        .auditHeadHash: "Mã băm cuối",
        .auditEventsReplayed: "Số sự kiện đã chạy lại",
        .auditProblemsFound: "Số vấn đề phát hiện",
        .auditDuration: "Thời gian",
        .auditMilliseconds: "{0} mili giây",
        .auditDownloadsHeading: "Tải xuống",
        .auditDigest: "Tải bản tóm lược",
        .auditDigestHint: "vị trí và mã băm cuối, cùng tệp với ledger audit digest; hãy lưu lại để sau này chứng minh lịch sử đến đó không bị thay đổi (ledger audit verify --digest FILE).",
        .auditExport: "Tải bản xuất dữ liệu",
        .auditExportHint: "mọi sự kiện dạng dòng JSON (ledger-export-v1), giống ledger audit export; kiểm tra ngoại tuyến bằng scripts/verify-export.",
        .auditHistoryHeading: "Lịch sử",
        .auditHistoryIntro: "Ai đã làm gì, khi nào: các sự kiện của một đối tượng thụ hưởng (cùng hồ sơ và khoản vay của họ) hoặc của một luồng.",
        .auditBeneficiary: "Mã đối tượng thụ hưởng",
        .auditStream: "Mã luồng",
        .auditHistorySubmit: "Xem lịch sử",
        .auditHistoryOneOf: "Hãy nhập mã đối tượng thụ hưởng hoặc mã luồng, không nhập cả hai.",
        .auditNoStream: "Không có sự kiện nào trong luồng {0}.",
        .auditNoBeneficiary: "Không có đối tượng thụ hưởng {0} và không có gì nhắc đến họ.",
        .auditHistoryCaption: "Lịch sử của {0}",
        .auditHistoryCount: "{0} sự kiện",
        // MARK: recent work
        .recentHeading: "Công việc gần đây của bạn",
        .recentCaption: "Những việc bạn ghi nhận gần nhất, mới nhất trước",
        .recentNone: "Bạn chưa ghi nhận việc nào.",
        .recentWhen: "Thời điểm",
        .recentWhat: "Việc",
        .recentBeneficiary: "Đối tượng thụ hưởng",
        .recentBeneficiaryRegistered: "Đăng ký đối tượng thụ hưởng",
        .recentBeneficiaryAmended: "Điều chỉnh thông tin đối tượng thụ hưởng",
        .recentApplicationSubmitted: "Nộp hồ sơ",
        .recentApplicationApproved: "Phê duyệt hồ sơ",
        .recentApplicationRejected: "Từ chối hồ sơ",
        .recentApplicationWithdrawn: "Rút hồ sơ",
        .recentApplicationClosed: "Đóng hồ sơ",
        .recentPaymentRecorded: "Ghi nhận khoản chi",
        .recentPaymentReversed: "Hủy khoản chi",
        .recentLoanOpened: "Mở khoản vay",
        .recentLoanDisbursed: "Giải ngân khoản vay",
        .recentLoanRepaid: "Ghi nhận trả nợ",
        .recentLoanSettled: "Tất toán khoản vay",
        .recentLoanWrittenOff: "Xóa nợ khoản vay",
        .recentOther: "Ghi nhận {0}",
    ]
}
