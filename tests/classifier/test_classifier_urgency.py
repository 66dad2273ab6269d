"""The danger-phrase rule: fires on present danger, not on negations, prevention or questions."""

from __future__ import annotations

import pytest

from classifier.normalize import normalize, strip_tokens
from classifier.urgency import danger_rule, danger_signal


@pytest.mark.parametrize(
    "text",
    [
        "Dây điện đứt rơi xuống đường ngõ 12 tổ dân phố 3, đang tóe lửa, mọi người tránh xa",
        "Mẹ em vừa bị gọi giả công an bảo cài app, tài khoản đang bị trừ tiền liên tục, cứu với",
        "nha kho cuoi thon dang boc chay, khoi den lam",
        "có người bị điện giật ở cột điện đầu ngõ",
        "mùi gas nồng lắm, chắc rò rỉ gas ở bếp ăn tập thể",
        "Cứu với, nước lũ cuốn trôi xe máy ở ngầm tràn",
        "trạm biến áp không ai trực, có người bị điện giật",
        "Lễ hội đền chen lấn kinh khủng, mấy bà cụ ngã dưới đất bị dẫm lên, xã cho người vào ngay",
        "chợ phiên đông quá, dân chen nhau giẫm đạp lên người ngã",
    ],
)
def test_rule_fires_on_present_danger(text: str) -> None:
    assert danger_rule(normalize(text))


@pytest.mark.parametrize(
    "text",
    [
        "Thôn Lương Xá mất sóng 4G Viettel cả tuần nay rồi ad ơi",
        "Đề nghị UBND xã lắp wifi miễn phí ở nhà văn hóa các thôn để bà con học dùng VNeID",
        "cho e hỏi kích hoạt định danh mức 2 thì ra xã hay công an ạ",
        "Cán bộ địa chính xã đòi 3 triệu mới chịu ký xác nhận hồ sơ cho nhà tôi",
        "may quá không ai bị điện giật, điện lực đã sửa xong dây",
        "đám cháy ở chợ đã được dập tắt, cảm ơn các chiến sĩ",
        "đề nghị xã tổ chức diễn tập phòng cháy, tránh bốc cháy như năm ngoái",
        "Xin hỏi bị điện giật thì sơ cứu thế nào ạ",
        "kè chống sạt lở ở bờ sông làm đến đâu rồi",
        "chua thay ai bi dien giat ca, moi nguoi yen tam",
    ],
)
def test_rule_stays_silent_on_negations_prevention_and_questions(text: str) -> None:
    assert not danger_rule(normalize(text))


def test_rule_works_on_unaccented_typing() -> None:
    assert danger_rule(normalize("day dien dut roi xuong duong, dang toe lua"))
    assert not danger_rule(normalize("dang chay bo buoi sang o san van dong"))


@pytest.mark.parametrize(
    "text",
    [
        "Cháy bếp nhà ông Sáu đầu xóm Chợ rồi, mọi người ra giúp với",
        "chay roi!! nha so 15 ngo 3",
        "khói đen kín cầu thang block B chung cư rồi, không xuống được",
        "nhà em nứt tường rồi, đất sau nhà đang trôi, mưa vẫn to",
        "bé 4 tuổi bị lạc ở chợ, áo trắng, ai thấy báo giúp",
        "nước lên tới sàn nhà rồi, còn dâng nữa",
    ],
)
def test_a_short_shout_ending_in_roi_is_a_danger_that_has_started(text: str) -> None:
    assert danger_rule(normalize(text))


@pytest.mark.parametrize(
    "text",
    [
        "đám cháy ở chợ đã dập tắt rồi, không ai bị thương",
        "hôm qua cháy nhà ông Tám, may không ai sao",
        "năm nào mưa xuống đoạn này cũng ngập",
        "năm ngoái cháy chợ rồi mà giờ dây điện vẫn chằng chịt",
        "cháy túi vì sale rồi 😭",
        "outfit cháy quá chị ơi 🔥",
        "lũ bạn tôi toàn đứa mê ăn",
        "sập nguồn rồi, đi ngủ đây",
        "mèo tam thể nhà ai đi lạc đang ở nhà em",
    ],
)
def test_past_resolved_recurring_and_slang_dangers_are_not_live(text: str) -> None:
    assert not danger_rule(normalize(text))


def stem(text: str) -> bool:
    normalized = normalize(text)
    tokens = normalized.split()
    return danger_signal(normalized, tokens, strip_tokens(tokens)).stem


@pytest.mark.parametrize(
    "text",
    [
        "giá vàng lại tăng rồi mọi người ơi",
        "xăng lên giá nữa rồi, lũ nhóc nhà em quậy quá",
        "cảm ơn xã đã trả lời nhanh ạ",
    ],
)
def test_chit_chat_names_no_danger_stem_even_in_the_tone_of_a_shout(text: str) -> None:
    assert not stem(text)


@pytest.mark.parametrize(
    "text",
    [
        "có người bị đâm ở quán karaoke, máu chảy nhiều",
        "Kính gửi UBND xã. Tôi trình bày: chau be 3 tuoi roi xuong ao sau nha, can xe cap cuu",
        "mẹ em bị lẫn, đi khỏi nhà từ sáng chưa thấy về",
    ],
)
def test_danger_stems_are_read_in_accented_and_quoted_unaccented_words(text: str) -> None:
    assert stem(text)


def test_a_danger_since_last_night_or_not_yet_put_out_is_not_over() -> None:
    normalized = normalize("Cụ ông bị lẫn đi khỏi nhà từ tối qua chưa về")
    tokens = normalized.split()
    assert not danger_signal(normalized, tokens, strip_tokens(tokens)).over
    assert danger_rule(normalize("bếp nhà hàng đang cháy, dùng bình cứu hỏa chưa dập được"))
