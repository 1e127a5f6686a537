#!/usr/bin/env python3
"""Generate the registrant test corpus (POST /individual and POST /group bodies).

Python 3 standard library only, deterministic (fixed seed, no clock): running it
again rewrites byte-identical files. Usage, from any directory:

    python3 testdata/registrants/generate.py      # rewrite the corpus
    python3 testdata/registrants/check.py         # verify the invariants

Everything written is described in README.md (valid corpus) and
invalid/README.md (rejected payloads).
"""

import json
import os
import random
import re
import shutil
import unicodedata
from datetime import date, timedelta

SEED = 20261203
N_INDIVIDUALS = 150
N_GROUPS = 50
HERE = os.path.dirname(os.path.abspath(__file__))

# Every date in the corpus lies on or before this day, so "registration date not
# in the future" holds whenever the tests run (the corpus was made in Dec 2026).
LATEST_DATE = date(2025, 12, 31)

rng = random.Random(SEED)


# ---------------------------------------------------------------- checksums --

def _alnum_to_digits(s):
    return "".join(str(int(c, 36)) for c in s)


def iban(country, bban):
    """Return country + mod-97 check digits + bban (ISO 13616)."""
    rest = int(_alnum_to_digits(bban + country + "00")) % 97
    return "%s%02d%s" % (country, 98 - rest, bban)


def iban_ok(value):
    s = re.sub(r"[\s-]", "", value).upper()
    return int(_alnum_to_digits(s[4:] + s[:4])) % 97 == 1


def fr_rib_key(bank, branch, account):
    return "%02d" % (97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97)


def es_dc(entity, office, account):
    weights = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6]

    def digit(ten):
        d = 11 - sum(int(c) * w for c, w in zip(ten, weights)) % 11
        return {11: 0, 10: 1}.get(d, d)

    return "%d%d" % (digit("00" + entity + office), digit(account))


def nl_elfproef(ten):
    return sum(int(c) * (10 - i) for i, c in enumerate(ten)) % 11 == 0


for known in ["GB82WEST12345698765432", "DE89370400440532013000",
              "FR1420041010050500013M02606", "NL91ABNA0417164300",
              "ES9121000418450200051332", "PL61109010140000071219812874"]:
    assert iban_ok(known) and iban(known[:2], known[4:]) == known, known
assert es_dc("2100", "0418", "0200051332") == "45"
assert nl_elfproef("0417164300")


def sanitize(acc):
    """Odoo's res.partner.bank sanitising: drop non-word characters, upper-case."""
    return re.sub(r"\W+", "", acc).upper()


# ------------------------------------------------------------------ helpers --

def digits(n, first=None):
    s = "".join(rng.choice("0123456789") for _ in range(n))
    return (first + s[len(first):]) if first else s


def letters(n):
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(n))


def rand_date(lo, hi):
    return lo + timedelta(days=rng.randrange((hi - lo).days + 1))


def group_by(s, sizes, sep):
    out, i = [], 0
    for n in sizes:
        out.append(s[i:i + n])
        i += n
    if i < len(s):
        out.append(s[i:])
    return sep.join(p for p in out if p)


def chunks(s, n, sep):
    return sep.join(s[i:i + n] for i in range(0, len(s), n))


def ascii_fold(s):
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.replace("ł", "l").replace("Ł", "L").replace("ß", "ss").replace("đ", "d").replace("Đ", "D")
    return re.sub(r"[^a-z0-9]", "", s.lower())


# ------------------------------------------------------------------- phones --

class Phone:
    """A mobile number as country code + national significant number."""

    def __init__(self, cc, nsn, groups):
        self.cc, self.nsn, self.groups = cc, nsn, groups

    def intl(self, sep=" "):
        return "+%s %s" % (self.cc, group_by(self.nsn, self.groups, sep))

    def wallet_forms(self):
        """Ways people write a wallet (= phone) number as an account number."""
        return [
            self.intl("-"),                            # +254 712-345-678
            "+%s%s" % (self.cc, self.nsn),             # +254712345678
            "%s%s" % (self.cc, self.nsn),              # 254712345678
            "0" + group_by(self.nsn, self.groups, " "),  # 0712 345 678 (local)
            self.intl(" "),                            # +254 712 345 678
        ]


PHONE_PLANS = {
    # cc, prefix choices, remaining digits, display grouping of the nsn
    "KE": ("254", ["7", "1"], 8, [3, 3, 3]),
    "SN": ("221", ["77", "78", "76", "70"], 7, [2, 3, 2, 2]),
    "ET": ("251", ["91", "92", "93", "94"], 7, [2, 3, 4]),
    "EG": ("20", ["10", "11", "12", "15"], 8, [2, 4, 4]),
    "IN": ("91", ["98", "97", "96", "88", "70"], 8, [5, 5]),
    "BD": ("880", ["17", "18", "19", "15", "13"], 8, [4, 6]),
    "TH": ("66", ["81", "82", "89", "61", "91"], 7, [2, 3, 4]),
    "RU": ("7", ["91", "92", "98", "90"], 8, [3, 3, 2, 2]),
    "CN": ("86", ["138", "139", "158", "186", "135"], 8, [3, 4, 4]),
    "VN": ("84", ["91", "98", "90", "93", "39"], 7, [2, 3, 2, 2]),
    "PL": ("48", ["50", "51", "60", "69", "78", "88"], 7, [3, 3, 3]),
    "ES": ("34", ["6"], 8, [3, 2, 2, 2]),
    "FR": ("33", ["6", "7"], 8, [1, 2, 2, 2, 2]),
    "DE": ("49", ["151", "152", "160", "170", "176"], 8, [3, 8]),
    "GB": ("44", ["7700900"], 3, [4, 6]),
    "NL": ("31", ["6"], 8, [1, 8]),
    "GH": ("233", ["24", "54", "55", "20", "50"], 7, [2, 3, 4]),
    "UG": ("256", ["77", "78", "70", "75"], 7, [3, 6]),
}

used_phones = set()


def new_phone(country):
    cc, prefixes, rest, groups = PHONE_PLANS[country]
    while True:
        nsn = rng.choice(prefixes) + digits(rest)
        if (cc, nsn) not in used_phones:
            used_phones.add((cc, nsn))
            return Phone(cc, nsn, groups)


# -------------------------------------------------------------------- banks --

def nfd(s):
    return unicodedata.normalize("NFD", s)


