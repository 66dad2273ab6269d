"""Interface texts of the leaders' pages (reports, scorecard, meeting summary, directions,
moderation), Vietnamese first, English for the UI's English switch. Data labels in the files
that leave the web (xlsx, print) stay Vietnamese, as official reports are."""

from __future__ import annotations

from review.context import language

TEXTS: dict[str, tuple[str, str]] = {
    # the dashboard
    "title": ("Báo cáo cho lãnh đạo", "Leadership report"),
    "all_units": ("Tất cả đơn vị", "All units"),
    "unit": ("Đơn vị", "Unit"),
    "show": ("Xem", "Show"),
    "as_of": ("số liệu lúc", "figures as of"),
    "received": ("Tiếp nhận", "Received"),
    "on_time_rate": ("Xử lý đúng hạn", "Handled on time"),
    "rate_rule": (
        "{on_time} đúng hạn / {due} đã đến hạn (kể cả quá hạn chưa xử lý)",
        "{on_time} on time / {due} due (overdue items included)",
    ),
    "overdue": ("Quá hạn", "Overdue"),
    "overdue_rule": ("nhận trong kỳ, chưa xử lý, đã qua hạn", "received in the period, past due"),
    "prolonged": ("Kéo dài", "Prolonged"),
    "prolonged_rule": (
        "quá hạn hơn {days} ngày làm việc, hoặc được gia hạn; kể cả mục nhận từ kỳ trước",
        "over {days} working days past due, or extended; earlier items included",
    ),
    "overdue_now": ("Đang quá hạn, mọi kỳ", "Overdue now, any period"),
    "overdue_now_rule": (
        "như danh sách 'Quá hạn' của hàng đợi",
        "the same as the queue's 'Overdue' list",
    ),
    "reopened": ("Mở lại do chưa hài lòng", "Reopened: citizen not satisfied"),
    "reopened_rule": (
        "mở lại trong kỳ, theo hạn mới: {on_time} đúng hạn, {late} trễ hạn, {open} còn hạn, "
        "{overdue} quá hạn; không tính vào tỷ lệ đúng hạn",
        "reopened in the period, by the new deadline: {on_time} on time, {late} late, "
        "{open} in time, {overdue} overdue; not in the on-time rate",
    ),
    "urgent": ("Khẩn", "Urgent"),
    "avg_ack": ("TB tiếp nhận", "Avg. to acknowledge"),
    "avg_answer": ("TB trả lời", "Avg. to answer"),
    "hours": ("giờ", "hours"),
    "per_day": ("Tiếp nhận theo ngày và loại", "Received per day, by category"),
    "outcomes": ("Kết quả xử lý", "Outcome"),
    "backlog": ("Đang mở theo phòng ban (mọi thời điểm)", "Open items per department (all)"),
    "by_source": ("Theo kênh tiếp nhận", "By channel"),
    "by_category": ("Theo loại", "By category"),
    "name": ("Tên", "Name"),
    "late": ("Trễ hạn", "Late"),
    "open": ("Còn hạn", "In time"),
    "overdue_list": ("Mục quá hạn, chưa xử lý", "Overdue items"),
    "none_overdue": ("Không có mục quá hạn.", "Nothing is overdue."),
    "prolonged_list": ("Mục kéo dài", "Prolonged items"),
    "none_prolonged": ("Không có mục kéo dài.", "Nothing was prolonged."),
    "why": ("Lý do", "Why"),
    "nothing": ("Chưa có mục nào trong kỳ.", "No items in this period."),
    "by_officer": ("Theo cán bộ xử lý", "By officer"),
    "officer": ("Cán bộ", "Officer"),
    "assigned": ("Được giao (nhận trong kỳ)", "Assigned (received in the period)"),
    "handled": ("Đã xử lý", "Handled"),
    "unassigned": ("Chưa giao cho ai", "Not assigned"),
    "officer_rule": (
        "Mỗi mục tính cho cán bộ đang được giao; Đã xử lý = đúng hạn + trễ hạn. "
        "Cột cuối: mục đang quá hạn, mọi kỳ.",
        "Each item counts for the officer it is assigned to now; handled = on time + late. "
        "Last column: overdue now, any period.",
    ),
    "more": ("… và {n} mục khác trong tệp tải về.", "… and {n} more in the download."),
    "received_at": ("Nhận lúc", "Received"),
    "due": ("Hạn", "Due"),
    "category": ("Loại", "Category"),
    "department": ("Phòng ban", "Department"),
    "sender": ("Người gửi", "Sender"),
    "summary": ("Tóm tắt", "Excerpt"),
    "status": ("Trạng thái", "Status"),
    "download": ("Tải báo cáo", "Download the report"),
    "period": ("Kỳ báo cáo", "Period"),
    "at": ("Kỳ chứa ngày", "Period containing"),
    "from": ("Từ ngày", "From"),
    "to": ("Đến ngày", "To"),
    "format": ("Định dạng", "Format"),
    "period_hint": (
        "Quý và năm chốt số liệu ngày {day} tháng cuối kỳ (Thông tư 02/2021/TT-TTCP). "
        "Điền cả Từ ngày và Đến ngày để xem một khoảng tùy chọn.",
        "Quarters and years end on day {day} of their last month (Circular 02/2021/TT-TTCP). "
        "Fill both From and To for a custom range.",
    ),
    "week": ("Tuần", "Week"),
    "month": ("Tháng", "Month"),
    "quarter": ("Quý", "Quarter"),
    "year": ("Năm", "Year"),
    "range": ("Khoảng tùy chọn", "Custom range"),
    "previous": ("Kỳ trước", "Previous"),
    "next": ("Kỳ sau", "Next"),
    "other_reports": ("Báo cáo khác", "Other reports"),
    "scorecard": ("Bảng chỉ số", "Scorecard"),
    "meeting": ("Tổng hợp giao ban", "Meeting summary"),
    "awaiting": ("Chờ chỉ đạo", "Awaiting direction"),
    "dashboard": ("Số liệu", "Figures"),
    # the scorecard
    "sc_title": ("Bảng chỉ số phản ánh, kiến nghị", "Feedback scorecard"),
    "sc_intro": (
        "Chỉ số 8 (Thông tư 01/2018/TT-VPCP, Điều 13): 2 điểm khi 100 % phản ánh đến hạn được "
        "xử lý đúng hạn và không có phản ánh kéo dài; 1 điểm khi từ 90 % và không có phản ánh "
        "kéo dài; 0 điểm khi dưới 90 % hoặc có phản ánh kéo dài.",
        "Indicator 8 (Circular 01/2018/TT-VPCP, Art. 13): 2 points when 100 % of the items due "
        "were handled on time and none was prolonged; 1 point from 90 % with none prolonged; "
        "0 below 90 % or with any prolonged item.",
    ),
    "sc_points": ("Điểm chỉ số 8", "Indicator 8 points"),
    "sc_line_100": ("mốc 100 %", "100 % line"),
    "sc_line_90": ("mốc 90 %", "90 % line"),
    "sc_due": ("Đã đến hạn", "Due"),
    "sc_satisfaction": ("Hài lòng", "Satisfied"),
    "sc_rated": ("lượt đánh giá", "ratings"),
    "sc_reopened_on_time": ("xử lý lại đúng hạn", "handled again on time"),
    "sc_reopened_late": ("trễ hạn", "late"),
    "sc_reopened_overdue": ("quá hạn mới", "past the new deadline"),
    "sc_published": ("Công khai kết quả", "Answers published"),
    "sc_transfers": ("Chuyển trong 5 ngày làm việc", "Transferred within 5 working days"),
    "sc_officials": ("Phản ánh về cán bộ", "About officials"),
    "sc_officials_rule": (
        "Tố cáo hoặc khiếu nại thuộc lĩnh vực hành chính, hoặc nêu cán bộ, công chức, chủ "
        "tịch, bộ phận một cửa, công an xã…",
        "Denunciations or complaints in the administrative field, or naming an official, the "
        "chairman, the one-stop desk, the commune police…",
    ),
    "sc_handled": ("đã xử lý", "handled"),
    "sc_directed": ("có chỉ đạo", "with a direction"),
    "sc_urgent": ("Việc khẩn", "Urgent items"),
    "sc_urgent_rule": (
        "Từ lúc nhận đến thao tác đầu tiên của cán bộ (xem không tính); kịp thời khi trước hạn.",
        "From receipt to an officer's first action (looking does not count); in time before "
        "the deadline.",
    ),
    "sc_in_time": ("kịp thời", "in time"),
    "sc_median": ("trung vị", "median"),
    "sc_minutes": ("phút", "min"),
    "sc_first_action": ("Thao tác đầu tiên", "First action"),
    "sc_none_action": ("chưa có", "none yet"),
    "sc_download": ("Tải bảng chỉ số (Excel)", "Download the scorecard (Excel)"),
    # the meeting summary
    "mt_title": ("Tổng hợp phản ánh, kiến nghị để giao ban", "Meeting summary of feedback"),
    "mt_intro": (
        "Các mục cùng đơn vị, cùng lĩnh vực và nội dung giống nhau được gộp thành một nhóm "
        "(so sánh từ ngữ, không dấu, theo TF-IDF). Mỗi nhóm kèm đề xuất và ý kiến chỉ đạo.",
        "Items of one unit and field whose words are alike are grouped (TF-IDF of the words, "
        "without accents). Each group shows its proposals and directions.",
    ),
    "mt_groups": ("{groups} nhóm nội dung, {items} mục", "{groups} topics, {items} items"),
    "mt_keywords": ("Từ khóa", "Keywords"),
    "mt_items": ("mục", "items"),
    "mt_propose": ("Đề xuất xin chỉ đạo cho nhóm này", "Propose a direction for this group"),
    "mt_no_proposal": ("Chưa có đề xuất.", "No proposal yet."),
    "mt_print": ("Bản in / tải về", "Printable / download"),
    "mt_download": ("Tải tệp (HTML để in)", "Download (HTML to print)"),
    "mt_docx": ("Tải tệp Word", "Download (Word)"),
    "mt_empty": ("Không có mục nào trong kỳ.", "No items in this period."),
    # directions
    "dr_title": ("Đề xuất và ý kiến chỉ đạo", "Proposals and directions"),
    "dr_waiting": ("Chờ chỉ đạo", "Awaiting direction"),
    "dr_returned": ("Bị trả lại, cần làm lại", "Returned, to revise"),
    "dr_decided": ("Đã có ý kiến chỉ đạo", "Directed"),
    "dr_none": ("Không có đề xuất nào.", "No proposals."),
    "dr_new": ("Đề xuất xin ý kiến chỉ đạo", "Ask for a direction"),
    "dr_items": ("Các mục", "Items"),
    "dr_more_items": (
        "Thêm mục cùng nội dung (số mục, cách nhau bởi dấu phẩy)",
        "More items on the same matter (numbers, comma-separated)",
    ),
    "dr_summary": ("Tóm tắt nội dung", "Summary"),
    "dr_handling": ("Hướng xử lý đề xuất", "Proposed handling"),
    "dr_department": ("Phòng ban xử lý", "Department"),
    "dr_deadline": ("Hạn giải quyết đề xuất", "Proposed deadline"),
    "dr_send": ("Gửi lãnh đạo", "Send to the leadership"),
    "dr_proposal": ("Đề xuất #{id}", "Proposal #{id}"),
    "dr_by": ("{name} đề xuất lúc {at}", "proposed by {name} at {at}"),
    "dr_direction": ("Ý kiến chỉ đạo", "Direction"),
    "dr_directed_by": ("{name}, {at}", "{name}, {at}"),
    "dr_decide": ("Cho ý kiến chỉ đạo", "Give a direction"),
    "dr_approve": ("Đồng ý như đề xuất", "Approve as proposed"),
    "dr_change": ("Đồng ý, có điều chỉnh", "Approve with changes"),
    "dr_return": ("Trả lại, yêu cầu làm lại", "Return for revision"),
    "dr_new_department": ("Phòng ban (khi điều chỉnh)", "Department (when changing)"),
    "dr_new_deadline": ("Hạn mới (khi điều chỉnh)", "New deadline (when changing)"),
    "dr_revise": ("Sửa đề xuất và gửi lại", "Revise and send again"),
    "dr_previous": ("Ý kiến lần trước", "Earlier direction"),
    "dr_rules": ("Loại cần chỉ đạo trước khi trả lời", "Categories answered after a direction"),
    "dr_rules_intro": (
        "Mục thuộc loại được đánh dấu chỉ được trả lời người dân sau khi lãnh đạo đồng ý một đề "
        'xuất về mục đó ("theo thẩm quyền hoặc sau khi có ý kiến chỉ đạo của Lãnh đạo").',
        "Items of a ticked category are answered only after a leader approved a proposal "
        "about them.",
    ),
    "dr_save": ("Lưu", "Save"),
    "dr_saved": ("Đã lưu; {n} thay đổi.", "Saved; {n} changes."),
    "dr_created": ("Đã gửi đề xuất #{id} tới lãnh đạo.", "Proposal #{id} sent to the leadership."),
    "dr_decided_ok": ("Đã ghi ý kiến chỉ đạo cho đề xuất #{id}.", "Direction recorded on #{id}."),
    "dr_revised": ("Đã gửi lại đề xuất #{id}.", "Proposal #{id} sent again."),
    "dr_open_item": ("Mở", "Open"),
    "dr_item_panel": ("Đề xuất, chỉ đạo", "Proposal and direction"),
    "dr_required": (
        "Loại mục này của đơn vị cần ý kiến chỉ đạo trước khi trả lời người dân.",
        "This unit answers this category after a leader's direction.",
    ),
    "dr_state": ("Trạng thái", "State"),
    # moderation
    "md_title": ("Ẩn bình luận trên Trang", "Hide the comment on the Page"),
    "md_hidden": (
        "Bình luận đang ẩn trên Trang (người viết và bạn bè vẫn thấy); nội dung vẫn lưu ở đây.",
        "The comment is hidden on the Page (its author and friends still see it); kept here.",
    ),
    "md_reason": ("Lý do", "Reason"),
    "md_note": ("Ghi chú (bắt buộc với lý do khác)", "Note (required for another reason)"),
    "md_hide": ("Yêu cầu ẩn bình luận", "Ask to hide the comment"),
    "md_unhide": ("Yêu cầu hiện lại bình luận", "Ask to show the comment again"),
    "md_requested": (
        "Đã ghi yêu cầu #{id}; chương trình nền sẽ thực hiện trên Facebook.",
        "Request #{id} recorded; the daemon will carry it out on Facebook.",
    ),
    "md_history": ("Các yêu cầu ẩn/hiện", "Hide and show requests"),
    "md_applied": ("Đã thấy trên trang: đã thực hiện", "Checked the Page: it was done"),
    "md_resend": ("Đã kiểm tra, chưa thực hiện: gửi lại", "Checked, not done: send again"),
    "md_cancel": ("Hủy yêu cầu", "Cancel the request"),
    "md_settled": ("Đã ghi nhận.", "Recorded."),
    "md_kept": ("Nội dung lúc yêu cầu", "Text when asked"),
}


def tx(key: str, **values: object) -> str:
    vi, en = TEXTS[key]
    text = en if language() == "en" else vi
    return text.format(**values) if values else text
