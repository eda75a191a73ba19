# ruff: noqa: E501 - one template per line reads better than wrapped strings
"""Phrasing for simulated citizen reports: templates per category, urgency and language.

Pure data. Slots: {street} {street2} {addr} {ward} {landmark} {time} {late} {tree} {alley}
{days} {depth} {depth_small} {people} {age} {metres}. Urgency follows the situation described
(people at risk, fire, injuries, a road blocked, live wires), not words like "gấp": citizens ask
for "urgent" handling of everyday problems too, and a triage model must learn the difference.
"""

from __future__ import annotations

# category -> urgency -> language -> templates
TEMPLATES: dict[str, dict[str, dict[str, list[str]]]] = {
    "flooding": {
        "normal": {
            "vi": [
                "{street} đoạn gần {landmark} ngập khoảng {depth} cm sau cơn mưa {time}, xe máy đi lại rất khó khăn.",
                "Mỗi lần mưa lớn là khu vực {addr}, {ward} lại bị ngập nước, nước rút rất chậm.",
                "Nước mưa tràn vào hẻm {alley} {street}, ngập tầm {depth} cm, đề nghị kiểm tra hệ thống thoát nước.",
                "Ngập nước tại {street} ({ward}) {time}, nhiều xe chết máy giữa đường.",
                "Khu phố tôi ở {ward} cứ mưa là ngập, nước đọng cả buổi mới rút hết.",
            ],
            "en": [
                "{street} near {landmark} is flooded about {depth} cm deep after the rain {time}; motorbikes can barely get through.",
                "Every heavy rain the area around {addr} in {ward} floods and the water takes hours to drain.",
                "Rainwater is backing up into alley {alley} off {street}, around {depth} cm. Please check the drainage.",
                "Flooding on {street} ({ward}) {time}, several motorbikes stalled in the water.",
            ],
        },
        "urgent": {
            "vi": [
                "Nước ngập sâu hơn {depth} cm tràn vào nhà dân ở {addr}, có người già và trẻ nhỏ bị kẹt trong nhà, cần cứu hộ!",
                "Suối dâng cao, nước chảy xiết qua {street} khu vực {ward}, một người đi xe máy bị nước cuốn trôi.",
                "Khu dân cư gần {landmark} ở {ward} bị ngập sâu, nhiều hộ bị cô lập, có bà cụ {age} tuổi không ra khỏi nhà được.",
                "Ngập nặng tại {street}, nước lên nhanh ngang ngực, mấy gia đình phải trèo lên mái nhà kêu cứu.",
            ],
            "en": [
                "Flood water over {depth} cm is pouring into houses at {addr}; elderly people and children are trapped inside.",
                "The stream has burst onto {street} in {ward} with a strong current, a man on a motorbike was swept away.",
                "Families near {landmark} in {ward} are cut off by deep flooding, an {age}-year-old woman cannot get out of her house.",
                "Severe flooding on {street}, the water is chest deep and rising, people are on their roofs calling for help.",
            ],
        },
    },
    "fallen_tree": {
        "normal": {
            "vi": [
                "Cây {tree} trước {addr} bị gãy một cành lớn nằm trên vỉa hè, đề nghị dọn giúp.",
                "Sau trận gió {time} có cây nghiêng ở {street}, chưa chắn đường nhưng rất nguy hiểm nếu mưa tiếp.",
                "Cành cây khô trên {street} gần {landmark} có nguy cơ rơi xuống, đề nghị cắt tỉa.",
                "Cây xanh trong công viên ở {ward} bị bật gốc, cần thu dọn.",
            ],
            "en": [
                "A large branch broke off the {tree} tree in front of {addr} and is lying on the sidewalk. Please clear it.",
                "After the wind {time} a tree on {street} is leaning badly; it is not blocking the road yet.",
                "Dry branches over {street} near {landmark} look ready to fall; they need pruning.",
                "A tree was uprooted in the park in {ward}; it needs to be removed.",
            ],
        },
        "urgent": {
            "vi": [
                "Cây {tree} lớn đổ chắn ngang {street}, xe cộ không qua được, có một xe máy bị đè.",
                "Cây đổ đè lên đường dây điện trước {addr}, dây điện võng sát mặt đất!",
                "Một cây cổ thụ vừa ngã ra giữa {street} đoạn {landmark}, chắn hết hai làn xe.",
                "Gió lớn làm cây gãy đổ vào nhà dân ở {ward}, có người bị thương.",
            ],
            "en": [
                "A big {tree} tree fell across {street} and is blocking all traffic; a motorbike is trapped under it.",
                "A fallen tree is lying on the power lines in front of {addr}, the wires are hanging almost to the ground!",
                "An old tree just came down in the middle of {street} near {landmark}, both lanes are blocked.",
                "The storm knocked a tree onto a house in {ward}, someone is injured.",
            ],
        },
    },
    "traffic_accident": {
        "normal": {
            "vi": [
                "Hai xe máy va quẹt nhẹ ở ngã tư {street} {time}, không ai bị thương nhưng đang cãi nhau gây ùn tắc.",
                "Xe tải và ô tô con va chạm nhẹ trên {street} gần {landmark}, cần CSGT đến phân luồng.",
                "Đoạn {street} qua {ward} thường xuyên xảy ra va chạm, đề nghị lắp thêm biển báo và gờ giảm tốc.",
                "Xe ô tô tông vào dải phân cách trên {street}, tài xế không sao nhưng xe nằm chắn một phần làn đường.",
            ],
            "en": [
                "Two motorbikes scraped each other at the {street} junction {time}; nobody is hurt but the argument is blocking traffic.",
                "A truck and a car had a minor collision on {street} near {landmark}; traffic police are needed to direct traffic.",
                "There are collisions all the time on {street} through {ward}, please add signs and speed bumps.",
                "A car hit the median on {street}; the driver is fine but the car blocks part of the lane.",
            ],
        },
        "urgent": {
            "vi": [
                "Tai nạn giữa xe container và xe máy trên {street} đoạn {ward}, một người bị thương nặng nằm trên đường, cần xe cấp cứu!",
                "Vừa xảy ra tai nạn ở ngã tư {street} – {street2}, {people} người bị thương, máu chảy nhiều.",
                "Xe khách mất lái lao vào lề {street} gần {landmark}, nhiều người kẹt trong xe.",
                "Một cháu học sinh bị xe tông trước {landmark}, đang bất tỉnh.",
            ],
            "en": [
                "A container truck hit a motorbike on {street} in {ward}, one person is badly injured lying on the road, we need an ambulance!",
                "An accident just happened at the junction of {street} and {street2}, {people} people injured and bleeding.",
                "A coach lost control and crashed off {street} near {landmark}, several people are trapped inside.",
                "A schoolchild was hit by a car in front of {landmark} and is unconscious.",
            ],
        },
    },
    "fire": {
        "urgent": {
            "vi": [
                "Cháy lớn tại {addr}, khói đen bốc cao, lửa đang lan sang nhà bên cạnh!",
                "Phát hiện cháy ở kho hàng gần {landmark}, {ward}, cần xe chữa cháy ngay.",
                "Có mùi khét và khói bốc ra từ tầng hai căn nhà {addr}, trong nhà còn người.",
                "Cháy vườn cao su ở {ward}, lửa lan nhanh về phía khu dân cư.",
                "Nổ bình gas ở quán ăn trên {street}, lửa đang bùng lên.",
            ],
            "en": [
                "Big fire at {addr}, thick black smoke and the flames are spreading to the next house!",
                "A warehouse near {landmark} in {ward} is on fire, send fire trucks now.",
                "Smoke is coming out of the second floor of {addr}, people are still inside.",
                "The rubber plantation in {ward} is burning and the fire is moving toward the houses.",
                "A gas cylinder exploded in a restaurant on {street}, it is on fire.",
            ],
        },
    },
    "street_light": {
        "normal": {
            "vi": [
                "Đèn đường trước {addr} bị hỏng {days} ngày nay, buổi tối rất tối.",
                "Cả dãy đèn chiếu sáng ở {street} ({ward}) không sáng từ {time}, người đi đường dễ gặp nguy hiểm.",
                "Bóng đèn đường gần {landmark} chập chờn, lúc sáng lúc tắt.",
                "Hẻm {alley} {street} không có đèn, đề nghị lắp thêm đèn chiếu sáng.",
                "Đèn đường ở {ward} sáng cả ban ngày mà tối lại tắt, đề nghị kiểm tra.",
            ],
            "en": [
                "The street light in front of {addr} has been out for {days} days; it is very dark at night.",
                "A whole row of street lights on {street} ({ward}) has been off since {time}.",
                "The street lamp near {landmark} keeps flickering on and off.",
                "Alley {alley} off {street} has no lighting at all, please install some lamps.",
            ],
        },
    },
    "garbage": {
        "normal": {
            "vi": [
                "Rác thải ứ đọng ở góc {street} gần {landmark} {days} ngày chưa được thu gom, bốc mùi hôi thối.",
                "Có người đổ trộm xà bần và rác sinh hoạt trên bãi đất trống ở {ward}.",
                "Xe rác không đến thu gom ở {addr} đã {days} ngày, ruồi nhặng rất nhiều.",
                "Điểm tập kết rác trên {street} tràn ra lòng đường, đề nghị xử lý gấp.",
                "Rác vứt bừa bãi dọc bờ suối ở {ward}, nước suối đen ngòm.",
            ],
            "en": [
                "Garbage has piled up at the corner of {street} near {landmark} for {days} days and it stinks.",
                "Someone is dumping construction waste and household trash on the empty lot in {ward}.",
                "The garbage truck has not come to {addr} for {days} days, there are flies everywhere.",
                "The trash collection point on {street} is spilling into the road.",
            ],
        },
    },
    "pothole": {
        "normal": {
            "vi": [
                "Mặt đường {street} đoạn qua {ward} có nhiều ổ gà lớn, trời mưa đọng nước rất khó thấy.",
                "Ổ gà sâu khoảng {depth_small} cm trước {addr}, xe máy đi qua dễ té ngã.",
                "{street} gần {landmark} bị bong tróc, lún nứt, đề nghị sửa chữa.",
                "Nắp hố ga trên {street} bị lệch, xe chạy qua kêu rất lớn.",
            ],
            "en": [
                "There are many big potholes on {street} through {ward}; when it rains you cannot see them.",
                "A pothole about {depth_small} cm deep in front of {addr}, motorbikes keep slipping.",
                "The surface of {street} near {landmark} is cracked and sinking, please repair it.",
                "A manhole cover on {street} is loose and bangs every time a car drives over it.",
            ],
        },
        "urgent": {
            "vi": [
                "Mặt đường trước {addr} bị sụt lún thành hố sâu hơn 1 mét giữa làn xe, vừa có người té xuống.",
                "Hố tử thần xuất hiện trên {street} gần {landmark}, rộng khoảng {metres} mét, xe cộ vẫn chạy qua.",
            ],
            "en": [
                "The road collapsed into a hole over a metre deep in the middle of the road in front of {addr}; someone just fell in.",
                "A sinkhole about {metres} metres wide opened on {street} near {landmark} and traffic is still driving around it.",
            ],
        },
    },
    "noise": {
        "normal": {
            "vi": [
                "Quán karaoke ở {addr} hát lớn đến {late}, ảnh hưởng người dân xung quanh.",
                "Nhà hàng xóm mở loa kẹo kéo hát từ sáng đến tối, rất ồn ào, đề nghị nhắc nhở.",
                "Công trình trên {street} thi công ban đêm, máy móc gây tiếng ồn lớn đến {late}.",
                "Xe độ pô rú ga trên {street} mỗi tối, tiếng ồn rất lớn.",
            ],
            "en": [
                "The karaoke bar at {addr} is singing loudly until {late}, nobody nearby can sleep.",
                "The neighbours play a portable karaoke speaker from morning to night, please ask them to stop.",
                "The construction site on {street} keeps working with very loud machines until {late}.",
                "Motorbikes with modified exhausts race up and down {street} every evening, extremely noisy.",
            ],
        },
    },
    "illegal_construction": {
        "normal": {
            "vi": [
                "Nhà {addr} đang xây thêm tầng không có giấy phép, lấn ra ngoài chỉ giới.",
                "Có người san lấp và xây nhà trên đất nông nghiệp ở {ward}, đề nghị kiểm tra.",
                "Công trình gần {landmark} xây dựng sai phép, che hết lối đi chung.",
            ],
            "en": [
                "The house at {addr} is adding a floor without a permit and builds past the setback line.",
                "Someone is filling in farmland and building a house on it in {ward}, please inspect.",
                "The building site near {landmark} does not follow its permit and blocks the shared path.",
            ],
        },
        "urgent": {
            "vi": [
                "Giàn giáo công trình ở {addr} bị nghiêng, có nguy cơ đổ xuống lòng đường đông người qua lại!",
                "Tường rào công trình gần {landmark} vừa sập một phần ra vỉa hè, có người bị đè.",
            ],
            "en": [
                "The scaffolding at the building site at {addr} is tilting and may fall onto the busy street below!",
                "Part of the site wall near {landmark} just collapsed onto the sidewalk, someone is trapped under it.",
            ],
        },
    },
    "water_supply": {
        "normal": {
            "vi": [
                "Khu phố ở {ward} bị cúp nước từ {time} mà không có thông báo trước.",
                "Nước máy ở {addr} có màu vàng đục và mùi lạ, không dám dùng.",
                "Ống nước bị vỡ trên {street} gần {landmark}, nước chảy lênh láng ra đường.",
                "Nước yếu quá, {days} ngày nay nhà tôi ở {ward} chỉ có nước vào ban đêm.",
            ],
            "en": [
                "Our street in {ward} has had no tap water since {time} and there was no notice.",
                "The tap water at {addr} is yellow and cloudy and smells strange.",
                "A water pipe burst on {street} near {landmark}, water is running all over the road.",
                "Very low water pressure for {days} days at my house in {ward}, water only comes at night.",
            ],
        },
    },
    "power_outage": {
        "normal": {
            "vi": [
                "Khu vực {street}, {ward} mất điện từ {time} đến giờ chưa có lại.",
                "Điện chập chờn liên tục ở {addr}, làm hư đồ điện trong nhà.",
                "Tuần này {ward} mất điện {people} lần mà không có lịch cắt điện.",
            ],
            "en": [
                "The area around {street}, {ward} has had no power since {time}.",
                "The power at {addr} keeps flickering and has damaged our appliances.",
                "{ward} lost power {people} times this week without any announced outage.",
            ],
        },
        "urgent": {
            "vi": [
                "Dây điện bị đứt rơi xuống {street} trước {landmark}, đang tóe lửa!",
                "Trụ điện ở {addr} bị nghiêng sắp đổ, dây điện trung thế võng xuống thấp.",
                "Tủ điện trên {street} phát nổ và bốc khói, có dây điện hở nằm dưới vũng nước.",
            ],
            "en": [
                "A power line snapped and fell onto {street} in front of {landmark}, it is sparking!",
                "The electricity pole at {addr} is leaning and about to fall, the medium-voltage wires hang low.",
                "An electrical cabinet on {street} exploded and is smoking, a bare live wire is lying in a puddle.",
            ],
        },
    },
    "blocked_drain": {
        "normal": {
            "vi": [
                "Cống thoát nước trước {addr} bị nghẹt rác, mưa nhỏ cũng ngập.",
                "Miệng cống gần {landmark} bị bể nắp, bốc mùi hôi.",
                "Mương thoát nước ở {ward} bị bồi lấp, nước đen ứ đọng, muỗi nhiều.",
                "Hố ga hẻm {alley} {street} nghẹt {days} ngày nay, nước thải tràn lên mặt đường.",
            ],
            "en": [
                "The drain in front of {addr} is clogged with rubbish, even light rain floods it.",
                "The drain cover near {landmark} is broken and it smells bad.",
                "The drainage ditch in {ward} is silted up, black water is standing and full of mosquitoes.",
                "The drain in alley {alley} off {street} has been blocked for {days} days and sewage overflows.",
            ],
        },
    },
    "stray_animals": {
        "normal": {
            "vi": [
                "Chó thả rông không rọ mõm chạy ngoài {street}, trẻ em đi học rất sợ.",
                "Đàn bò thả rông đi lang thang trên {street} gây cản trở giao thông.",
                "Nhiều chó mèo hoang bới rác ở {landmark} ({ward}).",
            ],
            "en": [
                "Dogs without muzzles are running loose on {street}, the children are scared on the way to school.",
                "A herd of cows is wandering on {street} and blocking traffic.",
                "Lots of stray cats and dogs are tearing open rubbish bags at {landmark} ({ward}).",
            ],
        },
        "urgent": {
            "vi": [
                "Có con chó nghi bị dại vừa cắn {people} người ở {addr}, vẫn đang chạy ngoài đường!",
            ],
            "en": [
                "A dog that looks rabid just bit {people} people at {addr} and is still running around!",
            ],
        },
    },
    "sidewalk_encroachment": {
        "normal": {
            "vi": [
                "Các quán ăn trên {street} bày bàn ghế chiếm hết vỉa hè, người đi bộ phải đi xuống lòng đường.",
                "Hàng rong họp chợ tự phát trước {landmark} lấn chiếm lòng đường, gây kẹt xe giờ cao điểm.",
                "Cửa hàng ở {addr} để xe và hàng hóa tràn ra vỉa hè.",
                "Quán cà phê trên {street} dựng mái che lấn ra vỉa hè, đề nghị xử lý gấp.",
            ],
            "en": [
                "The restaurants on {street} put tables all over the sidewalk, pedestrians have to walk in the road.",
                "Street vendors hold an informal market in front of {landmark} and take over the road at rush hour.",
                "The shop at {addr} parks motorbikes and goods all over the sidewalk.",
                "A cafe on {street} built an awning out over the sidewalk.",
            ],
        },
    },
    "air_pollution": {
        "normal": {
            "vi": [
                "Có người đốt rác gần {landmark}, khói bay mù mịt vào nhà dân.",
                "Xe chở cát đá trên {street} không che chắn, bụi bay mù mịt cả ngày.",
                "Xưởng gỗ ở {ward} thải khói bụi và mùi sơn nồng nặc, khó thở.",
                "Lò than gần {addr} bốc khói đen vào buổi tối.",
            ],
            "en": [
                "Someone is burning rubbish near {landmark}, smoke is blowing into the houses.",
                "Trucks carrying sand on {street} are not covered, there is dust everywhere all day.",
                "A woodworking shop in {ward} gives off dust and strong paint fumes, it is hard to breathe.",
                "A charcoal kiln near {addr} puts out black smoke every evening.",
            ],
        },
    },
}