# key, canonical name, bic, country, kind, account scheme, alias names only a BIC can resolve
BANK_TABLE = [
    ("equity", "Equity Bank", "EQBLKENA", "KE", "bank", "equity", []),
    ("kcb", "KCB Bank", "KCBLKENX", "KE", "bank", "kcb", []),
    ("coop", "Co-operative Bank of Kenya", None, "KE", "bank", "coop", []),
    ("cbe", "Commercial Bank of Ethiopia", "CBETETAA", "ET", "bank", "cbe", ["የኢትዮጵያ ንግድ ባንክ"]),
    ("dashen", "Dashen Bank", None, "ET", "bank", "dashen", []),
    ("brs", "Banque Régionale de Solidarité", None, "SN", "bank", "iban_sn:SN218", []),
    ("sgsn", "Société Générale Sénégal", "SGSNSNDA", "SN", "bank", "iban_sn:SN011", []),
    ("cbao", "CBAO Groupe Attijariwafa Bank", "CBAOSNDA", "SN", "bank", "iban_sn:SN012", []),
    ("bhs", "Banque de l'Habitat du Sénégal", "BHSNSNDA", "SN", "bank", "iban_sn:SN048", []),
    ("deutsche", "Deutsche Bank", "DEUTDEFFXXX", "DE", "bank", "iban_de:10070000", []),
    ("commerz", "Commerzbank", "COBADEFFXXX", "DE", "bank", "iban_de:37040044", []),
    ("bnp", "BNP Paribas", "BNPAFRPPXXX", "FR", "bank", "iban_fr:30004", []),
    ("ca", "Crédit Agricole", "AGRIFRPP", "FR", "bank", "iban_fr:18206", []),
    ("barclays", "Barclays Bank", "BARCGB22", "GB", "bank", "iban_gb:BARC", []),
    ("ing", "ING Bank", "INGBNL2A", "NL", "bank", "iban_nl:INGB", []),
    ("abn", "ABN AMRO", "ABNANL2A", "NL", "bank", "iban_nl:ABNA", []),
    ("santander", "Banco Santander", "BSCHESMM", "ES", "bank", "iban_es:0049", []),
    ("caixa", "CaixaBank", "CAIXESBBXXX", "ES", "bank", "iban_es:2100", []),
    ("pko", "PKO Bank Polski", "BPKOPLPW", "PL", "bank", "iban_pl:1020", []),
    ("sbi", "State Bank of India", "SBININBB", "IN", "bank", "sbi", ["भारतीय स्टेट बैंक"]),
    ("sonali", "Sonali Bank", "BSONBDDH", "BD", "bank", "sonali", ["সোনালী ব্যাংক"]),
    ("bbl", "Bangkok Bank", "BKKBTHBK", "TH", "bank", "bbl", ["ธนาคารกรุงเทพ"]),
    ("sber", "Sberbank", "SABRRUMM", "RU", "bank", "sber", ["Сбербанк"]),
    ("icbc", "Industrial and Commercial Bank of China", "ICBKCNBJ", "CN", "bank", "icbc", ["中国工商银行"]),
    ("nbe", "National Bank of Egypt", "NBEGEGCX", "EG", "bank", "iban_eg:0003", ["البنك الأهلي المصري"]),
    ("gcb", "GCB Bank", "GHCBGHAC", "GH", "bank", "gcb", []),
    ("stanbic", "Stanbic Bank Uganda", "SBICUGKX", "UG", "bank", "stanbic", []),
    ("vcb", "Vietcombank", "BFTVVNVX", "VN", "bank", "vcb", []),
    ("mpesa", "M-Pesa", None, "KE", "mobile_money", "wallet", []),
    ("airtel", "Airtel Money", None, "UG", "mobile_money", "wallet", []),
    ("mtn", "MTN Mobile Money", None, "GH", "mobile_money", "wallet", []),
    ("orange", "Orange Money", None, "SN", "mobile_money", "wallet", []),
    ("wave", "Wave", None, "SN", "mobile_money", "wallet", []),
    ("bkash", "bKash", None, "BD", "mobile_money", "wallet", []),
    ("telebirr", "telebirr", None, "ET", "mobile_money", "wallet", []),
]


def name_variants(name):
    """Spellings that must resolve to the same bank (NFC, trim, collapse blanks, casefold)."""
    words = name.split(" ")
    v = [name]
    if nfd(name) != name:  # accented: the same text in decomposed form, used early
        v += [nfd(name), nfd(name.upper())]
    v += [name.upper(), name.lower(), " " + name + " ", "  ".join(words),
          " " + "  ".join(w.lower() for w in words) + "  "]
    if len(words) > 1:
        v.append(" ".join(w.lower() if i % 2 == 0 else w.upper() for i, w in enumerate(words)))
    out = []
    for s in v:
        if s not in out:
            out.append(s)
    return out


class Bank:
    def __init__(self, key, name, bic, country, kind, scheme, aliases):
        self.key, self.name, self.bic, self.country = key, name, bic, country
        self.kind, self.scheme, self.aliases = kind, scheme, aliases
        self.variants = name_variants(name)
        self.used_variants = []
        self.used_aliases = []
        self.refs = 0
        self.form_counts = {"name": 0, "bic": 0, "name+bic": 0, "alias+bic": 0}
        self.first_ref = None

    def item_names(self):
        """Pick the next spelling round-robin so that every variant gets used."""
        unused = [v for v in self.variants if v not in self.used_variants]
        v = unused[0] if unused else rng.choice(self.variants)
        if v not in self.used_variants:
            self.used_variants.append(v)
        return v


BANKS = {row[0]: Bank(*row) for row in BANK_TABLE}
BIC_RE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
for b in BANKS.values():
    assert b.bic is None or BIC_RE.match(b.bic), b.bic


# ----------------------------------------------------------------- accounts --

used_accounts = set()  # sanitized numbers already handed out (shares are added on purpose)


def _iban_forms(compact):
    spaced = chunks(compact, 4, " ")
    return [compact, spaced, chunks(compact, 4, "-"), spaced.lower(), compact.lower(),
            " " + spaced + " "]


def account_for(bank, owner_phone, country):
    """Return (compact canonical number, written forms). All forms sanitize alike
    except a wallet's local form, which drops the country code."""
    s = bank.scheme
    while True:
        if s == "wallet":
            ph = owner_phone if owner_phone is not None else new_phone(country)
            owner_phone = None  # a retry needs a fresh number
            forms = ph.wallet_forms()
            compact = forms[1]
        elif s.startswith("iban_sn:"):
            compact = iban("SN", s.split(":")[1] + digits(5) + digits(12) + digits(2))
            forms = _iban_forms(compact)
        elif s.startswith("iban_de:"):
            compact = iban("DE", s.split(":")[1] + digits(10, "0"))
            forms = _iban_forms(compact)
        elif s.startswith("iban_fr:"):
            bk, br, ac = s.split(":")[1], digits(5), digits(11)
            compact = iban("FR", bk + br + ac + fr_rib_key(bk, br, ac))
            forms = _iban_forms(compact)
        elif s.startswith("iban_gb:"):
            compact = iban("GB", s.split(":")[1] + "20" + digits(4) + digits(8))
            forms = _iban_forms(compact)
        elif s.startswith("iban_nl:"):
            while True:
                acct = digits(10, "0" if s.endswith("INGB") else "")
                if nl_elfproef(acct):
                    break
            compact = iban("NL", s.split(":")[1] + acct)
            forms = _iban_forms(compact)
        elif s.startswith("iban_es:"):
            ent, off, acct = s.split(":")[1], digits(4), digits(10)
            compact = iban("ES", ent + off + es_dc(ent, off, acct) + acct)
            forms = _iban_forms(compact)
        elif s.startswith("iban_pl:"):
            compact = iban("PL", s.split(":")[1] + digits(4) + digits(16))
            forms = _iban_forms(compact)
        elif s.startswith("iban_eg:"):
            compact = iban("EG", s.split(":")[1] + digits(4) + digits(17, "0000"))
            forms = _iban_forms(compact)
        elif s == "equity":
            compact = "01" + digits(11)
            forms = [compact, group_by(compact, [4, 4, 4, 1], " "), group_by(compact, [4, 4, 5], "-")]
        elif s == "kcb":
            compact = "11" + digits(8)
            forms = [compact, group_by(compact, [3, 3, 4], " ")]
        elif s == "coop":
            compact = "011" + digits(11)
            forms = [compact, group_by(compact, [3, 3, 4, 4], " "), group_by(compact, [3, 3, 8], "-")]
        elif s == "cbe":
            compact = "1000" + digits(9)
            forms = [compact, group_by(compact, [4, 4, 5], " ")]
        elif s == "dashen":
            compact = "50" + digits(11)
            forms = [compact, group_by(compact, [4, 9], "-")]
        elif s == "sbi":
            compact = "3" + digits(10)
            forms = [compact, group_by(compact, [4, 4, 3], " "), group_by(compact, [3, 3, 5], "-")]
        elif s == "sonali":
            compact = "000" + digits(10)
            forms = [compact, group_by(compact, [4, 4, 5], "-"), group_by(compact, [4, 4, 5], " ")]
        elif s == "bbl":
            compact = digits(10, "1")
            forms = [group_by(compact, [3, 1, 5, 1], "-"), compact]
        elif s == "sber":
            compact = "40817810" + digits(12)
            forms = [compact, group_by(compact, [5, 3, 1, 4, 7], " "), group_by(compact, [5, 3, 1, 4, 7], ".")]
        elif s == "icbc":
            compact = "6222" + digits(15)
            forms = [chunks(compact, 4, " "), compact]
        elif s == "gcb":
            compact = "10" + digits(11)
            forms = [compact, group_by(compact, [4, 4, 5], " ")]
        elif s == "stanbic":
            compact = "90" + digits(11)
            forms = [compact, group_by(compact, [4, 3, 6], "-"), group_by(compact, [4, 3, 6], " ")]
        elif s == "vcb":
            compact = "00" + digits(11)
            forms = [compact, group_by(compact, [3, 3, 7], "-"), group_by(compact, [4, 3, 6], " ")]
        else:
            raise ValueError(s)
        if sanitize(compact) not in used_accounts:
            used_accounts.add(sanitize(compact))
            return compact, forms


