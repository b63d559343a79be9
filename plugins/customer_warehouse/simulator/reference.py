"""Small reference tables of real places, name syllables and value pools.

Each country lists real cities with the postcode prefix of their region and the state,
province or region they belong to, so a generated postcode always falls in its city's
region. US and BR rows also carry the city's telephone area code (US area code, BR DDD).
"""

from __future__ import annotations

from dataclasses import dataclass

COUNTRIES: tuple[str, ...] = ("CN", "US", "GB", "BR", "DE")
COUNTRY_WEIGHTS: tuple[float, ...] = (0.44, 0.32, 0.08, 0.09, 0.07)
FAKER_LOCALES: dict[str, str] = {"CN": "zh_CN", "US": "en_US", "GB": "en_GB", "BR": "pt_BR", "DE": "de_DE"}
# Fixed UTC offsets used for clickstream timestamps (daylight saving time is ignored).
UTC_OFFSETS: dict[str, str] = {"CN": "+08:00", "US": "-05:00", "GB": "+00:00", "BR": "-03:00", "DE": "+01:00"}


@dataclass(frozen=True)
class City:
    """A real city: name, state or region, postcode prefix (or GB outward codes), area code."""

    name: str
    state: str
    postcode_prefix: str
    area_code: str = ""


CITIES: dict[str, tuple[City, ...]] = {
    "US": (
        City("Boston", "MA", "021", "617"),
        City("Providence", "RI", "029", "401"),
        City("Hartford", "CT", "061", "860"),
        City("Newark", "NJ", "071", "973"),
        City("New York", "NY", "100", "212"),
        City("Brooklyn", "NY", "112", "718"),
        City("Philadelphia", "PA", "191", "215"),
        City("Washington", "DC", "200", "202"),
        City("Baltimore", "MD", "212", "410"),
        City("Atlanta", "GA", "303", "404"),
        City("Orlando", "FL", "328", "407"),
        City("Miami", "FL", "331", "305"),
        City("Columbus", "OH", "432", "614"),
        City("Detroit", "MI", "482", "313"),
        City("Minneapolis", "MN", "554", "612"),
        City("Chicago", "IL", "606", "312"),
        City("St. Louis", "MO", "631", "314"),
        City("Dallas", "TX", "752", "214"),
        City("Houston", "TX", "770", "713"),
        City("Austin", "TX", "787", "512"),
        City("Denver", "CO", "802", "303"),
        City("Salt Lake City", "UT", "841", "801"),
        City("Phoenix", "AZ", "850", "602"),
        City("Las Vegas", "NV", "891", "702"),
        City("Los Angeles", "CA", "900", "213"),
        City("San Diego", "CA", "921", "619"),
        City("San Francisco", "CA", "941", "415"),
        City("San Jose", "CA", "951", "408"),
        City("Portland", "OR", "972", "503"),
        City("Seattle", "WA", "981", "206"),
    ),
    "DE": (
        City("Dresden", "Sachsen", "01"),
        City("Leipzig", "Sachsen", "04"),
        City("Berlin", "Berlin", "10"),
        City("Potsdam", "Brandenburg", "14"),
        City("Rostock", "Mecklenburg-Vorpommern", "18"),
        City("Hamburg", "Hamburg", "20"),
        City("Kiel", "Schleswig-Holstein", "24"),
        City("Bremen", "Bremen", "28"),
        City("Hannover", "Niedersachsen", "30"),
        City("Magdeburg", "Sachsen-Anhalt", "39"),
        City("Düsseldorf", "Nordrhein-Westfalen", "40"),
        City("Dortmund", "Nordrhein-Westfalen", "44"),
        City("Essen", "Nordrhein-Westfalen", "45"),
        City("Köln", "Nordrhein-Westfalen", "50"),
        City("Bonn", "Nordrhein-Westfalen", "53"),
        City("Mainz", "Rheinland-Pfalz", "55"),
        City("Frankfurt am Main", "Hessen", "60"),
        City("Saarbrücken", "Saarland", "66"),
        City("Mannheim", "Baden-Württemberg", "68"),
        City("Stuttgart", "Baden-Württemberg", "70"),
        City("Freiburg im Breisgau", "Baden-Württemberg", "79"),
        City("München", "Bayern", "80"),
        City("Augsburg", "Bayern", "86"),
        City("Nürnberg", "Bayern", "90"),
        City("Erfurt", "Thüringen", "99"),
    ),
    "BR": (
        City("São Paulo", "SP", "01", "11"),
        City("Santos", "SP", "110", "13"),
        City("Campinas", "SP", "130", "19"),
        City("Rio de Janeiro", "RJ", "20", "21"),
        City("Niterói", "RJ", "240", "21"),
        City("Vitória", "ES", "290", "27"),
        City("Belo Horizonte", "MG", "30", "31"),
        City("Salvador", "BA", "40", "71"),
        City("Recife", "PE", "50", "81"),
        City("Maceió", "AL", "57", "82"),
        City("João Pessoa", "PB", "58", "83"),
        City("Natal", "RN", "59", "84"),
        City("Fortaleza", "CE", "60", "85"),
        City("Belém", "PA", "66", "91"),
        City("Manaus", "AM", "69", "92"),
        City("Brasília", "DF", "70", "61"),
        City("Goiânia", "GO", "74", "62"),
        City("Curitiba", "PR", "80", "41"),
        City("Florianópolis", "SC", "880", "48"),
        City("Porto Alegre", "RS", "90", "51"),
    ),
    "CN": (
        City("北京市", "北京市", "100"),
        City("沈阳市", "辽宁省", "110"),
        City("大连市", "辽宁省", "116"),
        City("哈尔滨市", "黑龙江省", "150"),
        City("上海市", "上海市", "200"),
        City("南京市", "江苏省", "210"),
        City("苏州市", "江苏省", "215"),
        City("合肥市", "安徽省", "230"),
        City("济南市", "山东省", "250"),
        City("青岛市", "山东省", "266"),
        City("天津市", "天津市", "300"),
        City("杭州市", "浙江省", "310"),
        City("福州市", "福建省", "350"),
        City("厦门市", "福建省", "361"),
        City("重庆市", "重庆市", "400"),
        City("长沙市", "湖南省", "410"),
        City("武汉市", "湖北省", "430"),
        City("郑州市", "河南省", "450"),
        City("广州市", "广东省", "510"),
        City("深圳市", "广东省", "518"),
        City("南宁市", "广西壮族自治区", "530"),
        City("成都市", "四川省", "610"),
        City("昆明市", "云南省", "650"),
        City("西安市", "陕西省", "710"),
    ),
    # GB: the prefix is a space-separated list of the city's postcode outward codes.
    "GB": (
        City("London", "Greater London", "SW1A EC1A N1 E1 W1D SE1 NW1"),
        City("Manchester", "Greater Manchester", "M1 M4 M20"),
        City("Birmingham", "West Midlands", "B1 B15"),
        City("Leeds", "West Yorkshire", "LS1 LS6"),
        City("Liverpool", "Merseyside", "L1 L8"),
        City("Bristol", "Bristol", "BS1 BS8"),
        City("Sheffield", "South Yorkshire", "S1 S10"),
        City("Newcastle upon Tyne", "Tyne and Wear", "NE1 NE6"),
        City("Nottingham", "Nottinghamshire", "NG1 NG7"),
        City("Leicester", "Leicestershire", "LE1"),
        City("Edinburgh", "Scotland", "EH1 EH3"),
        City("Glasgow", "Scotland", "G1 G12"),
        City("Cardiff", "Wales", "CF10 CF24"),
        City("Belfast", "Northern Ireland", "BT1 BT7"),
        City("Oxford", "Oxfordshire", "OX1 OX4"),
        City("Cambridge", "Cambridgeshire", "CB1 CB2"),
        City("Brighton", "East Sussex", "BN1 BN2"),
        City("Southampton", "Hampshire", "SO14 SO15"),
        City("York", "North Yorkshire", "YO1 YO10"),
        City("Bath", "Somerset", "BA1 BA2"),
    ),
}

