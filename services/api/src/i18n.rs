//! The Vietnamese and English texts of every stable code the API sends.
//!
//! [`PROBLEMS`] gives each problem `code` its title (the summary of the problem type, the same for
//! every occurrence) and a generic detail; [`FIELD_ISSUES`] gives each field-issue code
//! (`errors[].code`) its message. How [`crate::error::ApiError::problem`] uses them:
//!
//! - `title`: the table's, in the request's language;
//! - `detail` in Vietnamese: the table's (the English detail written at the call site is not
//!   shown to Vietnamese readers);
//! - `detail` in English: the call-site detail when there is one, since it names the specifics of
//!   the occurrence ("unknown kind xyz", "probation ends on 2026-03-01"); otherwise the table's;
//! - validation problems and `too_many_attempts` build their detail from the occurrence (the
//!   fields at fault, the seconds to wait) in either language;
//! - field-issue messages: the table's in Vietnamese, the call-site message in English.
//!
//! The tests in `i18n/tests.rs` scan the sources for every code the API can send and fail on any
//! code missing from these tables.

use crate::error::Lang;

/// The texts of one problem code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemText {
    /// The stable code.
    pub code: &'static str,
    /// Vietnamese title.
    pub title_vi: &'static str,
    /// English title.
    pub title_en: &'static str,
    /// Vietnamese detail: what is wrong and what to do.
    pub detail_vi: &'static str,
    /// English detail: the generic, stable explanation.
    pub detail_en: &'static str,
}

impl ProblemText {
    /// The title in `lang`.
    pub fn title(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.title_vi,
            Lang::En => self.title_en,
        }
    }

    /// The generic detail in `lang`.
    pub fn detail(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.detail_vi,
            Lang::En => self.detail_en,
        }
    }
}

/// The texts of one field-issue code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldText {
    /// The stable code.
    pub code: &'static str,
    /// Vietnamese message (said of the field: "quá dài").
    pub vi: &'static str,
    /// English message, generic ("is too long").
    pub en: &'static str,
}

impl FieldText {
    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.vi,
            Lang::En => self.en,
        }
    }
}

/// The texts of a problem code, if it has them (every code the API sends does: see the tests).
pub fn problem(code: &str) -> Option<&'static ProblemText> {
    PROBLEMS.iter().find(|t| t.code == code)
}

/// The texts of a field-issue code, if it has them (every code the API sends does).
pub fn field(code: &str) -> Option<&'static FieldText> {
    FIELD_ISSUES.iter().find(|t| t.code == code)
}

const fn p(
    code: &'static str,
    title_vi: &'static str,
    title_en: &'static str,
    detail_vi: &'static str,
    detail_en: &'static str,
) -> ProblemText {
    ProblemText { code, title_vi, title_en, detail_vi, detail_en }
}

const fn f(code: &'static str, vi: &'static str, en: &'static str) -> FieldText {
    FieldText { code, vi, en }
}