def other_form(forms, not_like):
    """Another written form of the same number, sanitizing alike (for shares)."""
    alts = [f for f in forms if f != not_like and sanitize(f) == sanitize(not_like)]
    return rng.choice(alts) if alts else not_like


# ---------------------------------------------------------------- cultures --

class Culture:
    def __init__(self, key, script, country, given_m, given_f, family, places, addresses,
                 banks, addl_m=(), addl_f=(), style="western", email=True, weight=1,
                 group_names=("Household {f}",)):
        self.key, self.script, self.country = key, script, country
        self.given_m, self.given_f, self.family = given_m, given_f, family
        self.addl_m, self.addl_f = addl_m, addl_f
        self.places, self.addresses = places, addresses
        self.banks, self.style, self.email, self.weight = banks, style, email, weight
        self.group_names = group_names

    def family_for(self, fam, gender):
        if isinstance(fam, tuple):  # gendered surnames: (male form, female form)
            return fam[1] if gender == "Female" else fam[0]
        return fam


CULTURES = [
    Culture("sn", "Latin", "SN",
            ["Mamadou", "Cheikh", "Ousmane", "Abdoulaye", "Moustapha", "Ibrahima", "Serigne"],
            ["Aïssatou", "Fatou", "Awa", "Mariama", "Ndèye", "Khady", "Aminata"],
            ["Diallo", "N'Diaye", "Sow", "Fall", "Mbaye-Ndiaye", "Diop", "Sène", "Guèye", "N’Doye"],
            ["Dakar", "Thiès", "Saint-Louis", "Ziguinchor", "Kaolack"],
            ["Rue {n} x 15, Médina, Dakar", "Quartier Escale, villa {n}, Thiès", "Cité Keur Gorgui, lot {n}, Dakar"],
            ["brs", "sgsn", "cbao", "bhs", "orange", "wave"],
            addl_m=["Abdou", "Lamine"], addl_f=["Bineta", "Coumba"], weight=3,
            group_names=("Famille {f}", "Ménage {f}")),
    Culture("ke", "Latin", "KE",
            ["Otieno", "Kamau", "Wanjala", "Kipchoge", "Mwangi", "Omondi", "Barasa"],
            ["Wanjiru", "Achieng", "Njeri", "Akinyi", "Chebet", "Wambui", "Nyokabi"],
            ["Kamau", "Odhiambo", "Mutua", "Kiprotich", "Wafula", "Njoroge", "Ole Sankale"],
            ["Nairobi", "Kisumu", "Mombasa", "Nakuru", "Eldoret"],
            ["P.O. Box {n}-00100, Nairobi", "Plot {n}, Kondele, Kisumu", "House {n}, Nyali, Mombasa"],
            ["equity", "kcb", "coop", "mpesa", "airtel"],
            addl_m=["Juma", "Kiprono"], addl_f=["Atieno", "Wairimu"], weight=2,
            group_names=("Household {f}", "{f} Family")),
    Culture("et", "Ethiopic", "ET",
            ["አበበ", "ተስፋዬ", "ዮሐንስ", "ብርሃኑ", "ኃይሌ", "ሙሉጌታ"],
            ["መሰረት", "ትዕግስት", "ሰላም", "ሄለን", "ፍሬሕይወት", "ብዙነሽ"],
            ["ቢቂላ", "ገብረሥላሴ", "ወልዴ", "ታደሰ", "አለሙ", "ደምሴ"],
            ["አዲስ አበባ", "ባሕር ዳር", "ጎንደር", "መቀሌ", "ሐዋሳ"],
            ["ቦሌ ክፍለ ከተማ፣ ወረዳ {n}፣ አዲስ አበባ", "ቀበሌ {n}፣ ባሕር ዳር"],
            ["cbe", "dashen", "telebirr"], email=False, weight=2,
            group_names=("የ{f} ቤተሰብ",)),
    Culture("eg", "Arabic", "EG",
            ["محمد", "أحمد", "عمر", "يوسف", "خالد", "مصطفى"],
            ["فاطمة", "مريم", "نور", "ليلى", "سارة", "هدى"],
            ["العلي", "حسن", "عبد الله", "الحسيني", "منصور", "الشريف"],
            ["القاهرة", "الإسكندرية", "أسيوط", "المنصورة", "طنطا"],
            ["{n} شارع التحرير، الدقي، الجيزة", "{n} شارع الجمهورية، أسيوط"],
            ["nbe"], email=False, weight=2,
            group_names=("أسرة {f}",)),
    Culture("in", "Devanagari", "IN",
            ["राहुल", "अमित", "सुरेश", "विजय", "अर्जुन", "रमेश"],
            ["प्रिया", "सुनीता", "अनीता", "पूजा", "लक्ष्मी", "कविता"],
            ["शर्मा", "वर्मा", "गुप्ता", "सिंह", "यादव", "पटेल"],
            ["दिल्ली", "वाराणसी", "लखनऊ", "जयपुर", "पटना"],
            ["मकान नं. {n}, गांधी नगर, जयपुर", "{n}, शिवाजी मार्ग, लखनऊ"],
            ["sbi"], addl_m=["कुमार"], addl_f=["देवी"], email=False, weight=2,
            group_names=("{f} परिवार",)),
    Culture("bd", "Bengali", "BD",
            ["রহিম", "করিম", "আবদুল", "সাকিব", "তানভীর", "জামাল"],
            ["ফাতেমা", "নাসরিন", "শাহনাজ", "রুমানা", "তাসলিমা", "সুমাইয়া"],
            ["উদ্দিন", "আহমেদ", "হোসেন", "ইসলাম", "চৌধুরী", "রহমান"],
            ["ঢাকা", "চট্টগ্রাম", "খুলনা", "সিলেট", "রাজশাহী"],
            ["বাড়ি {n}, রোড ৫, ধানমন্ডি, ঢাকা", "গ্রাম: চরপাড়া, বাড়ি {n}, সিলেট"],
            ["sonali", "bkash"], email=False, weight=2,
            group_names=("{f} পরিবার",)),
    Culture("th", "Thai", "TH",
            ["สมชาย", "สมศักดิ์", "ประยุทธ", "วิชัย", "อนันต์", "ธนากร"],
            ["สมหญิง", "มาลี", "สุดา", "วันเพ็ญ", "กาญจนา", "ปิยะนุช"],
            ["ใจดี", "ศรีสุข", "วงศ์สวัสดิ์", "แสงทอง", "บุญมา", "รักษาศรี"],
            ["กรุงเทพมหานคร", "เชียงใหม่", "ขอนแก่น", "ภูเก็ต", "นครราชสีมา"],
            ["{n} ถนนสุขุมวิท แขวงคลองเตย กรุงเทพมหานคร", "{n} หมู่ 4 ตำบลสุเทพ เชียงใหม่"],
            ["bbl"], email=False, weight=2,
            group_names=("ครอบครัว{f}",)),
    Culture("ru", "Cyrillic", "RU",
            ["Иван", "Алексей", "Дмитрий", "Сергей", "Андрей", "Пётр"],
            ["Ольга", "Наталья", "Екатерина", "Анна", "Татьяна", "Алёна"],
            [("Иванов", "Иванова"), ("Петров", "Петрова"), ("Смирнов", "Смирнова"),
             ("Кузнецов", "Кузнецова"), ("Соколов", "Соколова"), ("Римский-Корсаков", "Римская-Корсакова")],
            ["Москва", "Санкт-Петербург", "Казань", "Новосибирск", "Екатеринбург"],
            ["ул. Ленина, д. {n}, кв. 12, Казань", "пр. Мира, д. {n}, Москва"],
            ["sber"], addl_m=["Иванович", "Сергеевич", "Петрович"],
            addl_f=["Ивановна", "Сергеевна", "Петровна"], style="russian", email=False, weight=2,
            group_names=("Семья {f}",)),
    Culture("cn", "Han", "CN",
            ["伟", "强", "磊", "军", "志明", "建国"],
            ["秀英", "丽", "敏", "静", "芳", "婷婷"],
            ["王", "李", "张", "刘", "陈", "欧阳"],
            ["北京", "上海", "广州", "成都", "武汉"],
            ["北京市朝阳区建国路{n}号", "上海市浦东新区世纪大道{n}号"],
            ["icbc"], style="eastern", email=False, weight=2,
            group_names=("{f}家",)),
    Culture("vn", "Latin", "VN",
            ["An", "Dũng", "Hùng", "Quang", "Tuấn", "Bảo"],
            ["Lan", "Hương", "Thảo", "Ngọc", "Trang", "Phượng"],
            ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Đặng"],
            ["Hà Nội", "Huế", "Đà Nẵng", "Cần Thơ", "Hải Phòng"],
            ["Số {n} phố Hàng Bạc, Hoàn Kiếm, Hà Nội", "{n} đường Lê Lợi, Huế"],
            ["vcb"], addl_m=["Văn", "Đức", "Minh"], addl_f=["Thị", "Ngọc", "Minh"], style="vietnamese",
            group_names=("Gia đình {f}",)),
    Culture("pl", "Latin", "PL",
            ["Łukasz", "Paweł", "Wojciech", "Michał", "Grzegorz", "Bartłomiej"],
            ["Małgorzata", "Agnieszka", "Katarzyna", "Zofia", "Joanna", "Jadwiga"],
            ["Wójcik", ("Kowalski", "Kowalska"), "Nowak", ("Wiśniewski", "Wiśniewska"), "Zając",
             ("Dąbrowski", "Dąbrowska"), ("Nowak-Jeziorański", "Nowak-Jeziorańska")],
            ["Kraków", "Łódź", "Gdańsk", "Wrocław", "Poznań"],
            ["ul. Długa {n}, 80-831 Gdańsk", "ul. Piotrkowska {n}, 90-001 Łódź"],
            ["pko"], addl_m=["Jan", "Józef"], addl_f=["Maria", "Anna"],
            group_names=("Gospodarstwo {f}",)),
    Culture("es", "Latin", "ES",
            ["José", "Jesús", "Álvaro", "Íñigo", "Sergio", "Raúl"],
            ["María José", "Begoña", "Inés", "Lucía", "Ainhoa", "Nuria"],
            ["Núñez", "García-Pérez", "Muñoz", "Peña", "Ibáñez", "Martín"],
            ["Sevilla", "Málaga", "A Coruña", "Cádiz", "León"],
            ["C/ Mayor {n}, 3º izq., Sevilla", "Avda. de la Constitución {n}, Málaga"],
            ["santander", "caixa"], addl_m=["Luis", "Ángel"], addl_f=["del Carmen", "Pilar"],
            group_names=("Familia {f}",)),
    Culture("fr", "Latin", "FR",
            ["Jean-Baptiste", "François", "Loïc", "Jérôme", "Théo", "Benoît"],
            ["Hélène", "Anaïs", "Chloé", "Zoé", "Marie-Noëlle", "Gaëlle"],
            ["Lefèvre", "Bénard", "Giraud", "Dubois-Laroche", "D'Amour", "Lemaître"],
            ["Paris", "Lyon", "Besançon", "Orléans", "Nîmes"],
            ["{n} rue de la République, 69002 Lyon", "{n} bis, avenue Foch, 25000 Besançon"],
            ["bnp", "ca"], addl_m=["Marie", "Émile"], addl_f=["Claire", "Léa"], weight=2,
            group_names=("Foyer {f}", "Famille {f}")),
    Culture("de", "Latin", "DE",
            ["Jürgen", "Jörg", "Lukas", "Björn", "Günther", "Matthias"],
            ["Käthe", "Lena", "Jördis", "Sabine", "Ursula", "Jülide"],
            ["Müller", "Schäfer", "Groß", "Becker-Schmidt", "Köhler", "Weiß"],
            ["München", "Köln", "Düsseldorf", "Lübeck", "Görlitz"],
            ["Hauptstraße {n}, 50667 Köln", "Schloßallee {n}, 23552 Lübeck"],
            ["deutsche", "commerz"], addl_m=["Karl"], addl_f=["Anna-Lena"],
            group_names=("Haushalt {f}",)),
    Culture("gb", "Latin", "GB",
            ["Seán", "Liam", "Oliver", "Rhys", "Callum"],
            ["Siobhán", "Niamh", "Chloë", "Eleanor", "Róisín"],
            ["O'Brien", "O’Connor", "McDonald", "Smith-Jones", "ap Rhys", "Fitzgerald"],
            ["London", "Manchester", "Cardiff", "Glasgow", "Belfast"],
            ["Flat {n}, 12 Mill Lane, Manchester M1 2AB", "{n} Queen Street, Cardiff CF10 2BU"],
            ["barclays"], addl_m=["Patrick", "James"], addl_f=["Mary", "Grace"],
            group_names=("{f} Household",)),
    Culture("nl", "Latin", "NL",
            ["Sjoerd", "Daan", "Joël", "Thijs", "Bram"],
            ["Eline", "Anouk", "Maaike", "Fenna", "Iris"],
            ["de Vries", "van den Berg", "'t Hooft", "Bakker", "van Dijk", "Jansen-Smit"],
            ["Amsterdam", "Utrecht", "'s-Hertogenbosch", "Groningen", "Zwolle"],
            ["Prinsengracht {n}, 1015 DV Amsterdam", "Oudegracht {n}, 3511 AP Utrecht"],
            ["ing", "abn"], addl_m=["Jan"], addl_f=["Johanna"],
            group_names=("Huishouden {f}",)),
    Culture("gh", "Latin", "GH",
            ["Kofi", "Kwame", "Yaw", "Kwabena", "Kojo"],
            ["Ama", "Akosua", "Abena", "Efua", "Adwoa"],
            ["Mensah", "Owusu", "Asante", "Boateng", "Appiah-Kubi", "Ofori-Atta"],
            ["Accra", "Kumasi", "Tamale", "Cape Coast"],
            ["House No. {n}, Osu, Accra", "Plot {n}, Adum, Kumasi"],
            ["gcb", "mtn"], addl_m=["Nana"], addl_f=["Esi"],
            group_names=("{f} Household",)),
    Culture("ug", "Latin", "UG",
            ["Okello", "Mukasa", "Ssemakula", "Opio", "Byaruhanga"],
            ["Nakato", "Namukasa", "Achan", "Atim", "Nabirye"],
            ["Okello", "Ssempijja", "Nabirye", "Mugisha", "Kato", "Auma"],
            ["Kampala", "Gulu", "Mbarara", "Jinja"],
            ["Plot {n}, Kira Road, Kampala", "Plot {n}, Main Street, Jinja"],
            ["stanbic", "mtn", "airtel"],
            group_names=("Household {f}",)),
]
CULTURE_BY_KEY = {c.key: c for c in CULTURES}


