//! Vietnamese texts for stable codes (English texts come from the domain errors themselves).

/// Vietnamese detail for a rule or conflict code.
pub fn rule_vi(code: &str) -> Option<&'static str> {
    Some(match code {
        "member_not_active" => "Đảng viên không còn sinh hoạt (đã xóa tên, khai trừ hoặc từ trần)",
        "not_probationary" => "Chỉ đảng viên dự bị mới được công nhận chính thức",
        "probation_not_complete" => "Chưa đủ 12 tháng dự bị",
        "same_unit" => "Đảng viên đã thuộc chi bộ này",
        "temporarily_transferred" => "Đảng viên đang sinh hoạt tạm thời ở nơi khác; cần kết thúc trước",
        "not_temporarily_transferred" => "Đảng viên không sinh hoạt tạm thời",
        "already_exempt" => "Đảng viên đã được miễn sinh hoạt",
        "not_exempt" => "Đảng viên không được miễn sinh hoạt",
        "event_out_of_order" => "Ngày hiệu lực sớm hơn sự kiện gần nhất",
        "effective_date_in_future" => "Ngày hiệu lực nằm trong tương lai",
        "decision_required" => "Cần có quyết định (số, ngày, cơ quan ban hành)",
        "position_taken" => "Đơn vị đã có người giữ chức vụ này",
        "position_already_held" => "Đảng viên đã giữ chức vụ này",
        "member_not_official" => "Chỉ đảng viên chính thức mới được giữ chức vụ cấp ủy",
        "member_outside_unit" => "Đảng viên không thuộc tổ chức đảng này",
        "end_before_start" => "Ngày kết thúc sớm hơn ngày bắt đầu",
        "position_already_ended" => "Chức vụ đã kết thúc",
        "kind_not_allowed" => "Loại tổ chức này không được đặt dưới tổ chức cấp trên đã chọn",
        "move_cycle" => "Không thể chuyển tổ chức vào bên trong chính nó",
        "same_parent" => "Tổ chức đã trực thuộc cấp trên này",
        "before_current_link" => "Ngày hiệu lực sớm hơn ngày trực thuộc hiện tại",
        "cannot_move_root" => "Không thể chuyển tổ chức gốc",
        "unit_cannot_hold_members" => "Chỉ chi bộ mới có danh sách đảng viên",
        "duplicate_party_card_number" => "Số thẻ đảng viên đã tồn tại",
        "duplicate_citizen_id" => "Số CCCD đã tồn tại",
        "username_taken" => "Tên đăng nhập đã được sử dụng",
        "account_exists" => "Đảng viên đã có tài khoản",
        "too_young" => "Đảng viên phải đủ 18 tuổi khi vào Đảng",
        "weak_password" => "Mật khẩu không đạt yêu cầu",
        "wrong_password" => "Mật khẩu hiện tại không đúng",
        "conflict" => "Thay đổi xung đột với dữ liệu hiện có",
        _ => return None,
    })
}

/// Vietnamese message for a field-issue code.
pub fn field_vi(code: &str) -> &'static str {
    match code {
        "empty" | "missing" => "không được để trống",
        "too_long" => "quá dài",
        "too_short" => "quá ngắn",
        "invalid_format" => "sai định dạng",
        "invalid_characters" => "chứa ký tự không hợp lệ",
        "not_allowed" => "giá trị không được chấp nhận",
        "invalid_type" => "sai kiểu dữ liệu",
        "duplicate" => "bị trùng",
        "unknown_field" => "trường không được hỗ trợ",
        _ => "không hợp lệ",
    }
}