/// Problem codes: (code, Vietnamese title, English title, Vietnamese detail, English detail).
pub const PROBLEMS: &[ProblemText] = &[
    // ---- fixed codes of `ApiError`
    p(
        "validation_failed",
        "Dữ liệu không hợp lệ",
        "Some values are invalid",
        "Một số trường có giá trị không hợp lệ; xem danh sách lỗi của từng trường.",
        "Some fields have invalid values; see the list of errors by field.",
    ),
    p(
        "unauthenticated",
        "Chưa đăng nhập hoặc phiên đã hết hạn",
        "Not signed in, or the session has expired",
        "Vui lòng đăng nhập để tiếp tục.",
        "Sign in to continue.",
    ),
    p(
        "invalid_credentials",
        "Tên đăng nhập hoặc mật khẩu không đúng",
        "Wrong username or password",
        "Kiểm tra lại tên đăng nhập và mật khẩu rồi thử lại.",
        "Check the username and password and try again.",
    ),
    p(
        "password_change_required",
        "Cần đổi mật khẩu ban đầu trước khi tiếp tục",
        "Change the initial password before continuing",
        "Tài khoản đang dùng mật khẩu được cấp ban đầu; hãy đổi mật khẩu trước khi dùng các chức năng khác.",
        "The account still uses the password it was issued with; change it before doing anything else.",
    ),
    p(
        "forbidden",
        "Không có quyền thực hiện",
        "Not permitted",
        "Tài khoản của bạn không có quyền thực hiện thao tác này đối với tổ chức đảng hoặc dữ liệu được yêu cầu.",
        "Your account may not do this for the requested Party unit or data.",
    ),
    p(
        "acting_on_self",
        "Không được tự thực hiện đối với chính mình",
        "Not on your own record",
        "Không ai được tự điều chỉnh điểm, tự ghi nhận biến động sinh hoạt đảng, tự cấp tài khoản hay tự bổ nhiệm cho chính mình; việc này do cấp có thẩm quyền khác thực hiện.",
        "Nobody adjusts their own points, records membership events about themselves, issues their own account or appoints themselves; someone else with the right does it.",
    ),
    p(
        "acting_on_superior",
        "Không có quyền thực hiện đối với đảng viên giữ chức vụ này",
        "Not on a member who holds this position",
        "Đảng viên này giữ chức vụ mà bạn không có quyền bổ nhiệm (cấp trên của bạn hoặc cùng cấp ủy với bạn); chỉ cấp bổ nhiệm chức vụ đó hoặc quản trị viên cấp trên mới được thực hiện.",
        "The member holds a position you may not appoint to (a superior, or a fellow member of your own committee); only the level that appoints to it, or an administrator over it, may do this.",
    ),
    p("not_found", "Không tìm thấy", "Not found", "Không tìm thấy dữ liệu được yêu cầu.", "The requested resource was not found."),
    p(
        "precondition_failed",
        "Dữ liệu đã bị thay đổi bởi người khác",
        "The data was changed by someone else",
        "Phiên bản gửi kèm (If-Match) không còn là phiên bản hiện tại; hãy tải lại dữ liệu rồi sửa lại.",
        "The version sent in If-Match is no longer the current one; reload the data and make the change again.",
    ),
    p(
        "invalid_if_match",
        "Tiêu đề If-Match không hợp lệ",
        "The If-Match header is malformed",
        "If-Match phải là một hoặc nhiều ETag trong dấu ngoặc kép, ví dụ \"3\", đúng như khi đọc dữ liệu.",
        "If-Match must be one or more quoted ETags, e.g. \"3\", as returned when the data was read.",
    ),
    p(
        "precondition_required",
        "Cần gửi kèm phiên bản (If-Match) khi sửa",
        "Send the version in If-Match when editing",
        "Yêu cầu sửa đổi phải có tiêu đề If-Match chứa phiên bản (ETag) nhận được khi tải dữ liệu.",
        "A change must carry an If-Match header with the version (ETag) received when the data was loaded.",
    ),
    p(
        "payload_too_large",
        "Dữ liệu gửi lên quá lớn",
        "The request body is too large",
        "Nội dung hoặc tệp gửi lên vượt quá dung lượng cho phép.",
        "The body or file sent exceeds the allowed size.",
    ),
    p(
        "unsupported_media_type",
        "Kiểu nội dung không được hỗ trợ",
        "Unsupported content type",
        "Kiểu dữ liệu hoặc loại tệp gửi lên không được hỗ trợ; các yêu cầu thông thường gửi JSON (Content-Type: application/json).",
        "The content type or file type sent is not supported; requests normally send JSON (Content-Type: application/json).",
    ),
    p(
        "too_many_attempts",
        "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau",
        "Too many failed attempts, try again later",
        "Đăng nhập sai quá nhiều lần; hãy chờ một lúc rồi thử lại.",
        "Too many failed sign-ins; wait a while and try again.",
    ),
    p(
        "server_busy",
        "Hệ thống đang bận",
        "The server is busy",
        "Hệ thống đang xử lý quá nhiều yêu cầu đăng nhập cùng lúc; vui lòng thử lại sau giây lát.",
        "Too many sign-ins are being checked at once; retry in a moment.",
    ),
    p(
        "request_timeout",
        "Yêu cầu xử lý quá lâu",
        "The request took too long",
        "Máy chủ không trả lời kịp trong thời gian cho phép và đã dừng xử lý yêu cầu; vui lòng thử lại, nếu là thao tác ghi thì kiểm tra lại kết quả trước.",
        "The server did not answer within its time limit and stopped working on the request; retry, and after a write check its result first.",
    ),
    p(
        "service_unavailable",
        "Hệ thống tạm thời không sẵn sàng",
        "The service is temporarily unavailable",
        "Hệ thống tạm thời không truy cập được cơ sở dữ liệu; vui lòng thử lại sau ít phút.",
        "The service cannot reach its database right now; try again in a few minutes.",
    ),
    p(
        "internal_error",
        "Lỗi hệ thống",
        "Internal error",
        "Đã xảy ra lỗi ngoài dự kiến và lỗi đã được ghi lại; vui lòng thử lại sau.",
        "Something unexpected went wrong and the error has been logged; try again later.",
    ),
    // ---- unreadable requests (400)
    p(
        "malformed_json",
        "Nội dung JSON không đọc được",
        "Malformed JSON",
        "Nội dung gửi lên không phải JSON hợp lệ.",
        "The request body is not valid JSON.",
    ),
    p(
        "invalid_query",
        "Tham số truy vấn không hợp lệ",
        "Invalid query parameter",
        "Một tham số truy vấn không được hỗ trợ, sai kiểu hoặc nằm ngoài giới hạn cho phép.",
        "A query parameter is unknown, has the wrong type or is out of range.",
    ),
    p(
        "invalid_path",
        "Đường dẫn không hợp lệ",
        "Invalid path",
        "Một tham số trong đường dẫn (thường là mã định danh) sai định dạng.",
        "A path parameter (usually an id) is malformed.",
    ),
    p(
        "invalid_cursor",
        "Con trỏ phân trang không hợp lệ",
        "Invalid page cursor",
        "Giá trị cursor không phải do hệ thống trả về; hãy tải lại từ trang đầu.",
        "The cursor is not one this API returned; start again from the first page.",
    ),
    p(
        "method_not_allowed",
        "Phương thức không được hỗ trợ",
        "Method not allowed",
        "Đường dẫn này không nhận phương thức HTTP đã gửi; xem tiêu đề Allow.",
        "This path does not take the HTTP method sent; see the Allow header.",
    ),
    p(
        "not_acceptable",
        "Không có định dạng phù hợp",
        "Not acceptable",
        "Điểm cuối này chỉ trả về JSON (application/json hoặc application/problem+json).",
        "This endpoint answers only in JSON (application/json or application/problem+json).",
    ),
    p(
        "uri_too_long",
        "Đường dẫn quá dài",
        "URI too long",
        "Đường dẫn hoặc chuỗi truy vấn dài hơn mức cho phép.",
        "The path or query string is longer than accepted.",
    ),
    p("bad_request", "Yêu cầu không đọc được", "Bad request", "Máy chủ không đọc được yêu cầu.", "The server could not read the request."),
    p(
        "insufficient_storage",
        "Hết chỗ lưu trữ",
        "Insufficient storage",
        "Máy chủ không còn chỗ lưu tệp đính kèm; tệp chưa được lưu. Vui lòng báo quản trị viên.",
        "The server has no room left for attachments; the file was not kept. Please tell the administrator.",
    ),
    p(
        "invalid_value",
        "Giá trị không lưu được",
        "Value cannot be stored",
        "Một giá trị trong yêu cầu không thể lưu (quá lớn, ngoài phạm vi hoặc chứa ký tự không hợp lệ).",
        "A value of the request cannot be stored (too large, out of range, or holding characters that are not allowed).",
    ),
    p(
        "invalid_encoding",
        "Tệp không đúng bảng mã",
        "Wrong file encoding",
        "Tệp phải được lưu ở bảng mã UTF-8.",
        "The file must be encoded in UTF-8.",
    ),
    p(
        "invalid_csv",
        "Tệp CSV không đọc được",
        "Unreadable CSV file",
        "Không đọc được dòng tiêu đề của tệp CSV; hãy kiểm tra lại định dạng tệp.",
        "The header row of the CSV file cannot be read; check the file format.",
    ),
    p(
        "invalid_multipart",
        "Dữ liệu tải lên không đọc được",
        "Unreadable upload",
        "Không đọc được nội dung multipart/form-data của yêu cầu tải tệp lên.",
        "The multipart/form-data body of the upload cannot be read.",
    ),
    // ---- shared
    p(
        "conflict",
        "Xung đột với dữ liệu hiện có",
        "Conflicts with the current data",
        "Thay đổi xung đột với dữ liệu hiện có.",
        "The change conflicts with existing data.",
    ),
    p(
        "concurrent_change",
        "Dữ liệu vừa được thay đổi",
        "Changed meanwhile",
        "Dữ liệu vừa được người khác thay đổi trong lúc bạn thao tác; hãy tải lại rồi thực hiện lại.",
        "The data changed while you were working on it; reload and try again.",
    ),
    p(
        "invalid_transition",
        "Không thể chuyển trạng thái",
        "Not possible in the current status",
        "Thao tác không thực hiện được ở trạng thái hiện tại của buổi sinh hoạt, báo cáo, văn bản hoặc nhiệm vụ; hãy tải lại để xem trạng thái mới nhất.",
        "This step is not possible in the current status of the meeting, report, document or task; reload to see the latest status.",
    ),
    p(
        "effective_date_in_future",
        "Ngày hiệu lực chưa đến",
        "Effective date in the future",
        "Ngày hiệu lực nằm trong tương lai; chỉ ghi nhận thay đổi đã có hiệu lực.",
        "The effective date is in the future; only changes already in effect are recorded.",
    ),
    p(
        "end_before_start",
        "Ngày kết thúc sớm hơn ngày bắt đầu",
        "End before start",
        "Ngày kết thúc phải bằng hoặc sau ngày bắt đầu.",
        "The end date must be on or after the start date.",
    ),
    // ---- organisation units
    p(
        "kind_not_allowed",
        "Loại tổ chức không phù hợp",
        "Kind not allowed here",
        "Loại tổ chức đảng này không được đặt trực thuộc tổ chức cấp trên đã chọn.",
        "This kind of Party unit cannot be placed under the chosen superior unit.",
    ),
    p(
        "move_cycle",
        "Không thể chuyển tổ chức vào chính nó",
        "Move would make a cycle",
        "Không thể chuyển một tổ chức đảng vào bên trong chính nó hoặc một tổ chức trực thuộc nó.",
        "A unit cannot be moved under itself or one of its own sub-units.",
    ),
    p(
        "same_parent",
        "Đã trực thuộc cấp trên này",
        "Already under this superior",
        "Tổ chức đảng đã trực thuộc cấp trên được chọn.",
        "The unit is already under the chosen superior unit.",
    ),
    p(
        "before_current_link",
        "Ngày hiệu lực quá sớm",
        "Effective date too early",
        "Ngày hiệu lực sớm hơn ngày tổ chức bắt đầu trực thuộc cấp trên hiện tại.",
        "The effective date is before the unit came under its current superior.",
    ),
    p(
        "cannot_move_root",
        "Không thể chuyển tổ chức gốc",
        "The root unit cannot be moved",
        "Tổ chức đảng cao nhất của hệ thống không thể chuyển sang trực thuộc tổ chức khác.",
        "The top unit of the system cannot be moved under another unit.",
    ),
    p(
        "unit_cannot_hold_members",
        "Không phải chi bộ",
        "Not a cell",
        "Chỉ chi bộ mới có danh sách đảng viên; hãy chọn một chi bộ.",
        "Only a Party cell (chi bộ) has a roster of members; choose a cell.",
    ),
    p(
        "no_superior",
        "Không có cấp trên",
        "No superior unit",
        "Tổ chức đảng không có cấp ủy cấp trên để gửi báo cáo.",
        "The unit has no superior to report to.",
    ),
    // ---- members
    p(
        "member_not_active",
        "Không còn là đảng viên",
        "No longer a Party member",
        "Đảng viên đã bị xóa tên, bị khai trừ hoặc đã từ trần; không thể thực hiện thao tác này.",
        "The member was removed from the rolls, expelled or has died; this cannot be done.",
    ),
    p(
        "not_probationary",
        "Không phải đảng viên dự bị",
        "Not a probationary member",
        "Chỉ đảng viên dự bị mới được xét công nhận đảng viên chính thức.",
        "Only a probationary member can be recognised as an official member.",
    ),
    p(
        "probation_not_complete",
        "Chưa đủ thời gian dự bị",
        "Probation not complete",
        "Đảng viên chưa đủ 12 tháng dự bị kể từ ngày kết nạp nên chưa thể công nhận chính thức.",
        "The member has not completed 12 months of probation since admission, so cannot be recognised as official yet.",
    ),
    p(
        "same_unit",
        "Đảng viên đã thuộc chi bộ này",
        "Already in this cell",
        "Đảng viên đang sinh hoạt tại chi bộ được chọn; hãy chọn chi bộ khác để chuyển sinh hoạt đảng.",
        "The member already belongs to the chosen cell; choose another cell for the transfer.",
    ),
    p(
        "temporarily_transferred",
        "Đang sinh hoạt tạm thời nơi khác",
        "Temporarily transferred",
        "Đảng viên đang sinh hoạt đảng tạm thời ở chi bộ khác; cần kết thúc sinh hoạt tạm thời trước.",
        "The member is temporarily active in another cell; end the temporary transfer first.",
    ),
    p(
        "not_temporarily_transferred",
        "Không sinh hoạt tạm thời",
        "Not temporarily transferred",
        "Đảng viên hiện không sinh hoạt đảng tạm thời ở chi bộ nào nên không có gì để kết thúc.",
        "The member is not temporarily active in another cell, so there is nothing to end.",
    ),
    p(
        "already_exempt",
        "Đã được miễn sinh hoạt đảng",
        "Already exempt",
        "Đảng viên đang được miễn công tác và sinh hoạt đảng.",
        "The member is already exempt from Party work and activities.",
    ),
    p(
        "not_exempt",
        "Không được miễn sinh hoạt đảng",
        "Not exempt",
        "Đảng viên hiện không được miễn công tác và sinh hoạt đảng nên không có gì để kết thúc.",
        "The member is not exempt from Party work and activities, so there is nothing to end.",
    ),
    p(
        "event_out_of_order",
        "Ngày hiệu lực không theo thứ tự",
        "Event out of order",
        "Ngày hiệu lực sớm hơn sự kiện gần nhất của đảng viên hoặc nằm ngoài khoảng 1900–2100; các sự kiện được ghi theo thứ tự thời gian.",
        "The effective date is before the member's latest event or outside 1900–2100; events are recorded in date order.",
    ),
    p(
        "decision_required",
        "Thiếu quyết định",
        "Decision required",
        "Thay đổi này cần có quyết định kèm theo (số, ngày ký, cơ quan ban hành).",
        "This change needs its deciding document (number, date, issuer).",
    ),
    p(
        "duplicate_party_card_number",
        "Số thẻ đảng viên đã tồn tại",
        "Duplicate party-card number",
        "Đã có đảng viên khác mang số thẻ đảng viên này.",
        "Another member already has this party-card number.",
    ),
    p(
        "duplicate_citizen_id",
        "Số CCCD đã tồn tại",
        "Duplicate citizen ID",
        "Đã có đảng viên khác mang số căn cước công dân (CCCD) này.",
        "Another member already has this citizen ID (CCCD).",
    ),
    p(
        "empty_import",
        "Tệp không có dữ liệu",
        "Nothing to import",
        "Tệp không có dòng dữ liệu nào ngoài dòng tiêu đề.",
        "The file has no data rows below the header.",
    ),
    p(
        "too_many_rows",
        "Tệp có quá nhiều dòng",
        "Too many rows",
        "Tệp vượt quá số dòng cho phép trong một lần nhập; hãy chia thành nhiều tệp.",
        "The file has more rows than one import allows; split it into several files.",
    ),
    // ---- positions
    p(
        "position_taken",
        "Chức vụ đã có người đảm nhiệm",
        "Position taken",
        "Tổ chức đảng đã có người đang giữ chức vụ này; cần kết thúc chức vụ của người đó trước.",
        "The unit already has an active holder of this position; end their term first.",
    ),
    p(
        "position_already_held",
        "Đảng viên đã giữ chức vụ này",
        "Position already held",
        "Đảng viên đã giữ chức vụ này tại tổ chức đảng trong thời gian đã chọn.",
        "The member already holds this position in the unit during that period.",
    ),
    p(
        "member_not_official",
        "Không phải đảng viên chính thức",
        "Not an official member",
        "Chỉ đảng viên chính thức mới được giữ chức vụ trong cấp ủy.",
        "Only official members can hold committee positions.",
    ),
    p(
        "member_outside_unit",
        "Đảng viên không thuộc tổ chức này",
        "Member outside the unit",
        "Đảng viên không sinh hoạt tại tổ chức đảng này hoặc các tổ chức trực thuộc.",
        "The member does not belong to this unit or any unit under it.",
    ),
    p(
        "position_already_ended",
        "Chức vụ đã kết thúc",
        "Position already ended",
        "Chức vụ này đã được kết thúc trước đó.",
        "This position has already ended.",
    ),
    // ---- accounts
    p(
        "username_taken",
        "Tên đăng nhập đã được sử dụng",
        "Username taken",
        "Tên đăng nhập này đã thuộc về một tài khoản khác; hãy chọn tên khác.",
        "Another account already uses this username; choose another.",
    ),
    p(
        "account_exists",
        "Đảng viên đã có tài khoản",
        "Account exists",
        "Mỗi đảng viên chỉ có một tài khoản và đảng viên này đã có tài khoản.",
        "Each member has one account, and this member already has one.",
    ),
    p(
        "weak_password",
        "Mật khẩu chưa đủ mạnh",
        "Weak password",
        "Mật khẩu phải dài 8–128 ký tự, không chỉ gồm chữ số và khác tên đăng nhập; mật khẩu mới phải khác mật khẩu hiện tại.",
        "A password has 8–128 characters, not only digits, and differs from the username; a new password differs from the current one.",
    ),
    p(
        "wrong_password",
        "Mật khẩu hiện tại không đúng",
        "Wrong current password",
        "Mật khẩu hiện tại nhập vào không đúng.",
        "The current password entered is wrong.",
    ),
    p(
        "already_revoked",
        "Quyền quản trị đã bị thu hồi",
        "Already revoked",
        "Quyền quản trị này đã được thu hồi trước đó.",
        "This administrator grant has already been revoked.",
    ),
    // ---- generated reports
    p(
        "period_not_for_kind",
        "Kỳ báo cáo không phù hợp",
        "Period not for this report",
        "Báo cáo sinh hoạt chi bộ tháng lập theo tháng; bảng tổng hợp đảng viên trong năm lập theo năm; báo cáo tổng hợp lập theo tháng, quý hoặc năm.",
        "The cell month report takes a month, the member year sheet a year; the roll-ups take a month, a quarter or a year.",
    ),
    p(
        "format_not_for_kind",
        "Định dạng không phù hợp",
        "Format not for this report",
        "Bản PDF chỉ lập cho báo cáo sinh hoạt chi bộ tháng và bảng tổng hợp đảng viên trong năm; hãy chọn XLSX, CSV hoặc HTML.",
        "PDF is written for the cell month report and the member year sheet only; choose XLSX, CSV or HTML.",
    ),
    p(
        "unit_not_a_cell",
        "Đơn vị không phải chi bộ",
        "Unit is not a cell",
        "Báo cáo sinh hoạt chi bộ tháng chỉ lập cho một chi bộ.",
        "The cell month report is for a cell.",
    ),
    p(
        "member_not_for_kind",
        "Không chọn đảng viên cho loại báo cáo này",
        "Member not for this report",
        "Chỉ bảng tổng hợp đảng viên trong năm (member_year) mới lập riêng cho một đảng viên.",
        "Only the member year sheet (member_year) may be made for one member.",
    ),
    p(
        "member_not_in_unit",
        "Đảng viên không thuộc đơn vị",
        "Member not in the unit",
        "Đảng viên được chọn không sinh hoạt tại đơn vị này hoặc các đơn vị trực thuộc.",
        "The member named does not belong to the unit or its sub-units.",
    ),
    p(
        "report_not_ready",
        "Báo cáo chưa sẵn sàng",
        "Report not ready",
        "Báo cáo đang chờ hoặc đang được lập; hãy thử lại khi trạng thái là done.",
        "The report is queued or being generated; try again once its status is done.",
    ),
    // ---- notifications
    p(
        "delivery_not_failed",
        "Lượt gửi không ở trạng thái thất bại",
        "Delivery not failed",
        "Chỉ gửi lại được lượt gửi thông báo đã thất bại; lượt gửi này đang chờ, đã gửi hoặc đã bỏ qua.",
        "Only a failed delivery can be retried; this one is pending, sent or skipped.",
    ),
    // ---- meetings
    p(
        "adjustment_cap_exceeded",
        "Vượt mức điều chỉnh điểm trong năm",
        "Over the yearly adjustment limit",
        "Tổng điểm điều chỉnh thủ công (tính theo giá trị tuyệt đối) cho một đảng viên trong một năm không được vượt quá 100 điểm; đảng viên này đã gần hoặc đã đạt mức đó.",
        "A member's manual adjustments in a calendar year, counted as absolute values, may not exceed 100 points; this one would go over.",
    ),
    p(
        "regular_meeting_exists",
        "Đã có buổi sinh hoạt thường kỳ trong tháng",
        "Regular meeting exists",
        "Chi bộ đã có một buổi sinh hoạt thường kỳ trong tháng này.",
        "The cell already has a regular meeting this month.",
    ),
    p(
        "meeting_locked",
        "Không thể sửa buổi sinh hoạt",
        "Meeting locked",
        "Chỉ sửa được nội dung buổi sinh hoạt khi chưa bắt đầu và chưa bị hủy.",
        "A meeting's content can be edited only before it opens and unless it is cancelled.",
    ),
    p(
        "agenda_item_has_comments",
        "Mục chương trình đã có ý kiến",
        "Agenda item has comments",
        "Không thể xóa mục chương trình sinh hoạt đã có ý kiến góp ý.",
        "An agenda item with comments cannot be removed.",
    ),
    p(
        "short_duration_unconfirmed",
        "Thời lượng dưới mức tối thiểu",
        "Short duration not confirmed",
        "Thời lượng dự kiến thấp hơn mức tối thiểu cho loại sinh hoạt này; hãy xác nhận (confirm_short_duration) nếu vẫn muốn công bố.",
        "The planned duration is below the minimum for this kind of meeting; publish again with confirm_short_duration to go ahead.",
    ),
    p(
        "meeting_not_open",
        "Buổi sinh hoạt chưa bắt đầu hoặc đã kết thúc",
        "Meeting not open",
        "Chỉ điểm danh được trong lúc buổi sinh hoạt đang diễn ra.",
        "Check-in is possible only while the meeting is open.",
    ),
    p(
        "check_in_not_open",
        "Chưa đến giờ điểm danh",
        "Check-in not open yet",
        "Điểm danh mở từ 30 phút trước giờ bắt đầu buổi sinh hoạt.",
        "Check-in opens 30 minutes before the meeting starts.",
    ),
    p(
        "check_in_closed",
        "Đã hết giờ điểm danh",
        "Check-in closed",
        "Điểm danh đã đóng khi hết thời gian dự kiến của buổi sinh hoạt.",
        "Check-in closed at the planned end of the meeting.",
    ),
    p(
        "not_on_roster",
        "Không có trong danh sách tham dự",
        "Not on the roster",
        "Bạn không có tên trong danh sách tham dự buổi sinh hoạt này.",
        "You are not on the roster of this meeting.",
    ),
    p(
        "ledger_locked",
        "Sổ điểm danh đã khóa",
        "Attendance ledger locked",
        "Chỉ sửa được điểm danh khi buổi sinh hoạt đang diễn ra hoặc vừa kết thúc, trước khi duyệt biên bản.",
        "Attendance can be corrected only while the meeting is open or ended, before the minutes are approved.",
    ),
    p(
        "minutes_locked",
        "Biên bản đã khóa",
        "Minutes locked",
        "Biên bản và biểu quyết chỉ được ghi khi buổi sinh hoạt đang diễn ra hoặc vừa kết thúc, trước khi biên bản được duyệt.",
        "Minutes and votes are recorded only while the meeting is open or ended, before the minutes are approved.",
    ),
    p(
        "minutes_missing",
        "Chưa có biên bản",
        "Minutes missing",
        "Cần lập biên bản buổi sinh hoạt trước khi duyệt biên bản.",
        "Write the minutes before approving them.",
    ),
    p(
        "wrong_vote_mode",
        "Sai hình thức biểu quyết",
        "Wrong voting mode",
        "Nội dung này được biểu quyết theo hình thức khác (từng đảng viên bỏ phiếu, hoặc ghi tổng số phiếu).",
        "This motion is voted the other way (each member casts a vote, or the totals are recorded).",
    ),
    p(
        "too_many_votes",
        "Số phiếu vượt số người có mặt",
        "Too many votes",
        "Tổng số phiếu biểu quyết lớn hơn số đảng viên có mặt.",
        "The vote total is larger than the number of members present.",
    ),
    p(
        "not_present",
        "Không có mặt tại buổi sinh hoạt",
        "Not present",
        "Chỉ đảng viên có mặt tại buổi sinh hoạt mới được biểu quyết.",
        "Only members present at the meeting may vote.",
    ),
    p(
        "already_voted",
        "Đã biểu quyết",
        "Already voted",
        "Đảng viên đã biểu quyết nội dung này.",
        "The member has already voted on this motion.",
    ),
    p(
        "meeting_not_ended",
        "Buổi sinh hoạt chưa kết thúc",
        "Meeting not ended",
        "Chỉ đánh giá buổi sinh hoạt sau khi buổi sinh hoạt kết thúc.",
        "A meeting is rated after it ends.",
    ),
    p("already_rated", "Đã đánh giá", "Already rated", "Bạn đã đánh giá buổi sinh hoạt này.", "You have already rated this meeting."),
    p(
        "report_decided",
        "Báo cáo đã được xử lý",
        "Report already decided",
        "Báo cáo đã được cấp trên tiếp nhận hoặc trả lại trước đó.",
        "The report has already been acknowledged or returned.",
    ),
    // ---- opinions (comments)
    p(
        "comments_closed",
        "Đã hết thời gian góp ý",
        "Comments closed",
        "Ý kiến được nhận từ khi công bố buổi sinh hoạt đến khi biên bản được duyệt.",
        "Opinions are accepted from publication until the minutes are approved.",
    ),
    p(
        "not_author",
        "Không phải người viết ý kiến",
        "Not the author",
        "Chỉ người viết ý kiến mới được sửa ý kiến đó.",
        "Only the author may edit a comment.",
    ),
    p(
        "edit_window_passed",
        "Đã hết thời gian sửa ý kiến",
        "Edit window passed",
        "Ý kiến chỉ được sửa trong 15 phút sau khi gửi.",
        "A comment can be edited for 15 minutes after it is posted.",
    ),
    p(
        "comment_hidden",
        "Ý kiến đã bị ẩn",
        "Comment hidden",
        "Ý kiến này đã bị ẩn nên không thể sửa.",
        "This comment is hidden and cannot be edited.",
    ),
    p(
        "bad_parent",
        "Ý kiến được trả lời không hợp lệ",
        "Bad parent comment",
        "Ý kiến được trả lời không thuộc cùng buổi sinh hoạt hoặc cùng mục chương trình.",
        "The comment replied to is not in this thread.",
    ),
    // ---- documents
    p(
        "duplicate_document_number",
        "Số văn bản đã tồn tại",
        "Duplicate document number",
        "Tổ chức ban hành đã có văn bản mang số, ký hiệu này.",
        "The issuing unit already has a document with this number.",
    ),
    p(
        "document_not_draft",
        "Văn bản không còn là dự thảo",
        "Document not a draft",
        "Chỉ sửa được văn bản dự thảo (chưa ban hành); văn bản đã ban hành phải thu hồi rồi ban hành văn bản mới.",
        "Only a draft document can be edited; a published document is withdrawn and reissued.",
    ),
    // ---- study points
    p(
        "quiz_closed",
        "Bài kiểm tra chưa mở",
        "Quiz not open",
        "Bài kiểm tra không mở vào thời điểm này; xem ngày và khung giờ làm bài.",
        "The quiz is not open now; see its dates and hours.",
    ),
    p(
        "attempt_limit_reached",
        "Hết lượt làm bài",
        "No attempts left",
        "Bạn đã dùng hết số lượt làm bài kiểm tra trong kỳ này.",
        "You have used all attempts at this quiz for the period.",
    ),
    p(
        "attempt_in_progress",
        "Đang có lượt làm bài",
        "Attempt in progress",
        "Bạn đang có một lượt làm bài chưa nộp; hãy hoàn thành lượt đó trước.",
        "An attempt is still in progress; finish it first.",
    ),
    p(
        "attempt_expired",
        "Đã hết giờ làm bài",
        "Attempt expired",
        "Đã quá thời gian làm bài; lượt làm bài này không được tính điểm học tập.",
        "The time limit has passed; the attempt earns no study points.",
    ),
    p(
        "not_enough_questions",
        "Không đủ câu hỏi",
        "Not enough questions",
        "Ngân hàng câu hỏi không có đủ câu hỏi phù hợp cho bài kiểm tra.",
        "The question bank has not enough matching questions for the quiz.",
    ),
];