def display_name(c, given, family, addl):
    """How a clerk would type the full name (only used when "name" is sent)."""
    if c.style == "eastern":
        return family + given
    if c.style == "vietnamese":
        return " ".join(p for p in [family, addl, given] if p)
    if c.style == "russian":
        return " ".join(p for p in [family, given, addl] if p)
    parts = [given, addl, family] if addl and rng.random() < 0.5 else [given, family]
    s = " ".join(p for p in parts if p)
    if rng.random() < 0.15:  # the OpenSPP form style, typed by hand
        s = ("%s, %s" % (family, given)).upper()
    return s


def composed_name(given, family, addl):
    """OpenSPP's form rule: "FAMILY, GIVEN ADDL" upper-cased (trailing blank stripped)."""
    s = ""
    if family:
        s += family + ", "
    if given:
        s += given + " "
    if addl:
        s += addl + " "
    return s.upper().strip()


def upper_is_simple(s):
    """True when upper-casing maps each character to exactly one (Python and Go agree)."""
    return all(len(ch.upper()) == 1 for ch in s)


# ---------------------------------------------------------------------- ids --

used_id_values = set()


def unique(make):
    while True:
        v = make()
        if v not in used_id_values:
            used_id_values.add(v)
            return v


def national_id():
    # ^[0-9]{10}$; about one in eight starts with 0 so leading zeros must survive.
    return unique(lambda: digits(10, "0" if rng.random() < 0.125 else str(rng.randint(1, 9))))