POSTCODE_DIGITS: dict[str, int] = {"US": 5, "DE": 5, "BR": 8, "CN": 6}
GB_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# Common Han surnames and given-name characters with their pinyin, so one person can be
# written both as 王秀英 and as "Wang Xiuying".
HAN_SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("黄", "Huang"),
    ("赵", "Zhao"),
    ("吴", "Wu"),
    ("周", "Zhou"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("马", "Ma"),
    ("朱", "Zhu"),
    ("胡", "Hu"),
    ("郭", "Guo"),
    ("何", "He"),
    ("高", "Gao"),
    ("林", "Lin"),
    ("罗", "Luo"),
    ("郑", "Zheng"),
    ("梁", "Liang"),
    ("谢", "Xie"),
    ("宋", "Song"),
    ("唐", "Tang"),
    ("许", "Xu"),
    ("韩", "Han"),
    ("冯", "Feng"),
    ("邓", "Deng"),
    ("曹", "Cao"),
    ("彭", "Peng"),
    ("曾", "Zeng"),
    ("肖", "Xiao"),
    ("田", "Tian"),
    ("董", "Dong"),
    ("袁", "Yuan"),
    ("潘", "Pan"),
    ("于", "Yu"),
    ("蒋", "Jiang"),
    ("蔡", "Cai"),
)
HAN_GIVEN: tuple[tuple[str, str], ...] = (
    ("秀", "xiu"),
    ("英", "ying"),
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂", "gui"),
    ("兰", "lan"),
    ("华", "hua"),
    ("建", "jian"),
    ("国", "guo"),
    ("文", "wen"),
    ("辉", "hui"),
    ("玲", "ling"),
    ("鹏", "peng"),
    ("晨", "chen"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("梅", "mei"),
    ("琳", "lin"),
    ("博", "bo"),
    ("凯", "kai"),
    ("俊", "jun"),
    ("晓", "xiao"),
    ("红", "hong"),
    ("海", "hai"),
    ("波", "bo"),
    ("亮", "liang"),
    ("佳", "jia"),
    ("思", "si"),
    ("雨", "yu"),
    ("嘉", "jia"),
    ("子", "zi"),
    ("轩", "xuan"),
    ("涵", "han"),
    ("萱", "xuan"),
    ("诗", "shi"),
    ("睿", "rui"),
    ("泽", "ze"),
    ("宁", "ning"),
)

EMAIL_DOMAINS: dict[str, tuple[str, ...]] = {
    "CN": ("qq.com", "163.com", "126.com", "sina.com", "gmail.com", "outlook.com"),
    "US": ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com"),
    "GB": ("gmail.com", "hotmail.co.uk", "yahoo.co.uk", "btinternet.com", "outlook.com"),
    "BR": ("gmail.com", "hotmail.com", "uol.com.br", "bol.com.br", "yahoo.com.br"),
    "DE": ("gmail.com", "gmx.de", "web.de", "t-online.de", "outlook.de"),
}
DISPOSABLE_DOMAINS: tuple[str, ...] = (
    "mailinator.com",
    "10minutemail.com",
    "guerrillamail.com",
    "yopmail.com",
    "temp-mail.org",
    "sharklasers.com",
    "trashmail.com",
    "getnada.com",
    "dispostable.com",
    "maildrop.cc",
)
NOISE_NAMES: tuple[tuple[str, str], ...] = (
    ("asdf", "qwer"),
    ("test", "test"),
    ("xxx", "xxx"),
    ("aaa", "bbb"),
    ("qwerty", "asdf"),
    ("Test", "User"),
    ("zxcv", "zxcv"),
    ("abc", "abc"),
    ("jjj", "kkk"),
    ("测试", "用户"),
)
INVALID_PHONES: tuple[str, ...] = ("0000000", "123456789", "1234", "1111111111", "+86 138 0013", "999")

SIGNUP_CHANNELS: tuple[str, ...] = ("web", "ios", "android", "wechat_mini_program", "referral", "marketplace")
CHANNEL_WEIGHTS: dict[str, tuple[float, ...]] = {
    "CN": (0.15, 0.2, 0.25, 0.3, 0.05, 0.05),
    "other": (0.45, 0.22, 0.18, 0.0, 0.08, 0.07),
}
USER_AGENTS: dict[str, tuple[str, ...]] = {
    "web": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",  # noqa: E501
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",  # noqa: E501
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    ),
    "ios": ("ShopApp/5.12.0 (iPhone; iOS 17.4; Scale/3.00)", "ShopApp/5.11.2 (iPhone; iOS 16.7; Scale/2.00)"),
    "android": (
        "ShopApp/5.12.0 (Linux; Android 14; Pixel 8)",
        "ShopApp/5.10.1 (Linux; Android 13; SM-S911B)",
    ),
    "wechat_mini_program": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) MicroMessenger/8.0.47 miniProgram",
        "Mozilla/5.0 (Linux; Android 14; V2309A) MicroMessenger/8.0.46 miniProgram",
    ),
}

