/// The Vietnamese of what the ledger writes for people: English key (a label, a word of the
/// ledger's, or a `Message` template with `{0}`, `{1}`, …) → Vietnamese text with the same
/// placeholders. A key without an entry is written in English. The words are those of the
/// domain (đối tượng thụ hưởng, hồ sơ, chi trả, phê duyệt, ngân sách, khoản vay, quận/huyện,
/// phường/xã, chứng từ, mức hỗ trợ); every text is in Unicode NFC.
public enum Catalog {
    /// The text for `key` in `language`: the key itself in English, else the catalog's entry,
    /// else the key (English).
    public static func text(_ key: String, in language: Language) -> String {
        switch language {
        case .en: key
        case .vi: vietnamese[key] ?? key
        }
    }

    public static let vietnamese: [String: String] = messages.merging(labels) { first, _ in first }

    /// Sentences: refusals, summaries, notes.
    static let messages: [String: String] = [
        // Input
        "{0} must be a whole number of đồng without a sign": "{0} phải là số đồng nguyên, không có dấu + hoặc -",
        "an amount in đồng is required": "cần một số tiền bằng đồng",
        "{0}: đồng are whole: no decimal part": "{0}: tiền đồng là số nguyên, không có phần thập phân",
        "{0} is not a whole number of đồng (e.g. 5000000 or 5.000.000)": "{0} không phải là số đồng nguyên (ví dụ 5000000 hoặc 5.000.000)",
        "{0} is larger than the ledger accepts ({1} đồng)": "{0} lớn hơn mức sổ cái chấp nhận ({1} đồng)",
        "{0} is not a date in the form YYYY-MM-DD or DD/MM/YYYY": "{0} không phải là ngày dạng DD/MM/YYYY hoặc YYYY-MM-DD",
        "{0} is not a date in the form YYYY-MM-DD": "{0} không phải là ngày dạng YYYY-MM-DD",
        "{0}: a two-digit year is ambiguous: write {1}": "{0}: năm hai chữ số không rõ nghĩa: hãy viết {1}",
        "{0} is not a day of the calendar": "{0} không phải là một ngày có trong lịch",
        "must not be empty": "không được để trống",
        "{0} may use only letters, digits, '.', '_' and '-', starting with a letter or digit":
            "{0} chỉ được dùng chữ cái, chữ số, '.', '_' và '-', bắt đầu bằng chữ cái hoặc chữ số",
        "{0} is not a unit of the places loaded; did you mean {1}? (`ledger place list` shows them)":
            "{0} không phải là đơn vị hành chính đã nạp; có phải ý bạn là {1}? (`ledger place list` liệt kê các đơn vị)",
        "{0} is not a district of Cần Thơ (one of: {1})": "{0} không phải là quận/huyện của Cần Thơ (một trong: {1})",
        "{0} is not a unit of the places loaded (`ledger place list` shows them)":
            "{0} không phải là đơn vị hành chính đã nạp (`ledger place list` liệt kê các đơn vị)",
        "{0} must be bank or cash": "{0} phải là bank (chuyển khoản) hoặc cash (tiền mặt)",
        "{0} is not a fiscal year (2000–2100)": "{0} không phải là năm ngân sách (2000–2100)",
        "{0} is not one of {1}": "{0} không thuộc các giá trị {1}",
        "{0} is before --paid-from {1}": "{0} trước --paid-from {1}",
        "{0} not given: {1} (today)": "không có {0}: dùng {1} (hôm nay)",
        // Reading from a hot standby
        "reading from a standby: it has replayed the log up to position {0} (head hash {1}…)":
            "đang đọc từ máy chủ dự phòng: máy này đã phát lại sổ cái đến vị trí {0} (mã băm đầu {1}…)",
        "reading from a standby (this role may not read the log's head)":
            "đang đọc từ máy chủ dự phòng (vai trò này không được đọc đầu sổ cái)",
        "replay lag {0} s, {1} bytes received but not yet replayed": "độ trễ phát lại {0} giây, {1} byte đã nhận nhưng chưa phát lại",
        "everything it has received is replayed": "mọi dữ liệu đã nhận đều đã được phát lại",
        "replay is paused": "việc phát lại đang tạm dừng",
        "it is not receiving from a primary (its primary is down or unreachable): it may be further behind than it can tell":
            "máy này không nhận dữ liệu từ máy chủ chính (máy chủ chính đã ngừng hoặc không kết nối được): có thể chậm hơn mức nó biết",
        "waiting up to {0} s for this standby to replay position {1}": "chờ tối đa {0} giây để máy chủ dự phòng này phát lại đến vị trí {1}",
        "{0}: this standby has replayed the log up to position {1}; the digest is of position {2}: not yet replayed here — {3}":
            "{0}: máy chủ dự phòng này mới phát lại sổ cái đến vị trí {1}; bản tóm tắt ở vị trí {2}: chưa được phát lại tại đây — {3}",
        "wait (--wait SECONDS), or verify against the primary": "hãy chờ (--wait GIÂY) hoặc kiểm tra trên máy chủ chính",
        "try again later, or run it against the primary": "hãy thử lại sau, hoặc chạy lệnh trên máy chủ chính",
        "this server is a standby (read-only): writes go to the primary — name it, or use target_session_attrs=read-write in a multi-host connection string":
            "máy chủ này là máy dự phòng (chỉ đọc): việc ghi phải gửi tới máy chủ chính — hãy chỉ định máy đó, hoặc dùng target_session_attrs=read-write trong chuỗi kết nối nhiều máy chủ",
        // Not found
        "there is no programme {0}; did you mean {1}?; `ledger program list` shows them":
            "không có chương trình {0}; có phải ý bạn là {1}?; `ledger program list` liệt kê các chương trình",
        "there is no programme {0}; `ledger program list` shows them": "không có chương trình {0}; `ledger program list` liệt kê các chương trình",
        "there is no beneficiary {0}": "không có đối tượng thụ hưởng {0}",
        "there is no application {0}": "không có hồ sơ {0}",
        "there is no payment {0}": "không có khoản chi {0}",
        "there is no loan {0}": "không có khoản vay {0}",
        "no application {0} has been submitted": "chưa có hồ sơ {0} nào được nộp",
        "no beneficiary {0} is registered; register them first": "đối tượng thụ hưởng {0} chưa được đăng ký; hãy đăng ký trước",
        "application {0} has no payment {1}": "hồ sơ {0} không có khoản chi {1}",
        "no application {0}": "không có hồ sơ {0}",
        "no beneficiary {0}": "không có đối tượng thụ hưởng {0}",
        // Permission
        "permission refused: role {0} may not append {1} (officers record; approvers decide; admins load programmes and budgets)":
            "không được phép: vai trò {0} không được ghi {1} (cán bộ ghi nhận; người phê duyệt quyết định; quản trị viên nạp chương trình và ngân sách)",
        "{0} (officers record; approvers decide; admins load programmes and budgets)":
            "không được phép: {0} (cán bộ ghi nhận; người phê duyệt quyết định; quản trị viên nạp chương trình và ngân sách)",
        // Rules
        "a payment must be a positive amount, not {0}": "khoản chi phải là số tiền dương, không phải {0}",
        "payment {0} was already recorded for {1} on {2} ({3}, voucher {4}) on application {5}; a different payment needs a different payment id":
            "khoản chi {0} đã được ghi nhận {1} ngày {2} ({3}, chứng từ {4}) cho hồ sơ {5}; khoản chi khác cần mã khoản chi khác",
        "application {0} is {1}; payments are recorded only on approved applications that are not closed":
            "hồ sơ {0} {1}; chỉ ghi nhận chi trả cho hồ sơ đã phê duyệt và chưa đóng",
        "a payment dated {0} is before the approval of application {1} on {2}": "khoản chi ngày {0} trước khi hồ sơ {1} được phê duyệt ngày {2}",
        "programme {0} is valid from {1}; a payment dated {2} is outside that window":
            "chương trình {0} có hiệu lực từ {1}; khoản chi ngày {2} nằm ngoài thời gian đó",
        "programme {0} is valid from {1}; an approval dated {2} is outside that window":
            "chương trình {0} có hiệu lực từ {1}; quyết định phê duyệt ngày {2} nằm ngoài thời gian đó",
        "{0} to {1}": "{0} đến {1}",
        "paying {0} would exceed the {1} approved for application {2}: {3} already paid, {4} remaining":
            "chi {0} sẽ vượt quá {1} đã phê duyệt cho hồ sơ {2}: đã chi {3}, còn lại {4}",
        "beneficiary {0} has no bank account on record; pay in cash, or record the account with `ledger beneficiary amend --id {0} --bank-account TEXT --reason TEXT`":
            "đối tượng thụ hưởng {0} chưa có tài khoản ngân hàng; hãy chi bằng tiền mặt, hoặc ghi tài khoản bằng `ledger beneficiary amend --id {0} --bank-account TEXT --reason TEXT`",
        "{0} is before {1}, when payment {2} was made": "{0} trước {1}, ngày chi khoản {2}",
        "{0} is before {1}, when {2}": "{0} trước {1}, ngày {2}",
        "application {0} was submitted": "hồ sơ {0} được nộp",
        "application {0} was approved": "hồ sơ {0} được phê duyệt",
        "application {0} is {1}; only a submitted application can be {2}": "hồ sơ {0} {1}; thao tác này chỉ dành cho hồ sơ đã nộp",
        "application {0} is {1}; only an approved application can be {2}": "hồ sơ {0} {1}; thao tác này chỉ dành cho hồ sơ đã phê duyệt",
        "application {0} was submitted by {1}; {2} cannot {3} it — another approver must decide (four eyes)":
            "hồ sơ {0} do {1} nộp; {2} không thể {3} hồ sơ này — người phê duyệt khác phải quyết định (nguyên tắc bốn mắt)",
        "programme {0} requires one of the categories {1}; beneficiary {2} has: {3}":
            "chương trình {0} yêu cầu một trong các diện {1}; đối tượng thụ hưởng {2} thuộc diện: {3}",
        "the {0} requested is above the cap of {1} per beneficiary of programme {2}":
            "số tiền đề nghị {0} vượt mức hỗ trợ tối đa {1} cho mỗi đối tượng của chương trình {2}",
        "approving {0} is above the cap of {1} per beneficiary of programme {2}":
            "phê duyệt {0} vượt mức hỗ trợ tối đa {1} cho mỗi đối tượng của chương trình {2}",
        "no budget allocated for {0}; allocate one before approving": "chưa phân bổ ngân sách cho {0}; hãy phân bổ trước khi phê duyệt",
        "approving {0} needs more than the {1} still available in budget {2} (allocated {3}, reserved {4})":
            "phê duyệt {0} cần nhiều hơn {1} còn lại của ngân sách {2} (đã phân bổ {3}, đã giữ {4})",
        "rejected on {0}": "đã bị từ chối ngày {0}",
        "application {0} has {1} paid out; it cannot be withdrawn — close it to release the unpaid remainder":
            "hồ sơ {0} đã chi {1}; không thể rút — hãy đóng hồ sơ để hoàn lại phần chưa chi",
        "application {0} is {1}; only a submitted application, or an approved one with nothing paid, can be withdrawn":
            "hồ sơ {0} {1}; chỉ có thể rút hồ sơ đã nộp, hoặc hồ sơ đã phê duyệt mà chưa chi",
        "application {0} is {1}; its payments can no longer be reversed": "hồ sơ {0} {1}; không thể hoàn trả các khoản chi của hồ sơ này nữa",
        "payment {0} was already reversed on {1} ({2}); it cannot be reversed twice":
            "khoản chi {0} đã được hoàn trả ngày {1} ({2}); không thể hoàn trả hai lần",
        "loan {0} has not been disbursed": "khoản vay {0} chưa được giải ngân",
        "{0} is before {1}, when loan {2} was disbursed": "{0} trước {1}, ngày khoản vay {2} được giải ngân",
        "{0} is before {1}, when loan {2} was last repaid": "{0} trước {1}, ngày khoản vay {2} được trả nợ lần cuối",
        "a principal of {0} exceeds the {1} still available on application {2} (approved {3}, already disbursed {4})":
            "số tiền gốc {0} vượt quá {1} còn lại của hồ sơ {2} (đã phê duyệt {3}, đã giải ngân {4})",
        "a repayment of {0} exceeds the {1} owed on loan {2} on {3} (overdue interest {4}, interest {5}, principal {6})":
            "khoản trả nợ {0} vượt quá {1} phải trả của khoản vay {2} ngày {3} (lãi quá hạn {4}, lãi {5}, nợ gốc {6})",
        "command id {0} was already used for a different command": "mã lệnh {0} đã được dùng cho một lệnh khác",
        "an allocation must be a positive amount, not {0}": "số phân bổ phải là số tiền dương, không phải {0}",
        "an adjustment must add or remove something, not 0 ₫": "điều chỉnh phải tăng hoặc giảm một khoản, không phải 0 ₫",
        "no budget has been allocated for {0}; allocate it before adjusting it": "chưa phân bổ ngân sách cho {0}; hãy phân bổ trước khi điều chỉnh",
        "removing {0} from budget {1} would leave {2} allocated, below the {3} already committed to approved applications; at most {4} can be removed":
            "cắt giảm {0} khỏi ngân sách {1} sẽ chỉ còn {2} được phân bổ, thấp hơn {3} đã cam kết cho các hồ sơ đã phê duyệt; chỉ có thể cắt giảm tối đa {4}",
        "withdrawn on {0}": "đã rút ngày {0}",
        "closed on {0}": "đã đóng ngày {0}",
        "not submitted": "chưa nộp",
        // Lists, reports and notes
        "no applications match": "không có hồ sơ nào phù hợp",
        "no beneficiaries match": "không có đối tượng thụ hưởng nào phù hợp",
        "no payments match": "không có khoản chi nào phù hợp",
        "no users match": "không có người dùng nào phù hợp",
        "total ({0} loans)": "tổng ({0} khoản vay)",
        "{0} past due": "{0} quá hạn",
        "loans as of {0}": "các khoản vay tính đến {0}",
        "{0} (today)": "{0} (hôm nay)",
        "business dates up to {0}, log folded to position {1}": "ngày nghiệp vụ đến {0}, nhật ký được tính đến vị trí {1}",
        "{0} append": "{0} lần ghi",
        "{0} row": "{0} dòng",
        "{0} rows": "{0} dòng",
        "nothing was recorded": "không có gì được ghi nhận",
        "invalid rows skipped: {0} (listed in the report); the valid rows were recorded. Fix the invalid ones and import the file again: rows already recorded are skipped.":
            "đã bỏ qua các dòng không hợp lệ: {0} (liệt kê trong báo cáo); các dòng hợp lệ đã được ghi nhận. Hãy sửa các dòng không hợp lệ rồi nhập lại tệp: các dòng đã ghi nhận sẽ được bỏ qua.",
        "invalid rows: {0} of {1} (listed in the report); nothing was recorded. Fix them and import the file again, or pass --skip-invalid to record the valid ones ({2}).":
            "dòng không hợp lệ: {0} trên {1} (liệt kê trong báo cáo); không có gì được ghi nhận. Hãy sửa rồi nhập lại tệp, hoặc dùng --skip-invalid để ghi nhận các dòng hợp lệ ({2}).",
        "the connection to the database server was lost before the command finished ({0}); it may or may not have been recorded. Running it again is safe: the same command has the same command id and is never recorded twice.":
            "mất kết nối tới máy chủ cơ sở dữ liệu trước khi lệnh chạy xong ({0}); lệnh có thể đã được ghi hoặc chưa. Chạy lại lệnh là an toàn: cùng một lệnh có cùng mã lệnh và không bao giờ bị ghi hai lần.",
        "Command id: {0} (`ledger events list --command-id {0}` shows whether it is recorded).":
            "Mã lệnh: {0} (`ledger events list --command-id {0}` cho biết lệnh đã được ghi hay chưa).",
        "the import stopped: {0}. Recorded: {1}; not recorded: {2}. Import the same file again to record the rest (rows already recorded are skipped).":
            "việc nhập đã dừng: {0}. Đã ghi nhận: {1}; chưa ghi nhận: {2}. Hãy nhập lại cùng tệp để ghi nhận phần còn lại (các dòng đã ghi nhận sẽ được bỏ qua).",
        "{0} appends": "{0} lần ghi",
        "{0}, {1}": "{0}, {1}",
        "{0}, {1}, {2}": "{0}, {1}, {2}",
        "requested, fiscal year {0}": "đề nghị, năm ngân sách {0}",
        "released; {0}": "hoàn lại; {0}",
        "released; {0} paid out in all (net of reversals, loan principal included)":
            "hoàn lại; tổng đã chi {0} (trừ hoàn trả, gồm cả nợ gốc đã cho vay)",
        "application {0}, {1} months": "hồ sơ {0}, {1} tháng",
        "principal {0}, interest {1}": "gốc {0}, lãi {1}",
        "you submitted it (four eyes: another approver decides)": "bạn đã nộp hồ sơ này (nguyên tắc bốn mắt: người phê duyệt khác quyết định)",
        "{0} is not an approver": "{0} không phải là người phê duyệt",
        "position {0} matches": "khớp đến vị trí {0}",
        "all hold ({0} events replayed)": "đều được tuân thủ (đã chạy lại {0} sự kiện)",
        "{0} broken ({1} events replayed)": "{0} vi phạm (đã chạy lại {1} sự kiện)",
        // Summaries
        "payment {0} of {1} recorded on application {2} ({3}, voucher {4}); {5} of {6} remaining":
            "khoản chi {0} số tiền {1} cho hồ sơ {2} ({3}, chứng từ {4}); còn lại {5} trên {6}",
        "payment {0} of {1} was already recorded on application {2}": "khoản chi {0} số tiền {1} đã được ghi nhận trước đó cho hồ sơ {2}",
        "payment {0} of {1} reversed on application {2}: {3}; {4} may be paid again":
            "đã hoàn trả khoản chi {0} số tiền {1} của hồ sơ {2}: {3}; có thể chi lại {4}",
        "application {0} submitted: {1} under {2} for beneficiary {3} ({4}, fiscal year {5})":
            "đã nộp hồ sơ {0}: {1} thuộc chương trình {2} cho đối tượng thụ hưởng {3} ({4}, năm ngân sách {5})",
        "application {0} approved for {1} ({2}); budget {3} has {4} left":
            "đã phê duyệt hồ sơ {0} số tiền {1} ({2}); ngân sách {3} còn {4}",
        "application {0} rejected: {1}": "đã từ chối hồ sơ {0}: {1}",
        "application {0} withdrawn: {1}": "đã rút hồ sơ {0}: {1}",
        "application {0} withdrawn: {1}; {2} released to budget {3}": "đã rút hồ sơ {0}: {1}; hoàn lại {2} cho ngân sách {3}",
        "application {0} closed: {1} paid of {2} approved; {3} released": "đã đóng hồ sơ {0}: đã chi {1} trên {2} được phê duyệt; hoàn lại {3}",
        "payment {0} was already reversed": "khoản chi {0} đã được hoàn trả trước đó",
        "allocated {0} to budget {1} ({2}); allocated {3}, available {4}": "đã phân bổ {0} cho ngân sách {1} ({2}); tổng phân bổ {3}, còn lại {4}",
        "added {0} to budget {1} ({2}); allocated {3}, available {4}": "đã bổ sung {0} vào ngân sách {1} ({2}); tổng phân bổ {3}, còn lại {4}",
        "removed {0} from budget {1} ({2}); allocated {3}, available {4}": "đã cắt giảm {0} khỏi ngân sách {1} ({2}); tổng phân bổ {3}, còn lại {4}",
        "registered {0} {1} {2} in {3} ({4})": "đã đăng ký {0} {1} {2} tại {3} ({4})",
        "beneficiary {0} was already registered with these details": "đối tượng thụ hưởng {0} đã được đăng ký trước đó với cùng thông tin",
        "no categories": "không thuộc diện nào",
    ]