def passport(country):
    forms = {
        "KE": lambda: "AK" + digits(7), "SN": lambda: "A" + digits(8), "ET": lambda: "EP" + digits(7),
        "EG": lambda: "A" + digits(8), "IN": lambda: letters(1) + digits(7), "BD": lambda: "A" + digits(8),
        "TH": lambda: "AA" + digits(7), "RU": lambda: digits(9), "CN": lambda: "E" + digits(8),
        "VN": lambda: "C" + digits(7), "PL": lambda: letters(2) + digits(7), "ES": lambda: letters(3) + digits(6),
        "FR": lambda: digits(2) + letters(2) + digits(5), "DE": lambda: "C" + letters(1) + digits(7),
        "GB": lambda: digits(9), "NL": lambda: letters(2) + letters(2) + digits(5), "GH": lambda: "G" + digits(7),
        "UG": lambda: "B" + digits(7),
    }
    return unique(forms[country])


def tax_id(country):
    def nif():
        n = digits(8)
        return n + "TRWAGMYFPDXBNJZSQVHLCKE"[int(n) % 23]

    forms = {
        "KE": lambda: "A" + digits(9) + letters(1), "IN": lambda: letters(3) + "P" + letters(1) + digits(4) + letters(1),
        "ES": nif, "DE": lambda: digits(11, str(rng.randint(1, 9))), "FR": lambda: digits(13, str(rng.randint(0, 3))),
        "GB": lambda: "QQ" + digits(6) + "C", "PL": lambda: digits(10), "SN": lambda: digits(9) + "2G3",
        "GH": lambda: "P00" + digits(8), "UG": lambda: "10" + digits(8), "ET": lambda: "TIN-" + digits(10),
        "EG": lambda: digits(3) + "-" + digits(3) + "-" + digits(3), "BD": lambda: digits(12),
        "TH": lambda: digits(13, "3"), "RU": lambda: digits(12, "77"), "CN": lambda: "91110" + digits(12) + letters(1),
        "VN": lambda: digits(10, "0"), "NL": lambda: "NL" + digits(9) + "B01",
    }
    return unique(forms[country])


def household_id(country, year):
    return unique(lambda: "HH-%s-%d-%s" % (country, year, digits(6)))


def make_ids(c, force_national=False):
    kinds = []
    if force_national or rng.random() < 0.85:
        kinds.append("National ID")
    if rng.random() < 0.35:
        kinds.append("Passport")
    if rng.random() < 0.3:
        kinds.append("Tax ID")
    if not kinds:
        kinds.append(rng.choice(["Passport", "Tax ID"]))
    rng.shuffle(kinds)
    out = []
    for k in kinds:
        item = {"id_type": k}
        if k == "National ID":
            item["value"] = national_id()
        elif k == "Passport":
            item["value"] = passport(c.country)
            if rng.random() < 0.7:
                exp = rand_date(date(2019, 1, 1), date(2036, 12, 31))
                item["expiry_date"] = exp.isoformat()
                if exp < date(2026, 1, 1):
                    item["status"] = "invalid"
        else:
            item["value"] = tax_id(c.country)
        if "status" not in item and rng.random() < 0.3:
            item["status"] = "valid"
        out.append(item)
    return out


def make_phones(c, n):
    phones, items = [], []
    for _ in range(n):
        ph = new_phone(c.country)
        phones.append(ph)
        item = {"phone_no": ph.intl(" ") if rng.random() < 0.8 else "+%s%s" % (ph.cc, ph.nsn)}
        if rng.random() < 0.5:
            item["date_collected"] = rand_date(date(2021, 1, 1), LATEST_DATE).isoformat()
        items.append(item)
    return phones, items


# ------------------------------------------------------------- bank items --

def bank_item(bank, acc_number, holder, first_in_corpus):
    """Build one bank_ids item. The first reference to a bank uses its canonical
    spelling (and BIC when it has one), so that posting the files in order
    creates every bank with its canonical name and BIC."""
    item = {}
    if first_in_corpus:
        form = "name+bic" if bank.bic else "name"
    elif not bank.bic:
        form = "name"
    else:
        r = rng.random()
        if bank.aliases and r < 0.2:
            form = "alias+bic"
        elif r < 0.45:
            form = "bic"
        elif r < 0.7:
            form = "name+bic"
        else:
            form = "name"
    if form == "alias+bic":
        alias = bank.aliases[len(bank.used_aliases) % len(bank.aliases)]
        bank.used_aliases.append(alias)
        item["bank_name"] = alias
        item["bic"] = bank.bic
    elif form == "name":
        item["bank_name"] = bank.name if first_in_corpus else bank.item_names()
    elif form == "bic":
        item["bic"] = bank.bic
    else:
        item["bank_name"] = bank.name if first_in_corpus else bank.item_names()
        item["bic"] = bank.bic
    if first_in_corpus:
        bank.used_variants.append(bank.name)
    item["acc_number"] = acc_number
    if holder:
        item["acc_holder_name"] = holder
    bank.form_counts[form] += 1
    bank.refs += 1
    return item, form


class Partner:
    """What the manifest records about one res.partner the corpus creates."""

    def __init__(self, role):
        self.role = role
        self.keys = []
        self.accounts = []  # dicts for the manifest
        self.manifest_extra = {}

    def manifest(self):
        d = {"role": self.role, "keys": self.keys}
        d.update(self.manifest_extra)
        d["account_count"] = len(self.accounts)
        d["sanitized_accounts"] = [a["sanitized"] for a in self.accounts]
        d["accounts"] = self.accounts
        return d


seen_banks = set()
file_label = [""]


def add_account(partner, bank, written, holder, items, pointer_prefix):
    first = bank.key not in seen_banks
    if first:
        seen_banks.add(bank.key)
        bank.first_ref = "%s%s/%d" % (file_label[0], pointer_prefix, len(items))
    item, form = bank_item(bank, written, holder, first)
    items.append(item)
    partner.accounts.append({
        "acc_number": written,
        "acc_number_trimmed": written.strip(),
        "sanitized": sanitize(written),
        "bank": bank.name,
        "bic": bank.bic,
        "acc_holder_name": item.get("acc_holder_name"),
        "item_form": form,
    })


def pick_bank(c, exclude, allow_unseen_only=False):
    options = [k for k in c.banks if k not in exclude]
    fresh = [k for k in options if k not in seen_banks]
    if fresh:
        return BANKS[fresh[0]]
    if allow_unseen_only:
        return None
    return BANKS[rng.choice(options)] if options else None


# ---------------------------------------------------------------- persons --

def person(c, gender, family_raw, birth_lo, birth_hi, member):
    """member is True for group members (they always carry "name")."""
    given = rng.choice(c.given_f if gender == "Female" else c.given_m if gender == "Male"
                       else c.given_f + c.given_m)
    family = c.family_for(family_raw, gender)
    addl_pool = c.addl_f if gender == "Female" else c.addl_m
    addl = rng.choice(addl_pool) if addl_pool and rng.random() < (0.8 if c.style in ("russian", "vietnamese") else 0.3) else None
    birth = rand_date(birth_lo, birth_hi)
    d = {}
    full = display_name(c, given, family, addl)
    comp = composed_name(given, family, addl)
    send_name = member or not upper_is_simple(comp + family + given + (addl or "")) or rng.random() > 0.25
    if send_name:
        d["name"] = full
    d["given_name"] = given
    d["family_name"] = family
    if addl:
        d["addl_name"] = addl
    d["gender"] = gender
    d["birthdate"] = birth.isoformat()
    if rng.random() < 0.7:
        d["birth_place"] = rng.choice(c.places)
    reg = None
    if rng.random() < 0.8:
        reg = rand_date(max(birth, date(2022, 1, 1)), LATEST_DATE)
        d["registration_date"] = reg.isoformat()
    if c.email and rng.random() < 0.45:
        d["email"] = "%s.%s%d@%s" % (ascii_fold(given), ascii_fold(family), rng.randint(1, 99),
                                     rng.choice(["example.org", "example.com", "example.net"]))
    elif not c.email and rng.random() < 0.1:
        d["email"] = "reg%05d@example.org" % rng.randint(0, 99999)
    if rng.random() < 0.5:
        d["address"] = rng.choice(c.addresses).format(n=rng.randint(1, 250))
    return d, given, family, addl, birth, full if send_name else comp


def gender_pick():
    r = rng.random()
    return "Female" if r < 0.48 else "Male" if r < 0.96 else "Other"