/// Field-issue codes: (code, Vietnamese message, English message).
pub const FIELD_ISSUES: &[FieldText] = &[
    // ---- any field
    f("empty", "không được để trống", "must not be empty"),
    f("missing", "là thông tin bắt buộc", "is required"),
    f("too_long", "quá dài", "is too long"),
    f("too_short", "quá ngắn", "is too short"),
    f("invalid_format", "sai định dạng", "has an invalid format"),
    f("invalid_characters", "chứa ký tự không hợp lệ", "contains characters that are not allowed"),
    f("invalid_type", "sai kiểu dữ liệu", "has the wrong type"),
    f("not_allowed", "có giá trị không được chấp nhận", "is not an accepted value"),
    f("unknown_field", "là trường không được hỗ trợ", "is not a known field"),
    f("duplicate", "bị trùng lặp", "is a duplicate"),
    f("not_found", "không tồn tại", "does not exist"),
    f("out_of_range", "nằm ngoài giới hạn cho phép", "is out of range"),
    f("in_future", "không được là ngày trong tương lai", "must not be in the future"),
    // ---- members and accounts
    f("too_young", "đảng viên phải đủ 18 tuổi vào ngày kết nạp", "the member must be at least 18 years old on the admission date"),
    f(
        "probation_not_complete",
        "phải sau ngày kết nạp ít nhất 12 tháng (thời gian dự bị)",
        "must be at least 12 months of probation after admission",
    ),
    f("unknown_column", "là cột không được hỗ trợ", "is not a known column"),
    f("missing_column", "là cột bắt buộc nhưng không có trong tệp", "is a required column missing from the file"),
    f("invalid_row", "dòng không đọc được", "the row cannot be read"),
    // ---- notification preferences
    f("unknown_kind", "không phải là loại thông báo", "is not a notification kind"),
    f("invalid_time", "không phải là giờ dạng HH:MM", "is not a time HH:MM"),
    f("empty_quiet_hours", "giờ bắt đầu và giờ kết thúc trùng nhau", "starts and ends at the same time"),
    f(
        "weak_password",
        "chưa đủ mạnh (8–128 ký tự, không chỉ gồm chữ số, khác tên đăng nhập)",
        "is too weak (8–128 characters, not only digits, not the username)",
    ),
    f(
        "reserved",
        "không dùng được: tên đăng nhập chỉ gồm chữ số phải là số thẻ đảng viên của chính đảng viên đó",
        "is reserved: an all-digit username must be the member's own party-card number",
    ),
    // ---- tasks and documents
    f("not_in_unit", "không thuộc tổ chức đảng này", "does not belong to this unit"),
    f("outside_issuer", "nằm ngoài phạm vi tổ chức ban hành", "is outside the issuing unit's organisation"),
    f("invalid_file_name", "thiếu tên tệp hợp lệ", "has no valid file name"),
    // ---- meetings
    f("end_before_start", "sớm hơn thời điểm bắt đầu", "is before the start"),
    f("not_attending", "phải là đảng viên có mặt tại buổi sinh hoạt", "must be a member who attended the meeting"),
    f("wrong_vote_mode", "không phù hợp với hình thức biểu quyết của nội dung này", "does not fit this motion's voting mode"),
    f("bad_parent", "không thuộc cùng chuỗi ý kiến", "is not in this thread"),
    // ---- study points
    f("before_opens_on", "sớm hơn ngày mở bài kiểm tra", "is before the opening day"),
    f("before_daily_from", "phải sau giờ mở trong ngày", "must be after the daily opening time"),
    f("not_enough_questions", "không đủ câu hỏi phù hợp trong ngân hàng câu hỏi", "there are not enough matching questions in the bank"),
    f("invalid_length", "có số phần tử không đúng", "has the wrong number of items"),
    f("invalid_option", "không phải phương án của câu hỏi", "is not an option of the question"),
];

#[cfg(test)]
mod tests;