# How often each category is reported (relative) and the share of its reports that are urgent.
CATEGORY_WEIGHTS: dict[str, float] = {
    "flooding": 10, "fallen_tree": 7, "traffic_accident": 7, "fire": 3, "street_light": 9,
    "garbage": 12, "pothole": 9, "noise": 7, "illegal_construction": 5, "water_supply": 6,
    "power_outage": 7, "blocked_drain": 6, "stray_animals": 4, "sidewalk_encroachment": 7,
    "air_pollution": 5,
}
URGENT_SHARE: dict[str, float] = {
    "flooding": 0.35, "fallen_tree": 0.4, "traffic_accident": 0.5, "fire": 1.0,
    "pothole": 0.1, "illegal_construction": 0.08, "power_outage": 0.3, "stray_animals": 0.15,
}

OPENERS = {
    "vi": ["", "", "", "Kính gửi cơ quan chức năng, ", "Xin phản ánh: ", "Tôi muốn phản ánh: ",
           "Alo, ", "Cho tôi báo: "],
    "en": ["", "", "", "Hello, ", "Please help: ", "Reporting: ", "Hi, "],
}
CLOSERS = {
    ("vi", "normal"): ["", "", " Đề nghị xem xét giải quyết.", " Mong các anh chị xử lý sớm.",
                       " Xin cảm ơn!", " Đã phản ánh nhiều lần mà chưa thấy ai xử lý.",
                       " Đề nghị xử lý gấp."],
    ("vi", "urgent"): ["", " Cần hỗ trợ gấp!", " Xin giúp đỡ ngay!",
                       " Mong lực lượng chức năng đến nhanh.", " Xin cảm ơn!"],
    ("en", "normal"): ["", "", " Please fix it.", " Thank you.",
                       " This has been reported before and nothing happened.",
                       " Please handle it urgently."],
    ("en", "urgent"): ["", " Please hurry!", " Need help now!", " Thank you."],
}