def build_registrant_body(c, gender, family_raw, birth_lo, birth_hi, member_index, n_accounts,
                          role, share=None, force_national=False, preset=None):
    """Return (body, Partner, given, family); member_index is None for an individual."""
    member = member_index is not None
    d, given, family, addl, birth, name = person(c, gender, family_raw, birth_lo, birth_hi, member)
    p = Partner(role)
    ids = make_ids(c, force_national=force_national)
    d["ids"] = ids
    p.keys = [{"id_type": i["id_type"], "value": i["value"]} for i in ids]
    p.manifest_extra = {"name_sent": "name" in d, "expected_name": name if "name" not in d else d["name"]}
    n_phones = rng.choice([0, 1, 1, 1, 2]) if not member else rng.choice([0, 0, 1])
    phones, phone_items = make_phones(c, n_phones)
    if phone_items or not member:
        d["phone_numbers"] = phone_items
    items = []
    prefix = "" if not member else "/members/%d" % member_index
    prefix_ptr = prefix + "/bank_ids"
    used_keys = set()
    if preset is not None:  # a number quoted in the bug reports (E1, E5), written as given
        bank, forms, written = preset
        used_accounts.add(sanitize(written))
        add_account(p, bank, written, None, items, prefix_ptr)
        p.accounts[-1]["_forms"] = forms
        used_keys.add(bank.key)
    if share is not None:  # an account co-held with another registrant (allowed, E2)
        bank, forms, first_written, holder = share
        add_account(p, bank, other_form(forms, first_written), holder, items, prefix_ptr)
        used_keys.add(bank.key)
    while len(items) < n_accounts:
        bank = pick_bank(c, used_keys)
        if bank is None:
            break
        used_keys.add(bank.key)
        own_phone = phones[0] if (bank.kind == "mobile_money" and phones and rng.random() < 0.7) else None
        if own_phone is not None and sanitize("+%s%s" % (own_phone.cc, own_phone.nsn)) in used_accounts:
            own_phone = None
        compact, forms = account_for(bank, own_phone, c.country)
        written = rng.choice(forms)
        holder = None
        if rng.random() < 0.35:
            holder = name if rng.random() < 0.7 else name.upper()
        add_account(p, bank, written, holder, items, prefix_ptr)
        p.accounts[-1]["_forms"] = forms
    d["bank_ids"] = items
    if not items and not member and rng.random() < 0.5:
        del d["bank_ids"]  # an individual may leave the key out entirely
    return d, p, given, family


# ------------------------------------------------------------------ corpus --

def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def weighted_cultures(n):
    pool = [c for c in CULTURES for _ in range(c.weight)]
    out = [pool[i % len(pool)] for i in range(n)]
    rng.shuffle(out)
    return out


def strip_private(p):
    for a in p.accounts:
        a.pop("_forms", None)


def gen_individuals(manifest, shares):
    cultures = weighted_cultures(N_INDIVIDUALS)
    # Indexes (0-based) whose second registrant co-holds the first one's account.
    ke = next(i for i, c in enumerate(cultures) if c.key == "ke" and i > 0)
    de = next(i for i, c in enumerate(cultures) if c.key == "de")
    starts = []
    for i in (ke, 40, 75, 103, 130):  # pairs (i, i+1) must not overlap
        if all(abs(i - j) > 1 for j in starts) and i + 1 < N_INDIVIDUALS:
            starts.append(i)
    share_pairs = {i: i + 1 for i in starts}
    # E1/E2: the Equity number from the reports, in its two spellings, on two spouses.
    # E5: the well-known spaced German IBAN.
    presets = {
        ke: (BANKS["equity"], ["0170293844105", "0170-2938-44105"], "0170 2938 4410 5"),
        de: (BANKS["commerz"], ["DE89370400440532013000", "de89 3704 0044 0532 0130 00"],
             "DE89 3704 0044 0532 0130 00"),
    }
    pending = {}
    for i in range(N_INDIVIDUALS):
        num = i + 1
        file_label[0] = "individuals/%03d.json#" % num
        c = cultures[i]
        share = None
        family_raw = rng.choice(c.family)
        gender = gender_pick()
        if i in pending:
            c, family_raw, share, partner_of = pending.pop(i)
            gender = "Male" if rng.random() < 0.5 else "Female"
        n_acc = rng.choices([0, 1, 2, 3], weights=[10, 55, 28, 7])[0]
        if i in share_pairs or share or i in presets:
            n_acc = max(n_acc, 1)
        body, p, given, family = build_registrant_body(
            c, gender, family_raw, date(1945, 1, 1), date(2005, 12, 31), None, n_acc, "individual",
            share=share, force_national=(i % 5 == 0), preset=presets.get(i))
        if i in share_pairs:
            acc = p.accounts[0]
            bank = BANKS[[k for k, b in BANKS.items() if b.name == acc["bank"]][0]]
            holder = p.manifest_extra["expected_name"]  # one holder name on both sides
            body["bank_ids"][0]["acc_holder_name"] = holder
            acc["acc_holder_name"] = holder
            pending[share_pairs[i]] = (c, family_raw, (bank, acc["_forms"], acc["acc_number"], holder), num)
            shares.append({"sanitized": acc["sanitized"], "kind": "spouses registered as individuals",
                           "holders": ["individuals/%03d.json#" % num, "individuals/%03d.json#" % (num + 1)]})
        strip_private(p)
        rel = "individuals/%03d.json" % num
        write_json(os.path.join(HERE, rel), body)
        m = {"file": rel, "kind": "individual", "culture": c.key, "script": c.script}
        m.update(p.manifest())
        manifest.append(m)


def gen_groups(manifest, shares):
    cultures = weighted_cultures(N_GROUPS)
    group_names = set()
    share_groups = set(range(0, N_GROUPS, 6))  # head and spouse co-hold an account
    group_head_share = {3, 21, 40}             # the group's own account equals the head's
    no_head = {7, 19, 33, 46}
    for gi in range(N_GROUPS):
        num = gi + 1
        rel = "groups/%03d.json" % num
        file_label[0] = rel + "#"
        c = cultures[gi]
        family_raw = rng.choice(c.family)
        size = rng.choices([1, 2, 3, 4, 5], weights=[8, 20, 28, 26, 18])[0]
        if gi in share_groups:
            size = max(size, 2)
        elif gi in (11, 29):
            size = 1  # a one-person household
        kind = rng.choice(["Household", "Family"])
        fam_display = c.family_for(family_raw, "Male")
        if c.style == "russian":
            fam_display = family_raw[0][:-2] + "ых" if family_raw[0].endswith("ов") else family_raw[0]
        gname = rng.choice(c.group_names).format(f=fam_display)
        if gname in group_names:
            gname = "%s (%s)" % (gname, rng.choice(c.places))
        n = 2
        while gname in group_names:
            gname = "%s %d" % (gname, n)
            n += 1
        group_names.add(gname)
        g = {"name": gname, "kind": kind, "is_partial_group": rng.random() < 0.2}
        year = rng.randint(2022, 2025)
        if rng.random() < 0.8:
            g["registration_date"] = rand_date(date(year, 1, 1), min(date(year, 12, 31), LATEST_DATE)).isoformat()
        g["ids"] = [{"id_type": "Tax ID", "value": household_id(c.country, year)}]
        gp = Partner("group")
        gp.keys = [dict(g["ids"][0])]
        gp.manifest_extra = {"name": gname, "group_kind": kind}
        phones, items = make_phones(c, 1 if rng.random() < 0.3 else 0)
        g["phone_numbers"] = items
        members, mparts = [], []
        head_acc = None
        for mi in range(size):
            if mi == 0:
                role_kind = [] if gi in no_head else [{"name": "Head"}]
                gender = gender_pick()
                lo, hi = date(1950, 1, 1), date(1998, 12, 31)
            elif mi == 1 and (gi in share_groups or rng.random() < 0.6):
                role_kind = [{"name": "Spouse"}]
                gender = "Female" if mparts[0][1] == "Male" else "Male" if mparts[0][1] == "Female" else gender_pick()
                lo, hi = date(1950, 1, 1), date(2000, 12, 31)
            elif rng.random() < 0.8:
                role_kind = [{"name": "Child"}]
                gender = gender_pick()
                lo, hi = date(2005, 1, 1), date(2025, 6, 30)
            else:
                role_kind = []  # e.g. a grandparent or lodger: no membership kind
                gender = gender_pick()
                lo, hi = date(1940, 1, 1), date(1970, 12, 31)
            is_minor = hi.year >= 2025
            n_acc = 0 if is_minor and rng.random() < 0.8 else rng.choices([0, 1, 2], weights=[25, 55, 20])[0]
            share = None
            if mi == 1 and gi in share_groups and head_acc is not None:
                share = head_acc
            if mi == 0 and (gi in share_groups or gi in group_head_share):
                n_acc = max(n_acc, 1)
            fam = family_raw
            if c.key == "et" and mi > 0 and role_kind == [{"name": "Child"}] and mparts[0][1] == "Male":
                fam = mparts[0][2]  # Ethiopian children carry the father's given name
            body, p, given, family = build_registrant_body(
                c, gender, fam, lo, hi, mi, n_acc, "member", share=share, force_national=is_minor)
            body["kind"] = role_kind
            if mi == 0 and p.accounts:
                acc = p.accounts[0]
                bank = BANKS[[k for k, b in BANKS.items() if b.name == acc["bank"]][0]]
                head_acc = (bank, acc["_forms"], acc["acc_number"], acc["acc_holder_name"])
            strip_private(p)
            p.manifest_extra["membership_kinds"] = [k["name"] for k in role_kind]
            members.append(body)
            mparts.append((p, gender, given))
        if gi in share_groups and head_acc is not None:
            shares.append({"sanitized": mparts[0][0].accounts[0]["sanitized"], "kind": "head and spouse (group members)",
                           "holders": ["%s#/members/0" % rel, "%s#/members/1" % rel]})
        if gi in group_head_share or rng.random() < 0.35:
            gitems = []
            if gi in group_head_share and head_acc is not None:
                bank, forms, written, _ = head_acc
                add_account(gp, bank, other_form(forms, written), gname, gitems, "/bank_ids")
                shares.append({"sanitized": gp.accounts[-1]["sanitized"], "kind": "group and its head",
                               "holders": ["%s#" % rel, "%s#/members/0" % rel]})
            else:
                bank = pick_bank(c, set())
                compact, forms = account_for(bank, phones[0] if phones and bank.kind == "mobile_money" else None,
                                             c.country)
                add_account(gp, bank, rng.choice(forms), gname if rng.random() < 0.5 else None, gitems, "/bank_ids")
            g["bank_ids"] = gitems
        strip_private(gp)
        g["members"] = members
        write_json(os.path.join(HERE, rel), g)
        m = {"file": rel, "kind": "group", "culture": c.key, "script": c.script}
        m.update(gp.manifest())
        m["members"] = [mp.manifest() for mp, _, _ in mparts]
        manifest.append(m)


