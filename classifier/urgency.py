"""Danger lexicon for urgency: a safety function, recall first.

Each text gets a `DangerSignal`: how strongly it names a danger (none, a danger word, or a
phrase that says the danger is happening now) and the time it places it in (going on now,
over, in the past, recurring). `classifier.model` combines it with the urgency model's score
into three levels: "urgent", "possible" (may be an emergency: the duty officer still hears of
it, with the doubt said) and "none".

Tense is where shouts differ from reports. "Cháy bếp nhà ông X rồi": "rồi" means the fire has
started, so it is urgent (labeling rule 5). "Đám cháy đã được dập tắt", "hôm qua cháy nhà ông
X", "năm nào cũng ngập": over, past or recurring, not urgent. Danger words after a negation or
in prevention talk ("không ai bị điện giật", "diễn tập phòng cháy", "kè chống sạt lở") are not
a danger either. Slang that borrows danger words ("cháy túi", "outfit cháy quá", "lũ bạn",
"sập nguồn", "ngập deadline") is left out. Unaccented texts are matched with unaccented
patterns, minus those whose unaccented spelling is another common word ("dang chay" is also
"đang chạy").

Precision and recall were checked on the seed TRAIN split and the register training file only.
Each pattern runs only on texts that contain one of its trigger words (classifier.triggers):
most texts name no danger and cost one set intersection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from classifier.normalize import strip_diacritics
from classifier.triggers import COMMON_WORDS, TriggeredPatterns

NONE, WORD, PHRASE = 0, 1, 2

# Phrases that say a danger is happening or about to happen: urgent unless negated, over or past.
# Tokens are separated by one space (normalised text); "\S+" is any one token.
_PHRASES: Final[tuple[str, ...]] = (
    # fire and smoke
    r"đang (?:bị )?cháy",
    r"bốc cháy",
    r"cháy (?:to|lớn|dữ dội|dữ|rụi|lan|ngùn ngụt|bùng)",
    r"hỏa hoạn",
    r"(?:biển|ngọn|bén|tóe|xẹt|bốc) lửa",
    r"lửa (?:đang )?(?:bốc|lan|bén|cao|ngùn ngụt|tóe|xẹt|cháy)",
    r"chập cháy",
    r"(?:chuông )?báo cháy (?:kêu|reo)",
    r"ngạt khói",
    r"khói (?:đen |đặc |trắng )?(?:kín|tràn|tuôn|tum|um|đầy|mù mịt|ngùn ngụt|nghi ngút|cuồn cuộn)"
    r" (?:\S+ ){0,3}?(?:cầu thang|hành lang|căn hộ|tầng|chung cư|nhà|phòng|block|tòa)",
    r"(?:cầu thang|hành lang|căn hộ|tầng hầm|chung cư|tòa nhà) (?:\S+ ){0,4}?khói",
    r"mắc kẹt",
    # flood
    r"nước (?:đang |lại )?(?:lên|dâng) (?:nhanh|cao|nữa|tới|đến|vào)",
    r"nước (?:đang )?(?:tràn|dâng|vào) (?:vào )?(?:nhà|khu|xóm)",
    r"ngập (?:sâu |đến |tới |qua |ngang |quá )?(?:cổ|ngực|bụng|đầu gối|nóc|mái|giường|sàn|hông|nửa"
    r" người|thắt lưng)",
    r"lũ (?:quét|ống|về)",
    r"vỡ (?:đê|bờ|đập|kè)",
    r"tràn (?:qua )?đê",
    r"(?:nước|lũ) (?:\S+ )?cuốn",
    r"cuốn trôi",
    # landslide, subsidence, collapse
    r"(?:đang|bị|lại) sạt",
    r"sạt (?:lở )?(?:rồi|xuống|mất|vào)",
    r"đất (?:đá )?(?:đang )?(?:lăn|rơi|đổ|trượt|lở|tràn|trôi|tụt|lún) ",
    r"(?:núi|đồi|taluy|vách|sườn) (?:\S+ ){0,2}?(?:đang )?(?:lở|sạt|trượt|nứt)",
    r"nứt (?:toác|rộng|ra|núi|đất|hết|dọc)",
    r"vết nứt (?:\S+ ){0,2}?(?:rộng|lớn|dài|mới)",
    r"(?:tường|nhà|nền|móng) (?:\S+ ){0,2}?nứt",
    r"(?:đang|sắp|đổ|bị) sập",
    r"sập (?:rồi|xuống|mái|trần|nhà|tường|giàn|cầu)",
    r"(?:sắp|có thể) đổ",
    r"(?:bị )?vùi",
    r"kẹt (?:bên )?(?:trong|dưới)",
    r"(?:đổ|ngã|sập) đè",
    # power lines
    r"dây điện (?:\S+ ){0,2}?(?:đứt|rơi|chập|tóe|xẹt|cháy|sát mặt|kéo lê|rủ)",
    r"(?:đứt|rơi) dây điện",
    r"(?:điện|bị điện) giật",
    r"bị giật điện",
    r"giật điện",
    r"rò điện",
    r"chập điện",
    r"cột điện (?:\S+ ){0,2}?(?:đổ|gãy|ngã)",
    r"(?:trạm biến áp|biến thế) (?:\S+ ){0,3}?(?:nổ|cháy|bốc khói)",
    r"phát nổ",
    r"nổ (?:lớn|to|bùm|lụp bụp|tung)",
    # gas and chemicals
    r"rò (?:rỉ )?(?:khí|ga|gas|hóa chất)",
    r"xì (?:ga|gas)",
    r"mùi (?:khí )?(?:ga|gas) (?:\S+ )?(?:nồng|nặng|rất|nồng nặc)",
    r"khí độc",
    r"ngạt khí",
    # drowning
    r"đuối nước",
    r"chết đuối",
    r"rơi xuống (?:sông|ao|hồ|giếng|kênh|mương|suối|biển|vực)",
    r"(?:đang )?chìm",
    # missing people
    r"mất tích",
    r"(?:đi|bị) lạc",
    r"lạc (?:mẹ|bố|ba|con|mất|ở|khỏi)",
    r"bắt cóc",
    r"không thấy (?:bé|cháu|con|đâu)",
    # violence in progress
    r"đang (?:\S+ )?đánh nhau",
    r"đánh nhau (?:to|dữ|ác|bằng|ở|trước)",
    r"hỗn chiến",
    r"đâm chém",
    r"chém (?:nhau|người)",
    r"cầm (?:cả )?(?:dao|mã tấu|kiếm|gậy|súng|hung khí|búa)",
    r"(?:đánh|đập) (?:vợ|con|người|chết)",
    r"hành hung",
    r"đập phá",
    r"dọa (?:giết|chém|đâm)",
    r"rượt (?:đuổi|chém|đánh|người)",
    r"kêu cứu",
    r"đang (?:cạy|phá) (?:cửa|khóa)",
    r"trộm đang",
    # serious accidents
    r"tai nạn (?:nghiêm trọng|liên hoàn|giao thông nghiêm trọng)",
    r"(?:lật|tông|đâm) (?:vào |đè |trúng )?(?:người|nhà dân|xe máy)",
    r"bất tỉnh",  # unaccented "bat tinh" is also "bật tính năng": accented only
    # crowd crush: people knocked down and trampled (a festival, a market)
    r"(?:bị )?(?:dẫm|giẫm) (?:đạp|lên) (?:\S+ ){0,2}?(?:người|cụ|trẻ|cháu|em)",
    r"(?:ngã|té) (?:\S+ ){0,3}?(?:bị )?(?:dẫm|giẫm)",
    r"chảy (?:nhiều )?máu",
    r"(?:gọi|kêu) (?:xe )?cấp cứu",
    r"(?:cần|đang|đưa đi) cấp cứu",
    # online fraud draining money now
    r"đang (?:bị )?(?:trừ|rút|mất|chuyển) (?:hết )?tiền",
    r"(?:trừ|rút|mất) (?:hết )?tiền (?:liên tục|từng|mấy lần|_num_ lần)",
    r"(?:bảo|yêu cầu|bắt|giục|hướng dẫn) (?:\S+ )?(?:chuyển|nạp) (?:\S+ )?(?:tiền|khoản)",
    r"tài khoản an toàn",
    r"đang (?:nghe|giữ) máy",
    r"đang (?:ra|ở|đứng) (?:\S+ )?(?:ngân hàng|cây atm|atm|bưu điện)",
)

# Words that name a danger but not its time: urgent when the text says it is happening now
# ("rồi", "đang", "cứu"...), otherwise left to the model ("possible" at least when it agrees).
_WORDS: Final[tuple[str, ...]] = (
    r"cháy",
    r"khói",
    r"ngập",
    r"lũ",
    r"lụt",
    r"nước (?:lên|dâng)",
    r"sạt",
    r"lở",
    r"nứt",
    r"sập",
    r"dây điện",
    r"cột điện",
    r"(?:mùi |bình |khí )(?:ga|gas)",
    r"hóa chất",
    r"lạc",
    r"chưa về",
    r"đánh nhau",
    r"ẩu đả",
    r"xô xát",
    r"trộm",
    r"cướp",
    r"tai nạn",
    r"cấp cứu",
    r"lừa",
    r"giả (?:danh|mạo|công an)",
    r"chuyển tiền",
    r"(?:trừ|rút) tiền",
    r"cứu",
    r"ngộ độc",
    r"co giật",
    r"ngất",
    r"khó thở",
    r"đau ngực",
    r"chó (?:\S+ ){0,3}?(?:cắn|tấn công|đuổi)",
    r"(?:đánh|nhốt|trói) (?:\S+ ){0,2}?(?:trẻ|cháu|bé|học sinh|cụ)",
    r"nghiêng",
    r"võng xuống",
    r"sụt lún",
)

# Danger stems: the loose vocabulary of the emergencies in section 3 of the labeling rules, read
# without tense or negation. The urgency model alone ("… rồi mọi người ơi" has the tone of a
# shout) makes a text "possible" only when it names one of these, unless its score is very high
# (classifier.model).
_STEMS: Final[tuple[str, ...]] = (
    # fire, explosions
    r"cháy|lửa|khói|khét|nổ|hỏa hoạn|bỏng",
    # water, weather, landslides, collapse
    r"ngập|lũ|lụt|dâng|cuốn|trôi|đuối|chìm|vỡ|tràn|đê|bão|lốc|giông|sét|mưa to",
    r"sạt|lở|sụt|lún|nứt|sập|đổ|nghiêng|gãy|quật|rơi|lăn|trượt|vùi|kẹt|đè|toác|võng|hố",
    # power lines, gas, chemicals
    r"dây điện|cột điện|biến áp|giật|chập|tóe|xẹt|rò|đứt|ga|gas|hóa chất|khí độc|ngạt",
    # accidents, health
    r"tai nạn|va chạm|tông|đâm|lật|máu|bị thương|ngất|bất tỉnh|co giật|khó thở|cấp cứu|cứu thương"
    r"|ngộ độc|hôn mê|sốt|đau|liệt|lẫn|chuyển dạ|thuốc sâu|tự tử|cắn|rắn",
    # violence, crime in progress
    r"đánh|chém|dao|súng|dọa|đe dọa|hành hung|hung khí|cướp|trộm|đập|phá|bắt cóc|dụ|nhốt|trói"
    r"|xô xát|ẩu đả|say rượu|nghiện|ma túy|hàng trắng|quay lén|bẻ khóa|khóc|thét|kêu",
    # missing people
    r"mất tích|lạc|chưa về|không về|tìm|bỏ nhà|đi khỏi|mất con",
    # fraud, leaks
    r"lừa|chuyển|hack|trừ tiền|rút tiền|otp|giả|mạo danh|tự xưng|cài|quét mã|lộ|cccd",
    # calls for help
    r"cứu|gấp|khẩn|nguy hiểm|sơ tán",
)

# Words whose danger starts at a moment ("cháy rồi", "đang ngập"): with a marker of the present
# they are urgent on their own. The others (fraud, theft, accidents, "cứu") are left to the model.
_ONSET_WORDS: Final = frozenset(
    {
        r"cháy",
        r"khói",
        r"ngập",
        r"lũ",
        r"lụt",
        r"nước (?:lên|dâng)",
        r"sạt",
        r"lở",
        r"nứt",
        r"sập",
        r"(?:mùi |bình |khí )(?:ga|gas)",
        r"hóa chất",
        r"đánh nhau",
        r"ngộ độc",
        r"co giật",
        r"ngất",
        r"khó thở",
        r"đau ngực",
        r"chó (?:\S+ ){0,3}?(?:cắn|tấn công|đuổi)",
        r"(?:đánh|nhốt|trói) (?:\S+ ){0,2}?(?:trẻ|cháu|bé|học sinh|cụ)",
        r"nghiêng",
        r"võng xuống",
        r"sụt lún",
    }
)

# Slang and figurative uses that are removed before matching.
_SLANG: Final[tuple[str, ...]] = (
    r"cháy (?:túi|ví|hàng|vé|phố|máy|hết mình|quá|thật|đỉnh|phết|sạch|nắng|da)",
    r"(?:outfit|váy|áo|nhảy|hát|diễn|trận|màn|đêm nhạc) (?:\S+ ){0,3}?cháy",
    r"(?:nóng|mặn) (?:như )?(?:lửa đốt|cháy)",
    r"lũ (?:bạn|nhóc|trẻ|nó|tụi|con|chúng|em|người|lượt|quỷ|học trò|mèo|chó|gà)",
    r"ngập (?:việc|deadline|trong|rác|tràn)",
    r"(?:rác|nợ|việc) ngập",
    r"sập (?:nguồn|web|mạng|app|hệ thống|bẫy|giá)",
    r"(?:dvc|mạng|web|app|hệ thống|cổng) (?:\S+ )?sập",
    r"(?:chết|cười) (?:\S+ )?(?:cười|xỉu)",
    r"cứu (?:tui|tôi|em|với) (?:\S+ ){0,2}?(?:bài|deadline|thi|sếp|người yêu|crush)",
    r"(?:bài tập|deadline|thi) (?:\S+ ){0,4}?cứu",
    r"mất tích (?:cả|lâu|mấy|bao)",
    r"(?:tưởng|bạn) (?:\S+ ){0,2}?mất tích",
    r"(?:nó|tui|anh|em) lừa (?:tui|tôi|anh|em|mẹ|bố) (?:ăn|đi|mua)",
    r"hack nick",
    r"bốc lửa quá",
    r"sáp nhập",
    r"sắp xếp",
    r"(?:chữa|phòng) cháy",
    r"cứu (?:hỏa|hộ|trợ|nạn)",
    r"(?:mèo|chó|gà|bò|trâu|vịt|chim) (?:\S+ ){0,5}?(?:đi |bị )?lạc",
    r"(?:\S+ )?lừa đảo (?:à|hả|ghê)",
    r"(?:chiến tranh|động đất|bão|lũ lụt|cháy rừng) (?:\S+ ){0,3}?(?:bên|ở)"
    r" (?:kia|mỹ|nhật|châu|trung"
    r" quốc|philippines|bán đảo)",
    r"(?:bên|ở) (?:kia|mỹ|nhật|châu|trung quốc|philippines) (?:\S+ ){0,4}?(?:bão|lũ|cháy|động đất)",
)

# A danger named after one of these (within a few words) is not a present danger.
_NEGATION_WORDS: Final = (
    "không chưa chẳng chả hết phòng chống tránh diễn tập huấn tuyên truyền nếu lỡ kè camera"
)
NEGATIONS: Final = frozenset(_NEGATION_WORDS.split() + strip_diacritics(_NEGATION_WORDS).split())
NEGATION_WINDOW: Final = 4
_CLAUSE_ENDS: Final = frozenset(",.;:!?")

# Time markers, matched anywhere in the text.
_RESOLVED = (
    r"(?:đã|được) (?:\S+ )?(?:dập tắt|dập lửa|khống chế|khắc phục|xử lý xong|sửa xong|giải cứu"
    r"|cứu ra|tìm thấy|đưa ra ngoài)|dập tắt|tìm thấy (?:rồi|bé|cháu|con)|(?:đã|lũ|nước) rút"
    r"|đã về (?:nhà|rồi)|(?:đã )?thông (?:rồi|xe)|an toàn rồi|cháy xong|còn tro"
    r"|dập (?:tắt|lửa|được)|rút (?:đi|rồi|hết)"
)
_PAST = (
    r"(?:hôm|đêm|tối|chiều|sáng|trưa) (?:qua|trước|kia)|(?:tuần|tháng|năm|lần|mùa) (?:trước|ngoái)"
    r"|hồi trước|trước đây|mấy năm|năm _num_|từng|vừa (?:rồi|qua)|sau (?:bão|lũ|trận|đợt)"
)
_RECURRING = (
    r"năm nào|hay (?:xảy ra|bị|có|ngập|cháy|sạt)|thường xuyên"
    r"|mỗi (?:khi|lần|năm|mùa|tối|đêm|bận|tuần|ngày|tháng)|lần thứ"
    r"|(?:đêm|tối|ngày|tuần|lúc) nào cũng"
    r"|hằng (?:đêm|năm|ngày)|cứ mưa|mưa là|mấy lần|nhiều lần"
)
_NOW = (
    r"đang|vừa|bây giờ|lúc này|hiện giờ|gấp|khẩn|khẩn cấp|cứu (?:với|tôi|em|mẹ|bố|giúp|con)"
    r"|nhanh lên|sơ tán|vẫn đang|còn đang|tiếp tục|(?:đến|ra|xuống|tới|vào|cho người) ngay"
    r"|ngay (?:lập tức|bây giờ|trong đêm)"
)
# "rồi" says an event has started only in the clause that names it: "cháy bếp nhà ông X rồi".
_STARTED = r"rồi"
# Questions and prevention talk about a danger in general.
_GENERAL = r"^(?:cho|xin) (?:\S+ )?(?:hỏi|hoi)(?!\S)|diễn tập|tập huấn|phòng cháy|phòng chống"


def _plain(pattern: str) -> str:
    return strip_diacritics(pattern)


# Unaccented spellings that mostly mean something else: dropped from the unaccented patterns.
_PLAIN_AMBIGUOUS: Final = frozenset(
    {
        r"cháy",
        r"đang (?:bị )?cháy",
        r"khói",
        r"lũ",
        r"lụt",
        r"sạt",
        r"lở",
        r"sập",
        r"lạc",
        r"cứu",
        r"trộm",
        r"(?:đang )?chìm",
        r"lừa",
        r"chưa về",
        r"(?:bị )?vùi",
        r"nứt",
        r"ngất",
        r"nghiêng",
        r"bất tỉnh",
        r"chó (?:\S+ ){0,3}?(?:cắn|tấn công|đuổi)",
        r"(?:đánh|nhốt|trói) (?:\S+ ){0,2}?(?:trẻ|cháu|bé|học sinh|cụ)",
    }
)
_PLAIN_EXTRA_ONSET: Final = (
    r"chay (?:nha|bep|kho|xuong|cho|rung|lon|to|roi|o)",
    r"khoi (?:den|mu|um|tum|bot|boc|tran|day|dac|nghi|kin)",
    r"lu (?:ve|quet|ong|len|dang|to)",
    r"nuoc lu",
    r"sat lo",
    r"(?:bi|dang) sat",
    r"(?:nha|mai|tran|cau|tuong) (?:bi )?sap",
    r"sap (?:nha|mai|tran|cau|tuong)",
    r"nut (?:tuong|nha|dat|nui|toac|rong)",
)
_PLAIN_EXTRA_WORDS: Final = (
    r"(?:bi|di) lac|lac (?:me|bo|o|mat|con)",
    r"cuu (?:voi|em|toi|me|bo|giup|minh)",
    r"bi lua|lua dao",
)


def _compile(patterns: tuple[str, ...] | list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<!\S)(?:" + "|".join(patterns) + r")(?!\S)")


def _compile_any(pattern: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\S)(?:" + pattern + r")(?!\S)")


def _accented_and_plain(
    patterns: tuple[str, ...] | list[str], plain_extra: tuple[str, ...] = ()
) -> tuple[TriggeredPatterns, TriggeredPatterns]:
    plain = [_plain(p) for p in patterns if p not in _PLAIN_AMBIGUOUS] + list(plain_extra)
    return TriggeredPatterns(patterns, _compile), TriggeredPatterns(plain, _compile)


# Stems split into single alternatives; unaccented, those that spell a common word are left out.
_STEM_WORDS: Final = tuple(stem for group in _STEMS for stem in group.split("|"))
_STEM_RE: Final = (
    TriggeredPatterns(_STEM_WORDS, _compile),
    TriggeredPatterns(
        [p for p in map(_plain, _STEM_WORDS) if p not in frozenset(COMMON_WORDS)], _compile
    ),
)
_ONSET = [w for w in _WORDS if w in _ONSET_WORDS]
_OTHER = [w for w in _WORDS if w not in _ONSET_WORDS]
# Index 0: texts typed with diacritics; index 1: texts typed without.
_PHRASE_RE: Final = _accented_and_plain(_PHRASES)
_ONSET_RE: Final = _accented_and_plain(_ONSET, _PLAIN_EXTRA_ONSET)
_WORD_RE: Final = _accented_and_plain(_OTHER, _PLAIN_EXTRA_WORDS)
_SLANG_RE: Final = (
    TriggeredPatterns(_SLANG, _compile),
    TriggeredPatterns([_plain(p) for p in _SLANG], _compile),
)
_RESOLVED_RE: Final = (_compile_any(_RESOLVED), _compile_any(_plain(_RESOLVED)))
# "Từ tối qua" ("since last night") starts something still going on: not the past.
_PAST_RE: Final = (
    _compile_any(r"(?<!từ )(?:" + _PAST + ")"),
    _compile_any(r"(?<!tu )(?:" + _plain(_PAST) + ")"),
)
_RECURRING_RE: Final = (_compile_any(_RECURRING), _compile_any(_plain(_RECURRING)))
_NOW_RE: Final = (_compile_any(_NOW), _compile_any(_plain(_NOW)))
_STARTED_RE: Final = (_compile_any(_STARTED), _compile_any(_plain(_STARTED)))
_GENERAL_RE: Final = (re.compile(_GENERAL), re.compile(_plain(_GENERAL)))
_CLAUSE = re.compile(r"[,.;:!?]")
# Trigger words of the lexicon's patterns; with the stems, of every pattern that can make a text
# name a danger; with the slang, of every pattern at all.
_LEXICON_TRIGGERS: Final = tuple(
    _PHRASE_RE[i].words | _ONSET_RE[i].words | _WORD_RE[i].words for i in (0, 1)
)
_DANGER_TRIGGERS: Final = tuple(_LEXICON_TRIGGERS[i] | _STEM_RE[i].words for i in (0, 1))
_ALL_TRIGGERS: Final = tuple(_DANGER_TRIGGERS[i] | _SLANG_RE[i].words for i in (0, 1))


@dataclass(frozen=True, slots=True)
class DangerSignal:
    """What the lexicon sees in one text."""

    level: int  # NONE, WORD (a danger named) or PHRASE (named as happening now)
    live: bool = False  # happening now and not said to be over: urgent whatever the model says
    over: bool = False  # resolved, past, recurring, or general talk about the danger
    stem: bool = False  # a danger stem is named (_STEMS), or a danger word or phrase


QUIET: Final = DangerSignal(NONE)
NAMED: Final = DangerSignal(NONE, stem=True)  # a danger stem only


def danger_signal(normalized: str, tokens: list[str], stripped: list[str]) -> DangerSignal:
    """The lexicon's reading of a normalised text (tokens: its words, stripped: unaccented)."""
    index = int(_is_plain(tokens, stripped))
    words = stripped if index else tokens
    # One pass over the words finds the trigger words of every family; each family then looks
    # at those few only.
    triggered = _ALL_TRIGGERS[index].intersection(words)
    # In an accented text, a word that is an unaccented stem was typed without diacritics.
    bare_stems = not index and not _STEM_RE[1].words.isdisjoint(tokens)
    if not bare_stems and triggered.isdisjoint(_DANGER_TRIGGERS[index]):
        return QUIET  # no pattern can match: most texts end here
    stems = _STEM_RE[index].select(triggered)
    # "dang ky" is "đăng ký", never "đang": joined so that it cannot read as the present.
    text = " ".join(stripped).replace("dang ky", "dangky") if index else normalized
    slang = _SLANG_RE[index].select(triggered)
    if slang is not None and slang.search(text):
        text = slang.sub(" ; ", text)
    phrase = onset = other = None
    if not triggered.isdisjoint(_LEXICON_TRIGGERS[index]):
        phrase = _first_live(_PHRASE_RE[index].select(triggered), text)
        onset = None if phrase else _first_live(_ONSET_RE[index].select(triggered), text)
        other = None if phrase or onset else _first_live(_WORD_RE[index].select(triggered), text)
    if phrase is None and onset is None and other is None:
        if stems is not None and stems.search(text):
            return NAMED
        return NAMED if bare_stems and _bare_stem(tokens, stripped) else QUIET
    # "chưa dập được" is not put out: a negated resolution does not count.
    resolved = _first_live(_RESOLVED_RE[index], text) is not None
    past = _PAST_RE[index].search(text) is not None or _RECURRING_RE[index].search(text) is not None
    general = _GENERAL_RE[index].search(text) is not None
    # Words of the present inside a past phrase do not count ("vừa rồi", "bao giờ").
    present = _PAST_RE[index].sub(" ", text).replace("bao giờ", " ").replace("bao gio", " ")
    now = _NOW_RE[index].search(present) is not None
    match = phrase or onset
    if match is not None and not now:
        # "Cháy bếp nhà ông Sáu đầu xóm Chợ rồi": "rồi" in the clause of the danger word, when
        # that clause does not place it in the past ("năm ngoái cháy chợ rồi").
        clause = _clause(text, match)
        now = _STARTED_RE[index].search(clause) is not None and not _PAST_RE[index].search(clause)
    # "Hôm qua sạt lở, giờ vẫn đang nứt thêm" is happening now; "đã dập tắt rồi" is not.
    over = resolved or general or (past and not now)
    if phrase is not None:
        return DangerSignal(PHRASE, live=not over, over=over, stem=True)
    return DangerSignal(WORD, live=onset is not None and now and not over, over=over, stem=True)