LANDMARKS = {
    "vi": ["chợ Long Khánh", "trường tiểu học", "trạm y tế", "cây xăng", "nhà văn hóa khu phố",
           "công viên", "trường THCS", "nhà thờ", "chùa", "bệnh viện đa khoa khu vực Long Khánh",
           "bến xe Long Khánh", "UBND phường", "siêu thị", "cầu", "chợ"],
    "en": ["Long Khanh market", "the primary school", "the health station", "the petrol station",
           "the neighbourhood cultural house", "the park", "the secondary school", "the church",
           "the pagoda", "Long Khanh regional hospital", "Long Khanh bus station",
           "the ward People's Committee", "the supermarket", "the bridge", "the market"],
}
TIMES = {
    "vi": ["sáng nay", "chiều nay", "tối qua", "đêm qua", "lúc 6 giờ sáng", "khoảng 2 giờ chiều",
           "hôm qua", "từ trưa"],
    "en": ["this morning", "this afternoon", "last night", "overnight", "at 6 am", "around 2 pm",
           "yesterday", "at noon"],
}
LATE = {
    "vi": ["11 giờ đêm", "12 giờ đêm", "1 giờ sáng", "nửa đêm"],
    "en": ["11 pm", "midnight", "1 am", "after midnight"],
}
TREES = {
    "vi": ["sao", "dầu", "me", "phượng", "bàng", "xà cừ", "bằng lăng"],
    "en": ["tamarind", "flame", "almond", "mahogany", "dipterocarp", "crape myrtle"],
}