def main():
    for sub in ("individuals", "groups"):
        shutil.rmtree(os.path.join(HERE, sub), ignore_errors=True)
    manifest, shares = [], []
    gen_individuals(manifest, shares)
    unreferenced_before_groups = [b.name for b in BANKS.values() if b.key not in seen_banks]
    assert not unreferenced_before_groups, ("banks first met inside groups", unreferenced_before_groups)
    gen_groups(manifest, shares)

    partners = sum(1 + len(m.get("members", [])) for m in manifest)
    accounts = sum(m["account_count"] + sum(x["account_count"] for x in m.get("members", [])) for m in manifest)
    write_json(os.path.join(HERE, "manifest.json"), {
        "generator": "generate.py",
        "seed": SEED,
        "totals": {
            "files": len(manifest),
            "individual_files": N_INDIVIDUALS,
            "group_files": N_GROUPS,
            "members": partners - len(manifest),
            "partners": partners,
            "bank_accounts": accounts,
            "distinct_banks": len(BANKS),
        },
        "seed_data": {
            "gender_codes": ["Male", "Female", "Other"],
            "id_types": {"National ID": "^[0-9]{10}$", "Passport": None, "Tax ID": None},
            "group_kinds": ["Household", "Family"],
            "membership_kinds": {"Head": {"is_unique": True}, "Spouse": {"is_unique": False},
                                 "Child": {"is_unique": False}},
        },
        "shared_accounts": shares,
        "files": manifest,
    })
    banks_out = []
    for b in BANKS.values():
        d = {"name": b.name}
        if b.bic:
            d["bic"] = b.bic
        d["country"] = b.country
        d["kind"] = b.kind
        d["variants"] = b.used_variants
        if b.used_aliases:
            d["bic_only_aliases"] = sorted(set(b.used_aliases))
        d["references"] = b.refs
        d["items_by_form"] = {k: v for k, v in b.form_counts.items() if v}
        d["first_reference"] = b.first_ref
        banks_out.append(d)
    write_json(os.path.join(HERE, "banks.json"), banks_out)
    generate_invalid()


# ----------------------------------------------------------------- invalid --