def _bare_stem(tokens: list[str], stripped: list[str]) -> bool:
    """A danger stem among the words of an accented text typed without diacritics (slang
    removed): letters and hotline notes often quote a citizen who typed so."""
    bare = [token for token, plain in zip(tokens, stripped, strict=True) if token == plain]
    stems = _STEM_RE[1].select(bare)
    if stems is None:
        return False
    text = " ".join(bare)
    slang = _SLANG_RE[1].select(bare)
    if slang is not None:
        text = slang.sub(" ; ", text)
    return stems.search(text) is not None


def _is_plain(tokens: list[str], stripped: list[str]) -> bool:
    """True when the text was typed without diacritics (fewer than 1 word in 8 has one)."""
    if tokens == stripped:
        return len(tokens) > 0
    marked: int = sum(map(str.__ne__, tokens, stripped))  # C-level: runs on every text
    return marked * 8 < len(tokens)


def _first_live(pattern: re.Pattern[str] | None, text: str) -> re.Match[str] | None:
    if pattern is None:
        return None
    for match in pattern.finditer(text):
        if not _negated(text, match.start()):
            return match
    return None


def _clause(text: str, match: re.Match[str]) -> str:
    starts = [m.end() for m in _CLAUSE.finditer(text, 0, match.start())]
    end = _CLAUSE.search(text, match.end())
    return text[starts[-1] if starts else 0 : end.start() if end else len(text)]


def _negated(text: str, start: int) -> bool:
    before = text[:start].split()[-NEGATION_WINDOW:]
    # A negation does not reach across a clause: "không ai trực , có người bị điện giật".
    for i in range(len(before) - 1, -1, -1):
        if before[i] in _CLAUSE_ENDS:
            before = before[i + 1 :]
            break
    return not NEGATIONS.isdisjoint(before)


def danger_rule(normalized: str) -> bool:
    """True when a normalised text names a danger as happening now (urgent by the lexicon)."""
    tokens = normalized.split()
    return danger_signal(normalized, tokens, [strip_diacritics(t) for t in tokens]).live