    /// Labels, headers and the ledger's own words.
    static let labels: [String: String] = [
        // Prefixes
        "error": "lỗi",
        "warning": "cảnh báo",
        // The ledger's words
        "submitted": "đã nộp",
        "approved": "đã phê duyệt",
        "rejected": "bị từ chối",
        "withdrawn": "đã rút",
        "closed": "đã đóng",
        "payment": "khoản chi",
        "reversal": "hoàn trả",
        "loan-opened": "mở khoản vay",
        "loan-repaid": "trả nợ",
        "loan-settled": "tất toán khoản vay",
        "loan-written-off": "xóa nợ",
        "amended": "sửa đổi",
        "payment reversed": "hoàn trả khoản chi",
        "loan disbursed": "giải ngân khoản vay",
        "loan repayment": "trả nợ",
        "loan settled": "tất toán khoản vay",
        "loan written off": "xóa nợ",
        "bank": "chuyển khoản",
        "cash": "tiền mặt",
        "person": "cá nhân",
        "household": "hộ gia đình",
        "grant": "hỗ trợ",
        "loan": "khoản vay",
        "yes": "có",
        "no": "không",
        "none": "không có",
        "on record": "đã có",
        "approve": "phê duyệt",
        "reject": "từ chối",
        "active": "đang vay",
        "settled": "đã tất toán",
        "written off": "đã xóa nợ",
        "not disbursed": "chưa giải ngân",
        "current": "trong hạn",
        "1-30 days": "1–30 ngày",
        "31-90 days": "31–90 ngày",
        "91-180 days": "91–180 ngày",
        "over 180 days": "trên 180 ngày",
        "intact": "nguyên vẹn",
        "NOT INTACT": "KHÔNG NGUYÊN VẸN",
        "RULES BROKEN": "CÓ QUY TẮC BỊ VI PHẠM",
        "not replayed (--chain-only)": "không chạy lại (--chain-only)",
        "nothing new (already recorded)": "không có gì mới (đã ghi nhận trước đó)",
        // Budget report
        "programme": "chương trình",
        "program": "chương trình",
        "year": "năm",
        "district": "quận/huyện",
        "allocated": "được phân bổ",
        "reserved": "đã giữ",
        "paid": "đã chi",
        "lent": "đã cho vay",
        "released": "đã hoàn lại",
        "available": "còn lại",
        "old unit": "đơn vị cũ",
        "successor": "đơn vị kế thừa",
        "total": "tổng",
        "all programmes": "tất cả chương trình",
        "all districts": "tất cả quận/huyện",
        "all units": "tất cả đơn vị",
        "also from": "cũng từ",
        "successors total": "tổng các đơn vị kế thừa",
        // Loan report
        "beneficiary": "đối tượng thụ hưởng",
        "status": "trạng thái",
        "principal": "nợ gốc",
        "outstanding": "dư nợ",
        "interest": "lãi",
        "overdue principal": "nợ gốc quá hạn",
        "days past due": "số ngày quá hạn",
        "arrears": "nhóm nợ",
        // Beneficiary statement
        "position": "vị trí",
        "recorded at": "thời điểm ghi",
        "date": "ngày",
        "event": "sự kiện",
        "application": "hồ sơ",
        "amount": "số tiền",
        "payable": "còn phải chi",
        "detail": "chi tiết",
        "paid (net of reversals)": "đã chi (trừ hoàn trả)",
        "reversed": "đã hoàn trả",
        "still payable": "còn phải chi",
        "loan principal": "nợ gốc đã vay",
        "principal repaid": "gốc đã trả",
        "interest repaid": "lãi đã trả",
        "outstanding principal": "dư nợ gốc",
        // Applications, beneficiaries, payments, users
        "unit": "đơn vị",
        "requested": "đề nghị",
        "submitted by": "người nộp",
        "submitted on": "ngày nộp",
        "budget available": "ngân sách còn lại",
        "you may decide": "bạn được quyết định",
        "step": "bước",
        "business date": "ngày nghiệp vụ",
        "reference": "số tham chiếu",
        "recorded by": "người ghi",
        "fiscal year": "năm ngân sách",
        "paid (net)": "đã chi (ròng)",
        "decided": "ngày quyết định",
        "decision": "số quyết định",
        "rejected because": "lý do từ chối",
        "disbursed on": "ngày giải ngân",
        "term (months)": "thời hạn (tháng)",
        "matures on": "ngày đáo hạn",
        "kind": "loại",
        "name": "tên",
        "categories": "diện",
        "bank account": "tài khoản ngân hàng",
        "national id": "số định danh",
        "amendments": "số lần sửa đổi",
        "method": "hình thức",
        "voucher": "chứng từ",
        "paid on": "ngày chi",
        "reversed on": "ngày hoàn trả",
        "reversal reason": "lý do hoàn trả",
        "user": "người dùng",
        "role": "vai trò",
        "may log in": "được đăng nhập",
        "valid until": "hiệu lực đến",
        "code": "mã",
        "cap per beneficiary": "mức hỗ trợ tối đa mỗi đối tượng",
        "valid": "hiệu lực",
        "once only": "chỉ một lần",
        // Recording
        "recorded": "đã ghi nhận",
        "{0} by {1} (recorded {2})": "{0} bởi {1} (ghi lúc {2})",
        "{0} by {1}": "{0} bởi {1}",
        "by {0} (recorded {1})": "bởi {0} (ghi lúc {1})",
        "registered": "đăng ký",
        "earlier": "lần trước",
        "positions": "vị trí",
        "command id": "mã lệnh",
        // Status
        "head position": "vị trí mới nhất",
        "head hash": "mã băm mới nhất",
        "events": "số sự kiện",
        "streams": "số luồng",
        "last recorded at": "ghi lần cuối lúc",
        "server": "máy chủ",
        // Payment import
        "rows read": "số dòng đã đọc",
        "already recorded": "đã ghi nhận trước đó",
        "duplicates in file": "trùng lặp trong tệp",
        "invalid": "không hợp lệ",
        "not recorded": "chưa ghi nhận",
        "line": "dòng",
        "column": "cột",
        "problem": "vấn đề",
        // Audit verify
        "result": "kết quả",
        "first bad position": "vị trí hỏng đầu tiên",
        "events checked": "số sự kiện đã kiểm tra",
        "digest": "bản tóm lược",
        "domain rules": "quy tắc nghiệp vụ",
        "rule": "quy tắc",
        "stream": "luồng",
        "what": "nội dung",
        "version": "phiên bản",
        "type": "loại sự kiện",
        "actor": "người thực hiện",
        "command": "lệnh",
        "payload": "dữ liệu",
        "(row)": "(cả dòng)",
        "in force": "hiệu lực",
        "came from": "hình thành từ",
        "group": "nhóm",
    ]
}