def generate_invalid():
    """Payloads with exactly one defect each (see invalid/README.md)."""
    base_dir = os.path.join(HERE, "invalid")
    shutil.rmtree(base_dir, ignore_errors=True)
    os.makedirs(base_dir)

    def ind(tag, **over):
        # A valid individual; its ids use a 99… / INV- range the valid corpus never uses.
        body = {
            "name": "Amina Diallo",
            "given_name": "Amina",
            "family_name": "Diallo",
            "gender": "Female",
            "birthdate": "1990-05-17",
            "birth_place": "Dakar",
            "registration_date": "2024-03-01",
            "ids": [{"id_type": "National ID", "value": "99000000%02d" % tag}],
            "phone_numbers": [{"phone_no": "+221 77 000 00 %02d" % tag}],
            "bank_ids": [{"bank_name": "Orange Money", "acc_number": "+221 77 000 00 %02d" % tag}],
        }
        body.update(over)
        return body

    def grp(tag, members):
        return {
            "name": "Famille Invalide %02d" % tag,
            "kind": "Household",
            "is_partial_group": False,
            "registration_date": "2024-03-01",
            "ids": [{"id_type": "Tax ID", "value": "INV-HH-%02d" % tag}],
            "phone_numbers": [],
            "members": members,
        }

    def member(tag, idx, kind, **over):
        m = {
            "name": "Member %02d-%d" % (tag, idx),
            "given_name": "Member",
            "family_name": "Invalide",
            "gender": "Male" if idx % 2 == 0 else "Female",
            "birthdate": "1985-01-0%d" % (idx + 1),
            "ids": [{"id_type": "National ID", "value": "99100%03d%02d" % (tag, idx)}],
            "bank_ids": [],
            "kind": kind,
        }
        m.update(over)
        return m

    cases = []

    def add(name, endpoint, body, pointer, code, why, status=422, raw=None):
        path = os.path.join(base_dir, name)
        if raw is not None:
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(raw)
        else:
            write_json(path, body)
        cases.append({"file": name, "endpoint": endpoint, "status": status, "pointer": pointer,
                      "code": code, "defect": why})

    I, G = "POST /individual", "POST /group"
    n = [0]

    def t():
        n[0] += 1
        return n[0]

    k = t()
    add("01-acc-number-json-number.json", I,
        ind(k, bank_ids=[{"bank_name": "Orange Money", "acc_number": 17029384410}]),
        "/bank_ids/0/acc_number", "validation_failed", "acc_number is a JSON number (leading zeros would be lost)")
    k = t()
    add("02-duplicate-accounts-after-sanitising.json", I,
        ind(k, bank_ids=[{"bank_name": "Co-operative Bank of Kenya", "acc_number": "0110 9012 3456 0%d" % k},
                         {"bank_name": "Co-operative Bank of Kenya", "acc_number": "011-090-1234560%d" % k}]),
        "/bank_ids/1/acc_number", "duplicate_in_request",
        "two items sanitize to the same number for one registrant (E4)")
    k = t()
    add("03-unknown-id-type.json", I,
        ind(k, ids=[{"id_type": "Voter Card", "value": "VC-99-%02d" % k}]),
        "/ids/0/id_type", "unknown_reference", "id_type is not a g2p.id.type name")
    k = t()
    add("04-national-id-fails-regex.json", I,
        ind(k, ids=[{"id_type": "National ID", "value": "99-0000-%02d" % k}]),
        "/ids/0/value", "validation_failed", "National ID value does not match ^[0-9]{10}$")
    k = t()
    add("05-birthdate-wrong-format.json", I, ind(k, birthdate="17/05/1990"),
        "/birthdate", "validation_failed", "date not in YYYY-MM-DD form")
    k = t()
    add("06-birthdate-impossible-day.json", I, ind(k, birthdate="1990-02-30"),
        "/birthdate", "validation_failed", "30 February does not exist (E11)")
    k = t()
    add("07-registration-date-in-future.json", I, ind(k, registration_date="2999-01-01"),
        "/registration_date", "validation_failed", "registration date in the future")
    k = t()
    add("08-registration-before-birth.json", I, ind(k, birthdate="1990-05-17", registration_date="1989-12-31"),
        "/registration_date", "validation_failed", "registration date before the birthdate")
    k = t()
    add("09-unknown-gender-code.json", I, ind(k, gender="F"),
        "/gender", "unknown_reference", "gender code not seeded (only Male, Female, Other are)")
    k = t()
    add("10-bank-without-name-and-bic.json", I,
        ind(k, bank_ids=[{"acc_number": "0170 0000 99%02d 1" % k}]),
        "/bank_ids/0", "validation_failed", "bank item has neither bank_name nor bic")
    k = t()
    add("11-unknown-field.json", I, ind(k, nickname="Ami"),
        "/nickname", "validation_failed", "unknown top-level key")
    k = t()
    add("12-empty-given-name.json", I, ind(k, given_name=""),
        "/given_name", "validation_failed", "given_name is empty")
    k = t()
    add("13-ids-wrong-type.json", I,
        ind(k, ids={"id_type": "National ID", "value": "99000000%02d" % k}),
        "/ids", "validation_failed", "ids is an object, not an array")
    k = t()
    add("14-empty-acc-number.json", I,
        ind(k, bank_ids=[{"bank_name": "Orange Money", "acc_number": ""}]),
        "/bank_ids/0/acc_number", "validation_failed", "acc_number is empty")
    k = t()
    add("15-nul-character-in-given-name.json", I, ind(k, given_name="Ami\u0000na"),
        "/given_name", "validation_failed", "U+0000 inside given_name (PostgreSQL text cannot hold it)")
    k = t()
    add("16-not-json.json", I, None, "", "invalid_json", "truncated body, not parseable JSON", status=400,
        raw='{"name": "Amina Diallo", "given_name": "Amina", "ids": [{"id_type": "National ID", \n')
    k = t()
    add("17-acc-number-only-separators.json", I,
        ind(k, bank_ids=[{"bank_name": "Orange Money", "acc_number": " - / - "}]),
        "/bank_ids/0/acc_number", "validation_failed", "acc_number sanitizes to the empty string")
    k = t()
    add("18-id-status-not-allowed.json", I,
        ind(k, ids=[{"id_type": "National ID", "value": "99000000%02d" % k, "status": "expired"}]),
        "/ids/0/status", "validation_failed", "status must be valid or invalid")
    k = t()
    add("19-same-id-type-twice.json", I,
        ind(k, ids=[{"id_type": "National ID", "value": "99000000%02d" % k},
                    {"id_type": "National ID", "value": "99000001%02d" % k}]),
        "/ids/1/id_type", "duplicate_in_request", "two ids of one type on one registrant (Odoo: ID Type must be unique)")
    k = t()
    add("20-bic-bad-shape.json", I,
        ind(k, bank_ids=[{"bank_name": "Orange Money", "bic": "ORANGE-SN", "acc_number": "+221 77 000 00 %02d" % k}]),
        "/bank_ids/0/bic", "validation_failed", "bic is not 8 or 11 characters of the BIC shape")
    k = t()
    add("21-null-acc-number.json", I,
        ind(k, bank_ids=[{"bank_name": "Orange Money", "acc_number": None}]),
        "/bank_ids/0/acc_number", "validation_failed", "explicit null acc_number")
    k = t()
    add("22-group-two-heads.json", G,
        grp(k, [member(k, 0, [{"name": "Head"}]), member(k, 1, [{"name": "Head"}])]),
        "/members/1/kind/0/name", "validation_failed", "two members with the unique kind Head")
    cases[-1]["also_acceptable_pointers"] = ["/members/1/kind", "/members/1"]
    k = t()
    add("23-group-unknown-kind.json", G,
        dict(grp(k, [member(k, 0, [{"name": "Head"}])]), kind="Clan"),
        "/kind", "unknown_reference", "group kind not seeded (Household, Family)")
    k = t()
    add("24-member-unknown-membership-kind.json", G,
        grp(k, [member(k, 0, [{"name": "Head"}]), member(k, 1, [{"name": "Cousin"}])]),
        "/members/1/kind/0/name", "unknown_reference", "membership kind not seeded (Head, Spouse, Child)")
    k = t()
    add("25-member-duplicate-accounts.json", G,
        grp(k, [member(k, 0, [{"name": "Head"}], bank_ids=[
            {"bank_name": "M-Pesa", "acc_number": "+254 700-000-0%02d" % k},
            {"bank_name": "M-Pesa", "acc_number": "+2547000000%02d" % k}])]),
        "/members/0/bank_ids/1/acc_number", "duplicate_in_request",
        "one member's two accounts sanitize to the same number")
    k = t()
    add("26-trailing-comma.json", I, None, "", "invalid_json", "trailing comma: not JSON", status=400,
        raw='{"given_name": "Amina", "family_name": "Diallo",}\n')
    k = t()
    add("27-escape-character-in-family-name.json", I, ind(k, family_name="Dial\u001blo"),
        "/family_name", "validation_failed", "U+001B (ESC) inside family_name")
    k = t()
    add("28-unknown-key-in-bank-item.json", I,
        ind(k, bank_ids=[{"bank_name": "Orange Money", "acc_number": "+221 77 000 00 %02d" % k,
                          "iban": "SN08SN0100152000048500003035"}]),
        "/bank_ids/0/iban", "validation_failed", "unknown key inside a bank item")
    k = t()
    add("29-group-partial-flag-wrong-type.json", G,
        dict(grp(k, [member(k, 0, [{"name": "Head"}])]), is_partial_group="no"),
        "/is_partial_group", "validation_failed", "is_partial_group is a string, not a bool")

    cases_sorted = sorted(cases, key=lambda c: c["file"])
    write_json(os.path.join(base_dir, "expected.json"), cases_sorted)
    write_invalid_readme(base_dir, cases_sorted)


INVALID_README_HEAD = """# Payloads that must be rejected

Generated by `../generate.py`; `expected.json` is the machine-readable form of the table
below. Each file is a valid payload with **exactly one defect**, so a test can post it to
its endpoint and assert:

- the HTTP status: 422, or 400 when the body is not JSON at all;
- a problem+json body whose `errors` contain the JSON pointer in `pointer`. A proxy that
  reports a more specific or a parent pointer may match one of
  `also_acceptable_pointers`. An empty pointer means no field: the whole body is
  unparseable;
- `code` is the `mapping.Error` code we expect. It is advisory: status and pointer are
  the contract;
- nothing was written. No partner carries the file's registration IDs (`99…` National
  IDs, `INV-…` Tax IDs and `VC-99-…` values, which the valid corpus never uses). No
  account with its numbers exists.

Safe to run before or after the valid corpus:
- the ids, account numbers and phone numbers never collide with it;
- the only banks named are BIC-less canonical ones (`Orange Money`, `M-Pesa`,
  `Co-operative Bank of Kenya`) in canonical spelling. A proxy that resolves or creates
  the bank before it notices the defect therefore adds no extra `res.bank`.

Control characters (files 15 and 27) are JSON `\\u0000` / `\\u001b` escapes. The
bytes on disk are valid JSON, and the decoded string holds the character.

| file | endpoint | status | pointer | code | defect |
|---|---|---|---|---|---|
"""


def write_invalid_readme(base_dir, cases):
    rows = []
    for e in cases:
        ptr = "`%s`" % e["pointer"] if e["pointer"] else "(none)"
        for alt in e.get("also_acceptable_pointers", []):
            ptr += " or `%s`" % alt
        rows.append("| `%s` | `%s` | %d | %s | `%s` | %s |" % (
            e["file"], e["endpoint"], e["status"], ptr, e["code"], e["defect"]))
    with open(os.path.join(base_dir, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write(INVALID_README_HEAD + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