CATEGORIES: dict[str, tuple[tuple[str, ...], int]] = {
    # category: (product nouns, median price in cents)
    "electronics": (("Headphones", "Charger", "Power Bank", "Speaker", "Smart Watch", "Keyboard"), 4900),
    "home": (("Lamp", "Cushion", "Vase", "Towel Set", "Storage Box", "Clock"), 2900),
    "kitchen": (("Kettle", "Knife Set", "Frying Pan", "Mug", "Teapot", "Blender"), 3500),
    "fashion": (("T-Shirt", "Sneakers", "Scarf", "Jacket", "Backpack", "Cap"), 3900),
    "beauty": (("Face Cream", "Shampoo", "Lipstick", "Perfume", "Serum", "Hand Cream"), 1900),
    "sports": (("Yoga Mat", "Water Bottle", "Dumbbell", "Running Belt", "Jump Rope", "Tennis Balls"), 2500),
    "toys": (("Puzzle", "Building Blocks", "Plush Bear", "Board Game", "Kite", "Toy Car"), 2200),
    "books": (("Notebook", "Cookbook", "Novel", "Atlas", "Sketchbook", "Planner"), 1500),
}
PRODUCT_ADJECTIVES: tuple[str, ...] = (
    "Classic",
    "Compact",
    "Deluxe",
    "Eco",
    "Essential",
    "Premium",
    "Pro",
    "Smart",
    "Travel",
    "Urban",
    "Vintage",
    "Wireless",
    "Mini",
    "Max",
    "Soft",
    "Bold",
)
SEARCH_TERMS: tuple[str, ...] = (
    "headphones",
    "gift",
    "kettle",
    "sneakers",
    "yoga mat",
    "lamp",
    "puzzle",
    "serum",
    "backpack",
    "charger",
    "novel",
    "teapot",
    "sale",
    "jacket",
    "watch",
)

REVIEW_TEXT: dict[int, tuple[tuple[str, str], ...]] = {
    5: (
        ("Excellent", "Exactly as described, fast delivery."),
        ("Love it", "Great quality, would buy again."),
    ),
    4: (("Very good", "Works well, packaging could be better."), ("Good value", "Happy with it overall.")),
    3: (("Okay", "Does the job but nothing special."), ("Average", "Delivery took a while.")),
    2: (("Disappointing", "Smaller than expected."), ("Not great", "Quality feels cheap.")),
    1: (("Broken", "Arrived damaged, asked for a refund."), ("Do not buy", "Stopped working after a week.")),
}
