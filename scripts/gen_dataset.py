#!/usr/bin/env python3
"""Generate the embedded synthetic portal data set of ehds-gateway.

Writes src/portal/embedded/{no,se,dk,fi}.json (one `CountryDataSet` each, see
src/portal/model.rs) and then checks them (national identifiers, birth date and sex against
the identifier, references, key uniqueness, scenario ages at the reference date, NO portal
consent, laboratory reports: fields, times, UCUM units, reference ranges). Python 3.11,
standard library only; the output is deterministic.

    python3 scripts/gen_dataset.py            # generate and check
    python3 scripts/gen_dataset.py --check    # only check the committed files

Everything here is synthetic. No identifier belongs to a real person:
  * NO: fødselsnummer/D-number with month + 80 (the synthetic-population convention of
    Skatteetaten's test register); D-number day + 40.
  * SE: personnummer/samordningsnummer with birth numbers 980-999 (the series of Skatteverket's
    published test personnummer, see docs/national-code-systems.md).
  * DK: CPR numbers that deliberately FAIL the old modulus-11 check and are not born on
    1 January; the CPR office has only issued non-mod-11 numbers for 1 January birth dates.
  * FI: HETU with individual numbers 900-999 (the test-number range).
Product numbers, vaccine codes of SE/DK/FI, professional and organisation identifiers and
laboratory accession numbers are synthetic numbers in the national format (see the README and
docs); LOINC, SNOMED CT, NPU, NLK and Kuntaliitto laboratory codes are real codes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "portal" / "embedded"
TODAY = date(2026, 11, 23)  # the reference date of the scenarios
LAST_UPDATE = date(2026, 11, 20)  # no `updated` after this
FIRST_UPDATE = date(2024, 1, 1)  # no `updated` before this

SYS = {
    "NO-FNR": "urn:oid:2.16.578.1.12.4.1.4.1",
    "NO-DNR": "urn:oid:2.16.578.1.12.4.1.4.2",
    "SE-PNR": "urn:oid:1.2.752.129.2.1.3.1",
    "SE-SAM": "urn:oid:1.2.752.129.2.1.3.3",
    "DK-CPR": "urn:oid:1.2.208.176.1.2",
    "FI-HETU": "urn:oid:1.2.246.21",
}

# ---------------------------------------------------------------------------------------------
# National identifiers
# ---------------------------------------------------------------------------------------------

_USED_IDS: set[str] = set()


def _no_controls(first9: str) -> str | None:
    d = [int(c) for c in first9]
    k1 = 11 - sum(a * b for a, b in zip(d, (3, 7, 6, 1, 8, 9, 4, 5, 2))) % 11
    k1 = 0 if k1 == 11 else k1
    if k1 == 10:
        return None
    d.append(k1)
    k2 = 11 - sum(a * b for a, b in zip(d, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))) % 11
    k2 = 0 if k2 == 11 else k2
    if k2 == 10:
        return None
    return f"{k1}{k2}"


def no_id(birth: date, sex: str, start: int, d_number: bool = False) -> dict:
    """Synthetic fødselsnummer (month + 80) or D-number (day + 40, month + 80)."""
    if 1900 <= birth.year <= 1999:
        lo, hi = 0, 499
    elif 2000 <= birth.year <= 2039:
        lo, hi = 500, 999
    else:
        raise ValueError(birth)
    day = birth.day + (40 if d_number else 0)
    prefix = f"{day:02d}{birth.month + 80:02d}{birth.year % 100:02d}"
    for n in range(max(start, lo), hi + 1):
        if (n % 10) % 2 != (1 if sex == "male" else 0):
            continue
        first9 = f"{prefix}{n:03d}"
        ctl = _no_controls(first9)
        if ctl is None or first9 + ctl in _USED_IDS:
            continue
        _USED_IDS.add(first9 + ctl)
        return {"system": SYS["NO-DNR" if d_number else "NO-FNR"], "value": first9 + ctl}
    raise ValueError("no free NO individual number")


def _luhn_digit(digits9: str) -> int:
    total = 0
    for i, c in enumerate(digits9):
        v = int(c) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return (10 - total % 10) % 10


def se_id(birth: date, sex: str, start: int = 980, samordning: bool = False) -> dict:
    """Personnummer (or samordningsnummer, day + 60) with a birth number in 980-999."""
    day = birth.day + (60 if samordning else 0)
    for n in range(max(start, 980), 1000):
        if (n % 10) % 2 != (1 if sex == "male" else 0):
            continue
        short = f"{birth.year % 100:02d}{birth.month:02d}{day:02d}{n:03d}"
        value = f"{birth.year:04d}{birth.month:02d}{day:02d}{n:03d}{_luhn_digit(short)}"
        if value in _USED_IDS:
            continue
        _USED_IDS.add(value)
        return {"system": SYS["SE-SAM" if samordning else "SE-PNR"], "value": value}
    raise ValueError("no free SE birth number")


def _dk_mod11_ok(cpr: str) -> bool:
    return sum(int(c) * w for c, w in zip(cpr, (4, 3, 2, 7, 6, 5, 4, 3, 2, 1))) % 11 == 0


def dk_id(birth: date, sex: str, start: int) -> dict:
    """CPR number whose 7th digit gives the century and which fails modulus 11 on purpose."""
    if birth.month == 1 and birth.day == 1:
        raise ValueError("avoid 1 January: real non-mod-11 numbers are issued for that date")
    yy = birth.year % 100
    if 1900 <= birth.year <= 1999:
        sevenths = (0, 1, 2, 3)
    elif 2000 <= birth.year <= 2036:
        sevenths = (4, 9, 5, 6, 7, 8)
    else:
        raise ValueError(birth)
    for serial in range(start, 1000):
        for s7 in sevenths:
            value = f"{birth.day:02d}{birth.month:02d}{yy:02d}{s7}{serial:03d}"
            if int(value[-1]) % 2 != (1 if sex == "male" else 0):
                continue
            if _dk_mod11_ok(value) or value in _USED_IDS:
                continue
            _USED_IDS.add(value)
            return {"system": SYS["DK-CPR"], "value": value}
    raise ValueError("no free CPR")


FI_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def fi_id(birth: date, sex: str, start: int = 900) -> dict:
    """HETU with a test individual number 900-999."""
    sign = "-" if 1900 <= birth.year <= 1999 else "A" if 2000 <= birth.year <= 2099 else None
    if sign is None:
        raise ValueError(birth)
    ddmmyy = f"{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}"
    for z in range(max(start, 900), 1000):
        if z % 2 != (1 if sex == "male" else 0):
            continue
        value = f"{ddmmyy}{sign}{z:03d}{FI_CHECK[int(ddmmyy + f'{z:03d}') % 31]}"
        if value in _USED_IDS:
            continue
        _USED_IDS.add(value)
        return {"system": SYS["FI-HETU"], "value": value}
    raise ValueError("no free HETU")


# ---------------------------------------------------------------------------------------------
# Organisation identifiers (synthetic, national format)
# ---------------------------------------------------------------------------------------------


def no_orgnr(seed: int) -> str:
    """9-digit organisasjonsnummer with its mod-11 digit, in the 31x xxx xxx series that the
    synthetic Enhetsregisteret of the test environment uses (real units start with 8 or 9)."""
    n = 310_000_00 + seed * 7919 % 1_000_000
    while True:
        body = f"{n:08d}"
        r = 11 - sum(int(c) * w for c, w in zip(body, (3, 2, 7, 6, 5, 4, 3, 2))) % 11
        if r == 11:
            return body + "0"
        if r != 10:
            return body + str(r)
        n += 1


_VD = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
       [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
       [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
       [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
_VP = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
       [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 7, 8, 6, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
       [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]
_VINV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def _verhoeff_digit(s: str) -> str:
    c = 0
    for i, ch in enumerate(reversed(s)):
        c = _VD[c][_VP[(i + 1) % 8][int(ch)]]
    return str(_VINV[c])


def dk_sor(item: int) -> str:
    """SOR code: an SCTID in the Danish namespace 1000016 (item + 1000016 + partition 00 +
    Verhoeff check digit), like the real SOR codes; the item numbers here are made up."""
    body = f"{item}100001600"
    return body + _verhoeff_digit(body)


def fi_oid(company: int, unit: int) -> str:
    """SOTE organisation register style OID (1.2.246.10.<company>.10.<unit>); synthetic."""
    return f"1.2.246.10.{company}.10.{unit}"


# ---------------------------------------------------------------------------------------------
# Time helpers
# ---------------------------------------------------------------------------------------------


def _last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return d - timedelta(days=(d.weekday() + 1) % 7)


def _offset_hours(country: str, d: date) -> int:
    """Local UTC offset (EU summer time: last Sunday of March to last Sunday of October)."""
    base = 2 if country == "FI" else 1
    summer = _last_sunday(d.year, 3) <= d < _last_sunday(d.year, 10)
    return base + (1 if summer else 0)


def _hash(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:8], 16)


def ts(country: str, d: date, key: str = "") -> str:
    """RFC 3339 timestamp on date `d`, office hours, local offset; deterministic per key."""
    h = _hash(country, d, key)
    hour, minute, second = 8 + h % 9, (h >> 4) % 60, (h >> 10) % 60
    off = _offset_hours(country, d)
    dt = datetime(d.year, d.month, d.day, hour, minute, second, tzinfo=timezone(timedelta(hours=off)))
    return dt.isoformat()


def upd(country: str, key: str, *dates: date | None, lag: int = 3) -> str:
    """`updated`: a little after the latest given date, kept within 2024-01-01..2026-11-20."""
    latest = max([d for d in dates if d] or [FIRST_UPDATE])
    d = latest + timedelta(days=lag + _hash(key) % 5)
    if d < FIRST_UPDATE:
        d = FIRST_UPDATE + timedelta(days=20 + _hash(key, "u") % 300)
    if d > LAST_UPDATE:
        d = LAST_UPDATE - timedelta(days=_hash(key, "l") % 3)
    return ts(country, d, key + "/updated")


def D(s: str) -> date:
    return date.fromisoformat(s)


def age(birth: date, at: date = TODAY) -> int:
    return at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))


# ---------------------------------------------------------------------------------------------
# Catalogues: ATC display in the national language, a synthetic national product code in
# the national format, the product name with strength/form, a dosage text and a dispensed
# quantity.
# ---------------------------------------------------------------------------------------------

# (ATC, NO ATC name, product display, dosage text, quantity)
NO_DRUGS = {
    "C09AA05": ("ramipril", "Ramipril Sandoz tab 5 mg", "1 tablett om morgenen", "100 tabletter"),
    "A10BA02": ("metformin", "Metformin Teva tab 500 mg", "1 tablett 2 ganger daglig til måltid", "100 tabletter"),
    "C10AA05": ("atorvastatin", "Atorvastatin Krka tab 20 mg", "1 tablett om kvelden", "98 tabletter"),
    "B01AF02": ("apiksaban", "Eliquis tab 5 mg", "1 tablett morgen og kveld", "168 tabletter"),
    "C07AB02": ("metoprolol", "Metoprolol Sandoz depottab 50 mg", "1 depottablett om morgenen", "100 depottabletter"),
    "C03CA01": ("furosemid", "Furix tab 40 mg", "1 tablett om morgenen", "100 tabletter"),
    "A02BC02": ("pantoprazol", "Pantoprazol Actavis enterotab 20 mg", "1 tablett daglig før frokost", "98 tabletter"),
    "A02BC01": ("omeprazol", "Omeprazol Mylan enterokaps 20 mg", "1 kapsel daglig før frokost", "98 kapsler"),
    "M04AA01": ("allopurinol", "Allopurinol Orion tab 100 mg", "1 tablett daglig", "100 tabletter"),
    "A12AX": ("kalsium, kombinasjoner med vitamin D og/eller andre midler",
              "Calcigran Forte tyggetab 1000 mg/800 IE", "1 tyggetablett daglig", "90 tyggetabletter"),
    "M05BA04": ("alendronsyre", "Alendronat Mylan tab 70 mg", "1 tablett én gang i uken, fastende med et glass vann", "12 tabletter"),
    "N02BE01": ("paracetamol", "Paracet tab 500 mg", "1–2 tabletter ved behov, høyst 8 tabletter i døgnet", "100 tabletter"),
    "G04CA02": ("tamsulosin", "Tamsulosin Sandoz depotkaps 0,4 mg", "1 kapsel daglig etter frokost", "100 kapsler"),
    "A06AD65": ("makrogol, kombinasjoner", "Movicol pulv til mikstur", "1 dosepose daglig, løses i et glass vann", "100 doseposer"),
    "S01ED01": ("timolol", "Timosan øyedråper 2,5 mg/ml", "1 dråpe i hvert øye 2 ganger daglig", "1 flaske à 5 ml"),
    "N05CF01": ("zopiklon", "Imovane tab 5 mg", "1 tablett ved behov om kvelden", "10 tabletter"),
    "C08CA01": ("amlodipin", "Amlodipin Actavis tab 5 mg", "1 tablett daglig", "98 tabletter"),
    "N02AJ06": ("kodein og paracetamol", "Paralgin forte tab 400 mg/30 mg", "1–2 tabletter ved sterke smerter, høyst 6 i døgnet", "20 tabletter"),
    "J01CA04": ("amoksicillin", "Amoxicillin Mylan kaps 500 mg", "1 kapsel 3 ganger daglig i 7 dager", "21 kapsler"),
    "H02AB06": ("prednisolon", "Prednisolon Takeda tab 5 mg", "6 tabletter om morgenen i 5 dager", "30 tabletter"),
    "N06AB10": ("escitalopram", "Escitalopram Krka tab 10 mg", "1 tablett daglig", "98 tabletter"),
    "B03BA01": ("cyanokobalamin", "Behepan tab 1 mg", "1 tablett daglig", "100 tabletter"),
    "N06AB06": ("sertralin", "Sertralin Sandoz tab 50 mg", "1 tablett daglig om morgenen", "98 tabletter"),
    "N05BA04": ("oksazepam", "Sobril tab 10 mg", "1 tablett ved behov, høyst 2 i døgnet", "25 tabletter"),
    "R03AC02": ("salbutamol", "Ventoline inh.aerosol 0,1 mg/dose", "1–2 inhalasjoner ved behov", "1 inhalator à 200 doser"),
    "R03AK07": ("formoterol og budesonid", "Symbicort Turbuhaler inh.pulv 160/4,5 µg/dose", "1 inhalasjon morgen og kveld", "1 inhalator à 120 doser"),
    "J01CE02": ("fenoksymetylpenicillin", "Apocillin tab 660 mg", "1 tablett 4 ganger daglig i 7 dager", "28 tabletter"),
    "H03AA01": ("levotyroksinnatrium", "Levaxin tab 75 µg", "1 tablett om morgenen, fastende", "100 tabletter"),
    "G03AA12": ("drospirenon og etinyløstradiol", "Yasmin tab 3 mg/0,03 mg", "1 tablett daglig i 21 dager, deretter 7 dagers pause", "3 x 21 tabletter"),
    "R06AE07": ("cetirizin", "Cetirizin Mylan tab 10 mg", "1 tablett daglig i pollensesongen", "30 tabletter"),
    "D07AC01": ("betametason", "Betnovat krem 1 mg/g", "Smøres tynt på eksemområdene 1 gang daglig i 1 uke", "1 tube à 30 g"),
    "R01AD09": ("mometason", "Nasonex nesespray 50 µg/dose", "2 spray i hvert nesebor daglig", "1 flaske à 140 doser"),
    "C10AA01": ("simvastatin", "Simvastatin Krka tab 20 mg", "1 tablett om kvelden", "98 tabletter"),
    "M01AE01": ("ibuprofen", "Ibux tab 400 mg", "1 tablett inntil 3 ganger daglig ved behov, til mat", "30 tabletter"),
}

SE_DRUGS = {
    "H03AA01": ("levotyroxinnatrium", "Levaxin 75 mikrogram tablett", "1 tablett på morgonen på fastande mage", "100 tabletter"),
    "C09AA05": ("ramipril", "Ramipril Sandoz 5 mg tablett", "1 tablett på morgonen", "100 tabletter"),
    "C08CA01": ("amlodipin", "Amlodipin Krka 5 mg tablett", "1 tablett dagligen", "100 tabletter"),
    "A10BA02": ("metformin", "Metformin Mylan 500 mg filmdragerad tablett", "1 tablett 2 gånger dagligen i samband med måltid", "100 tabletter"),
    "C03CA01": ("furosemid", "Furix 40 mg tablett", "1 tablett på morgonen", "100 tabletter"),
    "C07AB02": ("metoprolol", "Metoprolol Sandoz 50 mg depottablett", "1 depottablett på morgonen", "100 depottabletter"),
    "B01AC06": ("acetylsalicylsyra", "Trombyl 75 mg tablett", "1 tablett dagligen", "100 tabletter"),
    "C10AA05": ("atorvastatin", "Atorvastatin Teva 40 mg filmdragerad tablett", "1 tablett på kvällen", "100 tabletter"),
    "N02BE01": ("paracetamol", "Alvedon 500 mg filmdragerad tablett", "1–2 tabletter vid behov, högst 8 tabletter per dygn", "100 tabletter"),
    "R03AC02": ("salbutamol", "Ventoline Evohaler 0,1 mg/dos inhalationsspray, suspension", "1–2 inhalationer vid behov", "1 inhalator à 200 doser"),
    "R03BA02": ("budesonid", "Pulmicort Turbuhaler 200 mikrogram/dos inhalationspulver", "1 inhalation morgon och kväll", "1 inhalator à 100 doser"),
    "D07AB02": ("hydrokortisonbutyrat", "Locoid 0,1 % kräm", "Smörjs tunt på eksemet 1 gång dagligen i högst 2 veckor", "1 tub à 30 g"),
    "R06AX27": ("desloratadin", "Aerius 5 mg filmdragerad tablett", "1 tablett dagligen under pollensäsongen", "30 tabletter"),
    "R01AD09": ("mometason", "Nasonex 50 mikrogram/dos nässpray, suspension", "2 sprayningar i varje näsborre dagligen", "1 flaska à 140 doser"),
    "N06BA04": ("metylfenidat", "Concerta 36 mg depottablett", "1 depottablett på morgonen", "30 depottabletter"),
    "N06AB06": ("sertralin", "Sertralin Teva 50 mg filmdragerad tablett", "1 tablett dagligen", "100 tabletter"),
    "J01CE02": ("fenoximetylpenicillin", "Kåvepenin 1 g filmdragerad tablett", "1 tablett 3 gånger dagligen i 10 dagar", "30 tabletter"),
    "N02CC01": ("sumatriptan", "Sumatriptan Orion 50 mg filmdragerad tablett", "1 tablett vid migränanfall, högst 2 per dygn", "12 tabletter"),
    "M01AE01": ("ibuprofen", "Ipren 400 mg filmdragerad tablett", "1 tablett upp till 3 gånger dagligen vid behov", "30 tabletter"),
    "G03AA12": ("drospirenon och etinylestradiol", "Yasmin 3 mg/0,03 mg filmdragerad tablett", "1 tablett dagligen i 21 dagar, därefter 7 dagars uppehåll", "3 x 21 tabletter"),
}

DK_DRUGS = {
    "A10BA02": ("metformin", "Metformin \"Sandoz\" filmovertrukne tabletter 500 mg", "1 tablet 2 gange daglig til måltid", "100 stk."),
    "C09AA05": ("ramipril", "Ramipril \"Actavis\" tabletter 5 mg", "1 tablet om morgenen", "100 stk."),
    "C10AA01": ("simvastatin", "Simvastatin \"Actavis\" filmovertrukne tabletter 40 mg", "1 tablet til aftensmaden", "100 stk."),
    "N02BE01": ("paracetamol", "Pamol filmovertrukne tabletter 500 mg", "1-2 tabletter ved behov, højst 8 i døgnet", "100 stk."),
    "R03AC02": ("salbutamol", "Ventoline inhalationsspray 0,1 mg/dosis", "1-2 pust ved behov", "200 doser"),
    "R03AK07": ("formoterol og budesonid", "Symbicort Turbuhaler inhalationspulver 160+4,5 mikrogram/dosis", "1 pust morgen og aften", "120 doser"),
    "H03AA01": ("levothyroxinnatrium", "Eltroxin tabletter 50 mikrogram", "1 tablet om morgenen på tom mave", "100 stk."),
    "J01CE02": ("phenoxymethylpenicillin", "Primcillin tabletter 800 mg", "1 tablet 3 gange daglig i 7 dage", "21 stk."),
    "D07AB02": ("hydrocortisonbutyrat", "Locoid creme 0,1 %", "Smøres tyndt på eksem 1 gang daglig i højst 2 uger", "30 g"),
    "R06AE07": ("cetirizin", "Cetirizin \"Teva\" filmovertrukne tabletter 10 mg", "1 tablet daglig i pollensæsonen", "30 stk."),
    "N06AB04": ("citalopram", "Citalopram \"Teva\" filmovertrukne tabletter 20 mg", "1 tablet daglig", "100 stk."),
    "C08CA01": ("amlodipin", "Amlodipin \"Krka\" tabletter 5 mg", "1 tablet daglig", "100 stk."),
    "B01AC06": ("acetylsalicylsyre", "Hjertemagnyl filmovertrukne tabletter 75 mg", "1 tablet daglig", "100 stk."),
    "M05BA04": ("alendronsyre", "Alendronat \"Teva\" tabletter 70 mg", "1 tablet 1 gang ugentligt, fastende med et glas vand", "12 stk."),
    "A12AX": ("calcium, kombinationer med D-vitamin og/eller andre lægemidler",
              "Calcichew-D3 tyggetabletter 500 mg/400 IE", "1 tyggetablet 2 gange daglig", "180 stk."),
    "R03BB04": ("tiotropiumbromid", "Spiriva Respimat inhalationsvæske 2,5 mikrogram/pust", "2 pust 1 gang daglig", "60 pust"),
    "G04CA02": ("tamsulosin", "Tamsulosin \"Sandoz\" depotkapsler 0,4 mg", "1 kapsel daglig efter morgenmad", "100 stk."),
    "N05CF01": ("zopiclon", "Zopiclon \"Orion\" filmovertrukne tabletter 7,5 mg", "1 tablet ved behov til natten", "10 stk."),
    "M01AE01": ("ibuprofen", "Ibuprofen \"Sandoz\" filmovertrukne tabletter 400 mg", "1 tablet op til 3 gange daglig ved behov, sammen med mad", "30 stk."),
}

FI_DRUGS = {
    "C09AA05": ("ramipriili", "RAMIPRIL ORION tabletti 5 mg", "1 tabletti aamulla", "98 tablettia"),
    "A10BA02": ("metformiini", "METFORMIN SANDOZ tabletti, kalvopäällysteinen 500 mg", "1 tabletti 2 kertaa päivässä aterian yhteydessä", "100 tablettia"),
    "N02BE01": ("parasetamoli", "PANADOL tabletti, kalvopäällysteinen 500 mg", "1–2 tablettia tarvittaessa, enintään 8 tablettia vuorokaudessa", "100 tablettia"),
    "R03AC02": ("salbutamoli", "VENTOLINE EVOHALER inhalaatiosumute, suspensio 0,1 mg/annos", "1–2 inhalaatiota tarvittaessa", "200 annosta"),
    "R03BA02": ("budesonidi", "PULMICORT TURBUHALER inhalaatiojauhe 200 mikrog/annos", "1 inhalaatio aamuin illoin", "200 annosta"),
    "C10AA05": ("atorvastatiini", "ATORVASTATIN KRKA tabletti, kalvopäällysteinen 20 mg", "1 tabletti illalla", "100 tablettia"),
    "H03AA01": ("levotyroksiininatrium", "THYROXIN tabletti 50 mikrog", "1 tabletti aamulla tyhjään mahaan", "100 tablettia"),
    "J01CE02": ("fenoksimetyylipenisilliini", "V-PEN MEGA tabletti, kalvopäällysteinen 1 milj. IU", "1 tabletti 3 kertaa päivässä 10 vuorokauden ajan", "30 tablettia"),
    "J01CA04": ("amoksisilliini", "AMORION tabletti 500 mg", "1 tabletti 3 kertaa päivässä 7 vuorokauden ajan", "21 tablettia"),
    "D07AB02": ("hydrokortisonibutyraatti", "LOCOID emulsiovoide 0,1 %", "Ohuelti ihottuma-alueille kerran päivässä enintään 2 viikon ajan", "30 g"),
    "R06AX27": ("desloratadiini", "AERIUS tabletti, kalvopäällysteinen 5 mg", "1 tabletti päivittäin siitepölykauden aikana", "30 tablettia"),
    "N06AB06": ("sertraliini", "SERTRALIN ORION tabletti, kalvopäällysteinen 50 mg", "1 tabletti aamulla", "98 tablettia"),
    "N05BA04": ("oksatsepaami", "OPAMOX tabletti 15 mg", "1 tabletti tarvittaessa, enintään 2 vuorokaudessa", "30 tablettia"),
    "C08CA01": ("amlodipiini", "AMLODIPIN ORION tabletti 5 mg", "1 tabletti päivittäin", "100 tablettia"),
    "B01AF02": ("apiksabaani", "ELIQUIS tabletti, kalvopäällysteinen 5 mg", "1 tabletti aamuin illoin", "168 tablettia"),
    "N06DA02": ("donepetsiili", "DONEPEZIL ACCORD tabletti, kalvopäällysteinen 5 mg", "1 tabletti iltaisin", "98 tablettia"),
    "M01AE01": ("ibuprofeeni", "BURANA tabletti, kalvopäällysteinen 400 mg", "1 tabletti enintään 3 kertaa päivässä tarvittaessa", "30 tablettia"),
    "A11CC05": ("kolekalsiferoli", "D-VITAMIINI tabletti 20 mikrog", "1 tabletti päivittäin", "100 tablettia"),
}

# Vaccines: ATC -> per-country ATC name. J07BN01 is the ATC code of RNA covid-19 vaccines since
# the 2024 ATC index (they were J07BX03 before); registers re-code old doses to the current code.
VACC_ATC = {
    "J07BB02": {"NO": "influensa, inaktivert, splittet virus eller overflateantigen",
                "SE": "influensa, inaktiverat, splitvirus eller ytantigen",
                "DK": "influenza, inaktiveret, spaltet virus eller overfladeantigen",
                "FI": "influenssa, inaktivoitu, pilkottu virus tai pinta-antigeeni"},
    "J07BN01": {"NO": "covid-19, RNA-basert vaksine", "SE": "covid-19, RNA-baserat vaccin",
                "DK": "covid-19, RNA-baseret vaccine", "FI": "covid-19, RNA-pohjainen rokote"},
    "J07BD52": {"NO": "meslinger, kombinasjoner med kusma og røde hunder, levende svekket",
                "SE": "mässling, kombinationer med påssjuka och röda hund, levande försvagat",
                "DK": "mæslinger, kombinationer med fåresyge og røde hunde, levende svækket",
                "FI": "tuhkarokko, yhdistelmät sikotaudin ja vihurirokon kanssa, elävä heikennetty"},
    "J07CA09": {"NO": "difteri-haemophilus influenzae B-kikhoste-poliomyelitt-tetanus-hepatitt B",
                "SE": "difteri-haemophilus influenzae B-pertussis-poliomyelit-tetanus-hepatit B",
                "DK": "difteri-haemophilus influenzae B-pertussis-poliomyelitis-tetanus-hepatitis B",
                "FI": "kurkkumätä-Haemophilus influenzae B-hinkuyskä-polio-jäykkäkouristus-hepatiitti B"},
    "J07CA06": {"NO": "difteri-haemophilus influenzae B-kikhoste-poliomyelitt-tetanus",
                "SE": "difteri-haemophilus influenzae B-pertussis-poliomyelit-tetanus",
                "DK": "difteri-haemophilus influenzae B-pertussis-poliomyelitis-tetanus",
                "FI": "kurkkumätä-Haemophilus influenzae B-hinkuyskä-polio-jäykkäkouristus"},
    "J07AJ52": {"NO": "kikhoste, renset antigen, kombinasjoner med toksoider",
                "SE": "pertussis, renat antigen, kombinationer med toxoider",
                "DK": "pertussis, oprenset antigen, kombinationer med toxoider",
                "FI": "hinkuyskä, puhdistettu antigeeni, yhdistelmät toksoidien kanssa"},
    "J07CA02": {"NO": "difteri-kikhoste-poliomyelitt-tetanus", "SE": "difteri-pertussis-poliomyelit-tetanus",
                "DK": "difteri-pertussis-poliomyelitis-tetanus", "FI": "kurkkumätä-hinkuyskä-polio-jäykkäkouristus"},
    "J07AL02": {"NO": "pneumokokk, renset polysakkaridantigen konjugert",
                "SE": "pneumokocker, renat polysackaridantigen, konjugerat",
                "DK": "pneumokokker, oprenset polysaccharidantigen, konjugeret",
                "FI": "pneumokokki, puhdistettu polysakkaridiantigeeni, konjugoitu"},
    "J07BH01": {"NO": "rotavirus, levende svekket", "SE": "rotavirus, levande försvagat",
                "DK": "rotavirus, levende svækket", "FI": "rotavirus, elävä heikennetty"},
    "J07BM02": {"NO": "papillomavirus (humane typer 16, 18)", "SE": "papillomvirus (humana typer 16, 18)",
                "DK": "papillomavirus (humane typer 16, 18)", "FI": "papilloomavirus (ihmisen tyypit 16, 18)"},
    "J07BM03": {"NO": "papillomavirus (humane typer 6, 11, 16, 18, 31, 33, 45, 52, 58)",
                "SE": "papillomvirus (humana typer 6, 11, 16, 18, 31, 33, 45, 52, 58)",
                "DK": "papillomavirus (humane typer 6, 11, 16, 18, 31, 33, 45, 52, 58)",
                "FI": "papilloomavirus (ihmisen tyypit 6, 11, 16, 18, 31, 33, 45, 52, 58)"},
    "J07BA01": {"NO": "skogflåttencefalitt, inaktivert, helt virus", "SE": "fästingburen encefalit, inaktiverat, helvirus",
                "DK": "flåtbåren hjernebetændelse, inaktiveret, helt virus", "FI": "puutiaisaivotulehdus, inaktivoitu, kokonainen virus"},
    "J07AM51": {"NO": "tetanustoksoid, kombinasjoner med difteritoksoid", "SE": "tetanustoxoid, kombinationer med difteritoxoid",
                "DK": "tetanustoxoid, kombinationer med difteritoxoid", "FI": "jäykkäkouristustoksoidi, yhdistelmät kurkkumätätoksoidin kanssa"},
}

# Norwegian SYSVAK vaccine codes (real codes of the national immunisation register; the
# display texts are descriptive). J07CA02 boosters and TBE are left without a SYSVAK code here.
SYSVAK = {
    "J07BB02": ("FLU02", "Influensa, inaktivert vaksine"),
    "J07BB02-ADJ": ("AII02", "Adjuvantert inaktivert influensavaksine"),
    "J07BN01": ("BNT03", "Covid-19 mRNA-vaksine (Comirnaty)"),
    "J07BD52": ("MMR52", "Meslinger, kusma og røde hunder (MMR)"),
    "J07CA09": ("KOM09", "Difteri, stivkrampe, kikhoste, polio, Hib og hepatitt B (seksvalent)"),
    "J07AL02": ("PNE13", "Pneumokokk, konjugert vaksine (13-valent)"),
    "J07BH01": ("ROT01", "Rotavirus, levende svekket vaksine"),
    "J07BM02": ("HPV02", "Humant papillomavirus (2-valent)"),
}

SE_VACCINE_PRODUCTS = {  # NPL-id style (synthetic numbers), product name
    "J07BB02": "Vaxigrip Tetra injektionsvätska, suspension i förfylld spruta",
    "J07BN01": "Comirnaty JN.1 30 mikrogram/dos injektionsvätska, dispersion",
    "J07BD52": "M-M-RvaxPro pulver och vätska till injektionsvätska, suspension",
    "J07CA09": "Infanrix hexa pulver och vätska till injektionsvätska, suspension",
    "J07AL02": "Vaxneuvance injektionsvätska, suspension i förfylld spruta",
    "J07BH01": "Rotarix oral suspension i förfylld oral applikator",
    "J07BM03": "Gardasil 9 injektionsvätska, suspension i förfylld spruta",
    "J07CA02": "Tetravac injektionsvätska, suspension i förfylld spruta",
    "J07AJ52": "Boostrix injektionsvätska, suspension i förfylld spruta",
    "J07BA01": "FSME-IMMUN 0,5 ml injektionsvätska, suspension i förfylld spruta",
}
DK_VACCINE_PRODUCTS = {  # DDV vaccine name; identifier synthetic, some absent on purpose
    "J07BB02": "Influvac Tetra",
    "J07BN01": "Comirnaty JN.1",
    "J07BD52": "M-M-RVAXPRO",
    "J07CA06": "DiTeKiPol/Act-Hib",
    "J07AL02": "Prevenar 13",
    "J07BM03": "Gardasil 9",
    "J07CA02": "DiTeKiPol Booster",
}
FI_VACCINE_PRODUCTS = {  # VNR style (synthetic numbers), product name
    "J07BB02": "VAXIGRIP TETRA injektioneste, suspensio, esitäytetty ruisku",
    "J07BN01": "COMIRNATY JN.1 injektioneste, dispersio 30 mikrog/annos",
    "J07BD52": "M-M-RVAXPRO injektiokuiva-aine ja liuotin, suspensiota varten",
    "J07CA06": "PENTAVAC injektiokuiva-aine ja liuotin, suspensiota varten",
    "J07AL02": "PREVENAR 13 injektioneste, suspensio",
    "J07BH01": "ROTARIX oraalisuspensio",
    "J07BM02": "CERVARIX injektioneste, suspensio, esitäytetty ruisku",
    "J07BA01": "TICOVAC injektioneste, suspensio, esitäytetty ruisku",
}


def product_code(country: str, atc: str, display: str) -> str:
    h = _hash(country, atc, display)
    if country == "NO":  # FEST varenummer: 6 digits
        return f"{h % 1_000_000:06d}"
    if country == "SE":  # NPL-id: registration date YYYYMMDD + 6 digits
        reg = date(1995, 1, 1) + timedelta(days=h % 9000)
        return f"{reg:%Y%m%d}{100000 + (h >> 8) % 900000:06d}"
    if country == "DK":  # Lægemiddelstyrelsen Drug ID: 11 digits, 2810xxxxxxx
        return f"2810{h % 10_000_000:07d}"
    if country == "FI":  # VNR: 6 digits
        return f"{h % 1_000_000:06d}"
    raise ValueError(country)


# SNOMED CT concepts used for allergies and intolerances (code -> display)
SCT = {
    "91936005": "Allergy to penicillin",
    "294505008": "Allergy to amoxicillin",
    "91935009": "Allergy to peanut",
    "91934008": "Allergy to nut",
    "300913006": "Shellfish allergy",
    "91930004": "Allergy to eggs",
    "425525006": "Allergy to dairy product",
    "418689008": "Allergy to grass pollen",
    "424213003": "Allergy to bee venom",
    "300916003": "Latex allergy",
    "387494007": "Codeine",
    "373444002": "Atorvastatin",
    "47703008": "Lactose",
    "387458008": "Aspirin",
    # reactions
    "271807003": "Eruption of skin",
    "39579001": "Anaphylaxis",
    "126485001": "Urticaria",
    "422587007": "Nausea",
    "68962001": "Muscle pain",
    "62315008": "Diarrhea",
    "267036007": "Dyspnea",
    "41291007": "Angioedema",
    "422400008": "Vomiting",
}

# ---------------------------------------------------------------------------------------------
# Laboratory catalogue: LOINC, the UCUM unit and the national test code of each analyte.
#   NO: Norsk laboratoriekodeverk (NLK, Volven 7280): NPU codes plus national NOR codes, with the
#       NLK "norsk bruksnavn" as display (checked against NLK version 7280.77).
#   SE: NPU codes with the Swedish short names shown in 1177.
#   DK: NPU codes with Danish NPU short names. The Danish eGFR code (DNK35302) belongs to the
#       Danish national extension, not to the international NPU terminology, so eGFR carries
#       LOINC only in DK (and in SE, where no NPU code for it was confirmed).
#   FI: Kuntaliitto's Laboratoriotutkimusnimikkeistö (the number; display "abbreviation, name").
#       It has no per-antibiotic susceptibility codes, so FI susceptibility results carry LOINC
#       only.
# ---------------------------------------------------------------------------------------------

LAB = {
    "na": {"loinc": ("2951-2", "Sodium [Moles/volume] in Serum or Plasma"), "unit": "mmol/L",
           "NO": ("NPU03429", "P-Natrium"), "SE": ("NPU03429", "P-Natrium"),
           "DK": ("NPU03429", "P—Natrium; stofk."), "FI": ("3622", "P -Na, Natrium")},
    "k": {"loinc": ("2823-3", "Potassium [Moles/volume] in Serum or Plasma"), "unit": "mmol/L",
          "NO": ("NPU03230", "P-Kalium"), "SE": ("NPU03230", "P-Kalium"),
          "DK": ("NPU03230", "P—Kalium; stofk."), "FI": ("1999", "P -K, Kalium")},
    "krea": {"loinc": ("14682-9", "Creatinine [Moles/volume] in Serum or Plasma"), "unit": "umol/L",
             "NO": ("NPU18016", "P-Kreatinin"), "SE": ("NPU18016", "P-Kreatinin"),
             "DK": ("NPU18016", "P—Kreatininium; stofk."), "FI": ("4600", "P -Krea, Kreatiniini")},
    "egfr": {"loinc": ("62238-1", "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] "
                                  "in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI)"),
             "unit": "mL/min/{1.73_m2}",
             "NO": ("NOR25909", "Nyre-estimert GFR CKD-EPI Kreatinin (overfl.=1,73m2)"), "SE": None,
             "DK": None, "FI": ("6354", "Pt-GFRe, Glomerulussuodosnopeus, estimoitu")},
    "crp": {"loinc": ("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma"), "unit": "mg/L",
            "NO": ("NPU19748", "P-CRP"), "SE": ("NPU19748", "P-CRP"),
            "DK": ("NPU19748", "P—C-reaktivt protein; massek."),
            "FI": ("4594", "P -CRP, C-reaktiivinen proteiini")},
    "alat": {"loinc": ("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma"),
             "unit": "U/L", "NO": ("NPU19651", "P-ALAT"), "SE": ("NPU19651", "P-ALAT"),
             "DK": ("NPU19651", "P—Alanintransaminase; kat.k."),
             "FI": ("1024", "P -ALAT, Alaniiniaminotransferaasi")},
    "gluk": {"loinc": ("14749-6", "Glucose [Moles/volume] in Serum or Plasma"), "unit": "mmol/L",
             "NO": ("NPU02192", "P-Glukose"), "SE": ("NPU02192", "P-Glukos"),
             "DK": ("NPU02192", "P—Glucose; stofk."), "FI": ("1471", "P -Gluk, Glukoosi")},
    "hba1c": {"loinc": ("59261-8", "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol"),
              "unit": "mmol/mol", "NO": ("NPU27300", "B-HbA1c"), "SE": ("NPU27300", "B-HbA1c"),
              "DK": ("NPU27300", "Hb(B)—Hæmoglobin A1c(IFCC); stoffr."),
              "FI": ("6128", "B -HbA1c, Hemoglobiini-A1c")},
    "kol": {"loinc": ("14647-2", "Cholesterol [Moles/volume] in Serum or Plasma"), "unit": "mmol/L",
            "NO": ("NPU01566", "P-Kolesterol"), "SE": ("NPU01566", "P-Kolesterol"),
            "DK": ("NPU01566", "P—Kolesterol; stofk."), "FI": ("4515", "fP-Kol, Kolesteroli")},
    # Haemoglobin: g/dL in Norway (NLK NOR05172), g/L in Sweden (NPU28309) and Finland,
    # mmol/L in Denmark (NPU02319, substance concentration).
    "hb": {"loinc": ("718-7", "Hemoglobin [Mass/volume] in Blood"),
           "NO": ("NOR05172", "B-Hemoglobin"), "SE": ("NPU28309", "B-Hemoglobin (Hb)"),
           "FI": ("1552", "B -Hb, Hemoglobiini")},
    "hb-dk": {"loinc": ("59260-0", "Hemoglobin [Moles/volume] in Blood"), "unit": "mmol/L",
              "DK": ("NPU02319", "B—Hæmoglobin(Fe); stofk.")},
    "leuk": {"loinc": ("6690-2", "Leukocytes [#/volume] in Blood by Automated count"), "unit": "10*9/L",
             "NO": ("NPU02593", "B-Leukocytter"), "SE": ("NPU02593", "B-Leukocyter"),
             "DK": ("NPU02593", "B—Leukocytter; antalk."), "FI": ("2218", "B -Leuk, Leukosyytit")},
    "trc": {"loinc": ("777-3", "Platelets [#/volume] in Blood by Automated count"), "unit": "10*9/L",
            "NO": ("NPU03568", "B-Trombocytter"), "SE": ("NPU03568", "B-Trombocyter"),
            "DK": ("NPU03568", "B—Trombocytter; antalk."), "FI": ("2791", "B -Trom, Trombosyytit")},
    "mcv": {"loinc": ("787-2", "Erythrocyte mean corpuscular volume [Entitic volume] by Automated count"),
            "unit": "fL",
            "NO": ("NPU01944", "Ery-MCV"), "FI": ("1357", "E -MCV, Erytrosyytit, keskitilavuus")},
    "ucult": {"loinc": ("630-4", "Bacteria identified in Urine by Culture"),
              "NO": ("NPU06073", "U-Bakterier dyrkning"), "SE": ("NPU06073", "U-Bakterier, odling"),
              "DK": ("NPU06073", "U—Bakterie; taxon(proc.)"), "FI": ("1155", "U -BaktVi, Bakteeri, viljely")},
    "covid": {"loinc": ("94500-6", "SARS-CoV-2 (COVID-19) RNA [Presence] in Respiratory system specimen "
                                   "by NAA with probe detection"),
              "NO": ("NPU59105", "Sekr(Nasoph)-SARS-CoV-2 RNA"),
              "SE": ("NPU59105", "Nasofarynxsekret-SARS-CoV-2 RNA"),
              "DK": ("NPU59105", "Sekr(Nasoph)—SARS-CoV-2(RNA); arb.k.(proc.)"),
              "FI": ("6466", "-CV19NhO, COVID-19-koronavirustauti, nukleiinihappo (kval)")},
}
LAB_UNIT_BY_COUNTRY = {("hb", "NO"): "g/dL", ("hb", "SE"): "g/L", ("hb", "FI"): "g/L"}

# Antibiotic susceptibility: LOINC and the NPU code (NO via NLK, SE, DK); FI has none.
ANTIBIOTICS = {
    "amp": (("18864-9", "Ampicillin [Susceptibility]"), "NPU06045",
            {"NO": "Us-Ampicillin", "SE": "Ampicillin", "DK": "Ampicillin"}),
    "amc": (("18862-3", "Amoxicillin+Clavulanate [Susceptibility]"), "NPU06002",
            {"NO": "Us-Amoksicillin+Klavulansyre", "SE": "Amoxicillin+Klavulansyra",
             "DK": "Amoxicillin+Clavulansyre"}),
    "cxm": (("51724-3", "Cefuroxime [Susceptibility]"), "NPU06021",
            {"NO": "Us-Cefuroksim", "SE": "Cefuroxim", "DK": "Cefuroxim"}),
    "cip": (("18906-8", "Ciprofloxacin [Susceptibility]"), "NPU06049",
            {"NO": "Us-Ciprofloksacin", "SE": "Ciprofloxacin", "DK": "Ciprofloxacin"}),
    "nit": (("18955-5", "Nitrofurantoin [Susceptibility]"), "NPU06048",
            {"NO": "Us-Nitrofurantoin", "SE": "Nitrofurantoin", "DK": "Nitrofurantoin"}),
    "tmp": (("18997-7", "Trimethoprim [Susceptibility]"), "NPU06047",
            {"NO": "Us-Trimetoprim", "SE": "Trimetoprim", "DK": "Trimethoprim"}),
}
# S and R as SNOMED CT qualifiers; I (EUCAST "susceptible, increased exposure") as the
# laboratory's text in the national language.
SIR = {"S": ("susceptible", {"kind": "coded", "code": "131196009", "display": "Susceptible"}),
       "R": ("resistant", {"kind": "coded", "code": "30714006", "display": "Resistant"})}
SIR_I_TEXT = {"NO": "I – følsom ved økt eksponering", "SE": "I – känslig vid ökad exponering",
              "DK": "I – følsom ved øget eksponering", "FI": "I – herkkä suurennetulla annostuksella"}
ORGANISMS = {"112283007": "Escherichia coli", "56415008": "Klebsiella pneumoniae"}
SPECIMENS = {"blood": ("119297000", "Blood specimen"), "serum": ("119364003", "Serum specimen"),
             "urine": ("122575003", "Urine specimen"), "nps": ("258500001", "Nasopharyngeal swab")}
# UCUM codes the data set uses for quantities.
UCUM_UNITS = {"mmol/L", "umol/L", "mg/L", "U/L", "g/L", "g/dL", "10*9/L", "mL/min/{1.73_m2}",
              "mmol/mol", "%", "fL"}


def q(short: str, analyte: str, value: float, low: float | None = None, high: float | None = None, *,
      note: str | None = None) -> tuple:
    """A quantity result; the flag follows from the reference range."""
    return ("quantity", short, analyte, value, low, high, note)


def culture(short: str, organism: str, note: str, sir: dict[str, str]) -> tuple:
    """A urine culture finding an organism, with the susceptibility of each antibiotic."""
    return ("culture", short, organism, note, sir)


def covid(short: str, detected: bool) -> tuple:
    return ("covid", short, detected)


def lab_accession(country: str, d: date, key: str, study: str) -> str:
    h = _hash(country, d, key, "accession")
    if country == "NO":  # requisition number: date + running number
        return f"{d:%y%m%d}{h % 10_000:04d}"
    if country == "SE":  # section prefix + year + running number
        return f"{'MB' if study == 'microbiology' else 'KK'}{d:%y}-{h % 1_000_000:06d}"
    if country == "DK":
        return f"{'KM' if study == 'microbiology' else 'KB'}{d:%y}{h % 10_000_000:07d}"
    if country == "FI":  # sample number: year + running number
        return f"{d:%y}-{h % 10_000_000:07d}"
    raise ValueError(country)


# ---------------------------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------------------------


class Country:
    def __init__(self, code: str, validity_days: int):
        self.code = code
        self.validity = validity_days
        self.persons: list[dict] = []
        self.poas: list[dict] = []
        self.rx: list[dict] = []
        self.vx: list[dict] = []
        self.al: list[dict] = []
        self.cd: list[dict] = []
        self.labs: list[dict] = []
        self.scenarios: list[tuple[str, str]] = []  # (person key, scenario text)
        self._people: dict[str, dict] = {}

    @property
    def lc(self) -> str:
        return self.code.lower()

    def person(self, n: int, nid: dict, family: str, given: list[str], sex: str, birth: str, *,
               address=None, telecom=(), protection=None, language=None, consent=None,
               guardians=(), blocked=(), cross_border=(), secondary=False, updated: str,
               scenario: str = "") -> str:
        key = f"p-{self.lc}-{n:03d}"
        p = {"key": key, "national_id": nid, "family": family, "given": given, "sex": sex,
             "birth_date": birth}
        if address:
            lines, postal, city, muni = address
            p["address"] = {"lines": lines, "postal_code": postal, "city": city, "municipality": muni}
        if telecom:
            p["telecom"] = [{"kind": k, "value": v} for k, v in telecom]
        if protection:
            p["protection"] = protection
        if language:
            p["language"] = language
        if consent:
            p["portal_consent"] = consent
        if guardians:
            p["guardians"] = [f"p-{self.lc}-{g:03d}" for g in guardians]
        choices = {}
        if blocked:
            choices["blocked_professionals"] = list(blocked)
        if cross_border:
            choices["cross_border_opt_out"] = list(cross_border)
        if secondary:
            choices["secondary_use_opt_out"] = True
        if choices:
            p["choices"] = choices
        p["updated"] = ts(self.code, D(updated), key)
        self.persons.append(p)
        self._people[key] = p
        self.scenarios.append((key, scenario))
        return key

    def pk(self, n: int) -> str:
        return f"p-{self.lc}-{n:03d}"

    def poa(self, grantor: int, holder: int, areas: list[str], valid_from: str, valid_to: str | None):
        key = f"poa-{self.lc}-{len(self.poas) + 1:03d}"
        r = {"key": key, "grantor": self.pk(grantor), "holder": self.pk(holder),
             "service_areas": areas, "valid_from": valid_from}
        if valid_to:
            r["valid_to"] = valid_to
        self.poas.append(r)

    def prescription(self, person: int, atc: str, authored: str, prescriber: dict, status: str, *,
                     disp: tuple[int, ...] = (), pharmacy: str = "", restricted=False,
                     release: str | None = None, catalogue: dict, dosage: str | None = None,
                     product: tuple[str, str] | None = None):
        key = f"rx-{self.lc}-{len(self.rx) + 1:04d}"
        atc_name, product_name, default_dosage, quantity = catalogue[atc]
        if product:  # another form of the same substance (e.g. a mixture for a child)
            product_name, quantity = product
        a = D(authored)
        valid_until = a + timedelta(days=self.validity - 1)
        disp_dates = [a + timedelta(days=d) for d in disp]
        for d in disp_dates:
            if d > LAST_UPDATE:
                raise ValueError(f"{key}: dispensation after {LAST_UPDATE}")
        r = {"key": key, "person": self.pk(person), "atc": {"code": atc, "display": atc_name},
             "product": {"code": product_code(self.code, atc, product_name), "display": product_name},
             "dosage_text": dosage or default_dosage, "authored": ts(self.code, a, key),
             "prescriber": prescriber, "status": status, "valid_until": valid_until.isoformat()}
        if restricted:
            r["restricted"] = True
        if disp_dates:
            r["dispensations"] = [{"date": d.isoformat(), "pharmacy": pharmacy, "quantity": quantity}
                                  for d in disp_dates]
        if release:
            r["release_date"] = release
        r["updated"] = upd(self.code, key, a, *disp_dates)
        self.rx.append(r)
        return key

    def vaccination(self, person: int, atc: str, when: str, performer: dict, *, national=None,
                    lot: str | None = None, status="completed", release: str | None = None):
        key = f"vx-{self.lc}-{len(self.vx) + 1:04d}"
        r = {"key": key, "person": self.pk(person),
             "atc": {"code": atc, "display": VACC_ATC[atc][self.code]}}
        if national:
            r["national"] = {"code": national[0], "display": national[1]}
        r["date"] = when
        if lot:
            r["lot"] = lot
        r["performer"] = performer
        r["status"] = status
        if release:
            r["release_date"] = release
        r["updated"] = upd(self.code, key, D(when), lag=1)
        self.vx.append(r)
        return key

    def allergy(self, person: int, substance: str, kind: str, criticality: str, recorded: str, *,
                reaction: str | None = None, active=True):
        key = f"al-{self.lc}-{len(self.al) + 1:03d}"
        r = {"key": key, "person": self.pk(person),
             "substance": {"code": substance, "display": SCT[substance]}, "kind": kind,
             "criticality": criticality, "active": active, "recorded": recorded}
        if reaction:
            r["reaction"] = {"code": reaction, "display": SCT[reaction]}
        r["updated"] = upd(self.code, key, D(recorded))
        self.al.append(r)
        return key

    def condition(self, person: int, code: str, display: str, onset: str, *, abated=None,
                  release=None):
        key = f"cd-{self.lc}-{len(self.cd) + 1:03d}"
        r = {"key": key, "person": self.pk(person), "icd10": {"code": code, "display": display},
             "onset": onset}
        if abated:
            r["abated"] = abated
        if release:
            r["release_date"] = release
        r["updated"] = upd(self.code, key, D(onset), D(abated) if abated else None)
        self.cd.append(r)
        return key

    def lab_report(self, person: int, study: str, title: str, collected: str, laboratory: tuple[str, str],
                   requester: dict | None, specimen: str, results: list[tuple], *, status: str = "final",
                   issue_days: int = 0, conclusion: str | None = None, release: str | None = None,
                   updated_lag: int = 0) -> str:
        """A laboratory report; results get the keys `<report key>-<short>`. Chemistry and
        haematology are issued a few hours after collection (`issue_days` 0), cultures and PCR
        tests days later."""
        key = f"lab-{self.lc}-{len(self.labs) + 1:04d}"
        cd = D(collected)
        coll = ts(self.code, cd, key + "/collected")
        if issue_days == 0:
            issued = (datetime.fromisoformat(coll) + timedelta(hours=1 + _hash(key, "i") % 3,
                                                             minutes=_hash(key, "m") % 60)).isoformat()
        else:
            issued = ts(self.code, cd + timedelta(days=issue_days), key + "/issued")
        issued_day = datetime.fromisoformat(issued).date()
        for d in (cd, issued_day):
            if d > LAST_UPDATE:
                raise ValueError(f"{key}: {d} after {LAST_UPDATE}")
        r = {"key": key, "person": self.pk(person), "accession": lab_accession(self.code, cd, key, study),
             "title": title, "study": study, "status": status, "collected": coll, "issued": issued,
             "specimen": {"code": SPECIMENS[specimen][0], "display": SPECIMENS[specimen][1]},
             "laboratory": {"id": laboratory[0], "name": laboratory[1]}}
        if requester:
            r["requester"] = requester
        r["results"] = [self._lab_result(key, spec) for spec in results]
        if conclusion:
            r["conclusion"] = conclusion
        if release:
            r["release_date"] = release
        updated = upd(self.code, key, issued_day + timedelta(days=updated_lag), lag=0)
        if datetime.fromisoformat(updated) < datetime.fromisoformat(issued):  # same day, earlier hour
            updated = (datetime.fromisoformat(issued) + timedelta(minutes=5 + _hash(key, "u") % 50)).isoformat()
        r["updated"] = updated
        self.labs.append(r)
        return key

    def _national(self, analyte: str) -> dict | None:
        nat = LAB[analyte].get(self.code)
        return {"code": nat[0], "display": nat[1]} if nat else None

    def _lab_result(self, report: str, spec: tuple) -> dict:
        kind, short = spec[0], spec[1]
        res: dict = {"key": f"{report}-{short}"}
        if kind == "quantity":
            _, _, analyte, value, low, high, note = spec
            unit = LAB[analyte].get("unit") or LAB_UNIT_BY_COUNTRY[(analyte, self.code)]
            res["loinc"] = {"code": LAB[analyte]["loinc"][0], "display": LAB[analyte]["loinc"][1]}
            nat = self._national(analyte)
            if nat:
                res["national"] = nat
            res["value"] = {"kind": "quantity", "value": float(value), "unit": unit}
            rr = {}
            if low is not None:
                rr["low"] = float(low)
            if high is not None:
                rr["high"] = float(high)
            res["reference_range"] = rr
            flag = "low" if low is not None and value < low else "high" if high is not None and value > high \
                else "normal"
            res["interpretation"] = flag
            if note:
                res["note"] = note
        elif kind == "culture":
            _, _, organism, note, sir = spec
            res["loinc"] = {"code": LAB["ucult"]["loinc"][0], "display": LAB["ucult"]["loinc"][1]}
            nat = self._national("ucult")
            if nat:
                res["national"] = nat
            res["value"] = {"kind": "coded", "code": organism, "display": ORGANISMS[organism]}
            res["interpretation"] = "abnormal"
            res["note"] = note
            members = []
            for ab, letter in sir.items():
                loinc, npu, names = ANTIBIOTICS[ab]
                m: dict = {"key": f"{report}-{ab}", "loinc": {"code": loinc[0], "display": loinc[1]}}
                if self.code in names:
                    m["national"] = {"code": npu, "display": names[self.code]}
                if letter == "I":
                    m["value"] = {"kind": "text", "text": SIR_I_TEXT[self.code]}
                    m["interpretation"] = "intermediate"
                else:
                    m["value"] = dict(SIR[letter][1])
                    m["interpretation"] = SIR[letter][0]
                members.append(m)
            res["members"] = members
        elif kind == "covid":
            _, _, detected = spec
            res["loinc"] = {"code": LAB["covid"]["loinc"][0], "display": LAB["covid"]["loinc"][1]}
            nat = self._national("covid")
            if nat:
                res["national"] = nat
            res["value"] = ({"kind": "coded", "code": "260373001", "display": "Detected"} if detected
                            else {"kind": "coded", "code": "260415000", "display": "Not detected"})
            res["interpretation"] = "detected" if detected else "not-detected"
        else:
            raise ValueError(kind)
        return res

    def dataset(self) -> dict:
        return {"country": self.code, "persons": self.persons, "powers_of_attorney": self.poas,
                "prescriptions": self.rx, "vaccinations": self.vx, "allergies": self.al,
                "conditions": self.cd, "lab_reports": self.labs}


def prof(pid: str, name: str, org: tuple[str, str]) -> dict:
    return {"id": pid, "name": name, "organization": {"id": org[0], "name": org[1]}}


# ---------------------------------------------------------------------------------------------
# Norway
# ---------------------------------------------------------------------------------------------


def build_no() -> Country:
    c = Country("NO", 365)
    org = {
        "vestbyen": (no_orgnr(11), "Vestbyen legesenter"),
        "kalfaret": (no_orgnr(12), "Kalfaret legekontor"),
        "sagene_hs": (no_orgnr(13), "Helsestasjonen Sagene, Oslo kommune"),
        "fjordsyk": (no_orgnr(14), "Fjordbyen sykehus, medisinsk klinikk"),
        "bergen_hs": (no_orgnr(15), "Helsestasjonen Årstad, Bergen kommune"),
        "midtbyen": (no_orgnr(16), "Midtbyen legesenter"),
        "storhaug": (no_orgnr(17), "Storhaug legekontor"),
    }
    # HPR numbers: synthetic 7-digit numbers
    dr_strand = prof("9154003", "Ingrid Strand", org["vestbyen"])
    dr_bakke = prof("9154127", "Anders Bakke", org["vestbyen"])
    dr_vik = prof("9171348", "Tor Egil Vik", org["vestbyen"])
    dr_haugland = prof("9162251", "Hanne Haugland", org["kalfaret"])
    dr_solheim = prof("9188406", "Erlend Solheim", org["fjordsyk"])
    dr_aas = prof("9140982", "Marit Aas", org["midtbyen"])
    dr_eide = prof("9193574", "Kjetil Eide", org["storhaug"])
    hs_nurse = prof("9205517", "Line Berntsen", org["sagene_hs"])
    hs_nurse_bgo = prof("9207762", "Siri Mjelde", org["bergen_hs"])
    ph_oslo, ph_bgo, ph_trd, ph_svg = ("Apotek Bislett, Oslo", "Apotek Kalfaret, Bergen",
                                       "Apotek Midtbyen, Trondheim", "Apotek Storhaug, Stavanger")
    cat = NO_DRUGS
    em = lambda local: ("email", f"{local}@example.com")  # RFC 2606 reserved domain

    oslo = lambda line, post: ([line], post, "OSLO", "0301")
    # --- the Haugen family (Oslo) -------------------------------------------------------------
    c.person(1, no_id(D("1988-04-12"), "female", 12), "Haugen", ["Kristin"], "female", "1988-04-12",
             address=oslo("Thereses gate 12 B", "0358"), telecom=[em("kristin.haugen")], language="nb",
             consent="full", updated="2025-02-03",
             scenario="Mother of p-no-003/004/005; consent level full")
    c.person(2, no_id(D("1986-09-03"), "male", 41), "Haugen", ["Jonas", "Andreas"], "male", "1986-09-03",
             address=oslo("Thereses gate 12 B", "0358"), telecom=[em("jonas.haugen")], language="nb",
             consent="basic-plus", updated="2024-08-19",
             scenario="Father of p-no-003/004/005; consent level basic-plus")
    c.person(3, no_id(D("2021-06-15"), "female", 612), "Haugen", ["Emma"], "female", "2021-06-15",
             address=oslo("Thereses gate 12 B", "0358"), language="nb", guardians=(1, 2),
             updated="2025-06-20", scenario="Child aged 5: parents have full access (under 12)")
    c.person(4, no_id(D("2013-03-08"), "male", 533), "Haugen", ["Lukas"], "male", "2013-03-08",
             address=oslo("Thereses gate 12 B", "0358"), language="nb", guardians=(1, 2),
             updated="2025-03-11", scenario="Child aged 13: parents have limited access (12-15)")
    c.person(5, no_id(D("2009-08-20"), "female", 544), "Haugen", ["Nora"], "female", "2009-08-20",
             address=oslo("Thereses gate 12 B", "0358"), telecom=[em("nora.haugen")], language="nb",
             consent="full", guardians=(1, 2), updated="2026-08-21",
             scenario="Child aged 17: no parental access (16+); own consent full; restricted (locked) prescription")
    # --- protected child and her mother (Trondheim) ---------------------------------------------
    c.person(6, no_id(D("2017-02-11"), "female", 701), "Andersen", ["Sofie"], "female", "2017-02-11",
             address=(["Nonnens gate 7"], "7011", "TRONDHEIM", "5001"), protection="no-strictly-confidential",
             language="nb", guardians=(7,), updated="2025-10-02",
             scenario="Child aged 9 with strictly confidential address (code 6): guardian p-no-007 gets no proxy access")
    c.person(7, no_id(D("1990-11-30"), "female", 210), "Andersen", ["Camilla"], "female", "1990-11-30",
             address=(["Nonnens gate 7"], "7011", "TRONDHEIM", "5001"), telecom=[em("camilla.andersen")],
             protection="no-confidential", language="nb", consent="full", updated="2025-10-02",
             scenario="Mother of p-no-006; confidential address (code 7); consent full")
    # --- elderly man with power of attorney and polypharmacy (Bergen) ----------------------------
    bgo = lambda line, post: ([line], post, "BERGEN", "4601")
    c.person(8, no_id(D("1941-05-17"), "male", 101), "Johansen", ["Arne"], "male", "1941-05-17",
             address=bgo("Kalfarveien 40", "5018"), language="nb", consent="full", updated="2026-09-14",
             scenario="Aged 85; polypharmacy (22 prescriptions); grantor of poa-no-001 to his daughter p-no-009")
    c.person(9, no_id(D("1968-02-25"), "female", 306), "Johansen Dahl", ["Trine"], "female", "1968-02-25",
             address=bgo("Fjellveien 21", "5019"), telecom=[em("trine.dahl")], language="nb",
             consent="basic", updated="2024-05-28",
             scenario="Adult daughter of p-no-008, holder of poa-no-001 (prescriptions + vaccinations); consent basic")
    # --- D-number -----------------------------------------------------------------------------
    c.person(10, no_id(D("1995-07-04"), "male", 420, d_number=True), "Kowalski", ["Piotr"], "male", "1995-07-04",
             address=(["Kongsgårdbakken 3"], "4005", "STAVANGER", "1103"), telecom=[em("piotr.kowalski")],
             language="pl", consent="basic-plus", updated="2025-04-07",
             scenario="Foreign worker identified by a D-number; consent basic-plus")
    # --- empty patient summary ----------------------------------------------------------------
    c.person(11, no_id(D("1979-01-22"), "male", 377), "Solberg", ["Henrik"], "male", "1979-01-22",
             address=oslo("Kierschows gate 4", "0467"), telecom=[em("henrik.solberg")], language="nn",
             consent="full", updated="2024-03-15",
             scenario="Empty patient summary: no allergies, conditions, prescriptions or vaccinations")
    # --- cross-border opt-out of the patient summary ---------------------------------------------
    c.person(12, no_id(D("1958-10-05"), "female", 254), "Moen", ["Ingrid"], "female", "1958-10-05",
             address=oslo("Bygdøy allé 55", "0265"), telecom=[em("ingrid.moen")], language="nb",
             consent="full", cross_border=("patient-summary",), updated="2025-11-30",
             scenario="Cross-border opt-out of the patient summary; grantor of the expired poa-no-002")
    # --- consent withdrawn --------------------------------------------------------------------
    c.person(13, no_id(D("1972-12-14"), "male", 168), "Lunde", ["Eirik"], "male", "1972-12-14",
             address=bgo("Nygårdsgaten 88", "5008"), telecom=[em("eirik.lunde")], language="nb",
             consent="withdrawn", updated="2026-02-09",
             scenario="Helsenorge consent withdrawn: no app access at all")
    # --- blocked professional and restricted prescription ----------------------------------------
    c.person(14, no_id(D("1983-05-29"), "female", 422), "Ødegård", ["Silje"], "female", "1983-05-29",
             address=oslo("Sannergata 19", "0557"), telecom=[em("silje.odegard")], language="nb",
             consent="full", blocked=(dr_vik["id"],), updated="2026-03-02",
             scenario="Blocked professional (HPR of Tor Egil Vik, who prescribed to her) and a restricted prescription; holder of expired poa-no-002")

    c.poa(8, 9, ["prescriptions", "vaccinations"], "2025-09-01", "2027-08-31")
    c.poa(12, 14, ["test-results", "appointments"], "2023-01-15", "2024-12-31")

    # --- prescriptions ------------------------------------------------------------------------
    rx = lambda *a, **k: c.prescription(*a, catalogue=cat, **k)
    # Arne (p-no-008): 22 prescriptions
    rx(8, "C09AA05", "2026-01-12", dr_haugland, "active", disp=(2, 95, 190), pharmacy=ph_bgo)
    rx(8, "A10BA02", "2026-01-12", dr_haugland, "active", disp=(2, 90, 181, 270), pharmacy=ph_bgo)
    rx(8, "C10AA05", "2026-02-03", dr_haugland, "active", disp=(1, 99, 196), pharmacy=ph_bgo)
    rx(8, "B01AF02", "2025-12-09", dr_solheim, "active", disp=(1, 85, 170, 255), pharmacy=ph_bgo)
    rx(8, "C07AB02", "2025-12-09", dr_solheim, "active", disp=(1, 100, 200), pharmacy=ph_bgo)
    rx(8, "C03CA01", "2026-03-18", dr_solheim, "active", disp=(0, 100), pharmacy=ph_bgo)
    rx(8, "A02BC02", "2026-04-22", dr_haugland, "active", disp=(1, 98, 196), pharmacy=ph_bgo)
    rx(8, "M04AA01", "2026-05-05", dr_haugland, "active", disp=(3, 103), pharmacy=ph_bgo)
    rx(8, "A12AX", "2026-06-10", dr_haugland, "active", disp=(6, 96), pharmacy=ph_bgo)
    rx(8, "M05BA04", "2026-06-10", dr_haugland, "active", disp=(6,), pharmacy=ph_bgo)
    rx(8, "N02BE01", "2026-02-03", dr_haugland, "active", disp=(5, 150), pharmacy=ph_bgo)
    rx(8, "G04CA02", "2026-07-01", dr_haugland, "active", disp=(2, 101), pharmacy=ph_bgo)
    rx(8, "A06AD65", "2026-08-19", dr_haugland, "active")
    rx(8, "S01ED01", "2026-03-02", dr_haugland, "active", disp=(4, 120), pharmacy=ph_bgo)
    rx(8, "B03BA01", "2026-09-08", dr_haugland, "active", disp=(3,), pharmacy=ph_bgo)
    rx(8, "N05CF01", "2026-04-22", dr_haugland, "on-hold", disp=(1,), pharmacy=ph_bgo)
    rx(8, "C08CA01", "2024-10-15", dr_haugland, "expired", disp=(1, 99, 198), pharmacy=ph_bgo)
    rx(8, "N02AJ06", "2025-01-20", dr_haugland, "expired", disp=(0,), pharmacy=ph_bgo)
    rx(8, "J01CA04", "2025-03-04", dr_haugland, "completed", disp=(0,), pharmacy=ph_bgo)
    rx(8, "H02AB06", "2025-03-04", dr_haugland, "completed", disp=(0,), pharmacy=ph_bgo)
    rx(8, "A02BC01", "2025-09-01", dr_haugland, "cancelled", disp=(2, 99), pharmacy=ph_bgo)
    rx(8, "N06AB10", "2026-05-05", dr_haugland, "cancelled")
    # Trine (p-no-009)
    rx(9, "C10AA01", "2026-02-16", dr_haugland, "active", disp=(2, 101, 198), pharmacy=ph_bgo)
    rx(9, "M01AE01", "2025-06-03", dr_haugland, "expired", disp=(0,), pharmacy=ph_bgo)
    # Kristin (p-no-001)
    rx(1, "R06AE07", "2026-04-14", dr_strand, "active", disp=(1,), pharmacy=ph_oslo)
    # Lukas (p-no-004), Emma (p-no-003), Nora (p-no-005)
    rx(4, "R06AE07", "2026-04-14", dr_strand, "active", disp=(3,), pharmacy=ph_oslo,
       dosage="1/2 tablett daglig i pollensesongen")
    rx(4, "R01AD09", "2026-04-14", dr_strand, "active", disp=(3,), pharmacy=ph_oslo,
       dosage="1 spray i hvert nesebor daglig")
    rx(3, "D07AC01", "2025-11-05", dr_strand, "completed", disp=(0,), pharmacy=ph_oslo,
       dosage="Smøres tynt på eksemområdene 1 gang daglig i 5 dager")
    rx(3, "J01CE02", "2026-10-27", dr_bakke, "completed", disp=(0,), pharmacy=ph_oslo,
       dosage="10 ml mikstur 3 ganger daglig i 7 dager",
       product=("Fenoksymetylpenicillin mikst 50 mg/ml", "1 flaske à 200 ml"))
    rx(5, "G03AA12", "2026-08-24", dr_bakke, "active", disp=(2,), pharmacy=ph_oslo, restricted=True)
    # Sofie (p-no-006) and Camilla (p-no-007)
    rx(6, "R03AC02", "2026-01-19", dr_aas, "active", disp=(1, 160), pharmacy=ph_trd,
       dosage="2 inhalasjoner med inhalasjonskammer ved behov")
    rx(7, "N06AB06", "2025-12-01", dr_aas, "active", disp=(3, 95, 190, 285), pharmacy=ph_trd)
    # Piotr (p-no-010)
    rx(10, "M01AE01", "2026-05-11", dr_eide, "completed", disp=(0,), pharmacy=ph_svg)
    # Ingrid (p-no-012)
    rx(12, "H03AA01", "2026-03-23", dr_strand, "active", disp=(2, 100, 199), pharmacy=ph_oslo)
    # Eirik (p-no-013)
    rx(13, "A02BC01", "2026-06-02", dr_haugland, "active", disp=(1, 99), pharmacy=ph_bgo)
    # Silje (p-no-014): blocked prescriber Vik, restricted sertraline
    rx(14, "N05BA04", "2024-09-16", dr_vik, "expired", disp=(0,), pharmacy=ph_oslo)
    rx(14, "N05CF01", "2025-02-10", dr_vik, "expired", disp=(1,), pharmacy=ph_oslo)
    rx(14, "N06AB06", "2026-01-26", dr_strand, "active", disp=(2, 96, 190, 285), pharmacy=ph_oslo,
       restricted=True)
    # Tor Egil Vik also prescribes for other people
    rx(2, "M01AE01", "2026-09-29", dr_vik, "active", disp=(1,), pharmacy=ph_oslo)

    # --- vaccinations -------------------------------------------------------------------------
    vx = c.vaccination
    for n, (d, lot) in enumerate([("2021-09-14", "A21CB104A"), ("2021-11-16", "A21CB147B"),
                                  ("2022-06-21", "A22CB311A")]):
        vx(3, "J07CA09", d, hs_nurse, national=SYSVAK["J07CA09"], lot=lot)
    vx(3, "J07AL02", "2021-09-14", hs_nurse, national=SYSVAK["J07AL02"], lot="HK2291")
    vx(3, "J07BH01", "2021-08-03", hs_nurse, national=SYSVAK["J07BH01"], lot="AROLB712AA")
    vx(3, "J07BD52", "2022-09-27", hs_nurse, national=SYSVAK["J07BD52"], lot="W013881")
    vx(4, "J07BD52", "2024-09-10", hs_nurse, national=SYSVAK["J07BD52"], lot="W019352")
    vx(4, "J07BM02", "2025-09-23", hs_nurse, national=SYSVAK["J07BM02"], lot="AHPVA377BH")
    vx(4, "J07BM02", "2026-03-24", hs_nurse, national=SYSVAK["J07BM02"], lot="AHPVA381AB")
    vx(5, "J07BM02", "2021-10-05", hs_nurse, national=SYSVAK["J07BM02"], lot="AHPVA312AC")
    vx(5, "J07CA02", "2025-10-14", hs_nurse, lot="AC20B361AA")  # 10th-grade booster, no SYSVAK code here
    vx(8, "J07BB02", "2024-10-22", dr_haugland, national=SYSVAK["J07BB02-ADJ"], lot="AEM46J")
    vx(8, "J07BB02", "2025-10-21", dr_haugland, national=SYSVAK["J07BB02-ADJ"], lot="AFL12K")
    vx(8, "J07BN01", "2025-10-21", dr_haugland, national=SYSVAK["J07BN01"], lot="LK4732")
    vx(8, "J07AL02", "2024-10-22", dr_haugland, national=SYSVAK["J07AL02"], lot="LH8815")
    vx(8, "J07BB02", "2026-10-27", dr_haugland, national=SYSVAK["J07BB02-ADJ"], lot="AGN07B")
    vx(9, "J07BB02", "2025-11-04", dr_haugland, national=SYSVAK["J07BB02"], lot="X3C281V")
    vx(12, "J07BB02", "2025-10-28", dr_strand, national=SYSVAK["J07BB02"], lot="X3C240V")
    vx(12, "J07BN01", "2025-10-28", dr_strand, national=SYSVAK["J07BN01"], lot="LK4791")
    vx(13, "J07BN01", "2024-11-12", dr_haugland, national=SYSVAK["J07BN01"], lot="HZ9201")
    vx(6, "J07BD52", "2018-05-15", hs_nurse_bgo, national=SYSVAK["J07BD52"], lot="R021544")
    vx(6, "J07BB02", "2025-10-20", dr_aas, national=SYSVAK["J07BB02"], status="not-done")  # declined at the appointment
    vx(7, "J07BN01", "2024-11-05", dr_aas, national=SYSVAK["J07BN01"], lot="HZ9177",
       status="entered-in-error")

    # --- allergies ----------------------------------------------------------------------------
    al = c.allergy
    al(1, "91936005", "allergy", "high", "2012-06-18", reaction="271807003")
    al(2, "91930004", "allergy", "low", "1990-03-02", reaction="126485001", active=False)
    al(3, "91935009", "allergy", "high", "2024-02-12", reaction="39579001")
    al(4, "418689008", "allergy", "low", "2022-05-09", reaction="126485001")
    al(8, "387494007", "intolerance", "low", "2025-02-14", reaction="422587007")
    al(9, "373444002", "intolerance", "low", "2025-11-10", reaction="68962001")
    al(13, "300913006", "allergy", "high", "2015-08-24", reaction="41291007")
    al(14, "300916003", "allergy", "unable-to-assess", "2020-01-13", reaction="126485001")
    al(7, "294505008", "allergy", "high", "2019-03-25", reaction="271807003")

    # --- conditions (Norwegian ICD-10, Volven 7110: codes without the dot) ------------------------
    cd = c.condition
    cd(8, "E119", "Diabetes mellitus type 2 uten komplikasjoner", "2009-04-02")
    cd(8, "I10", "Essensiell (primær) hypertensjon", "2004-11-15")
    cd(8, "I480", "Paroksysmal atrieflimmer", "2019-12-03")
    cd(8, "I500", "Kongestiv hjertesvikt", "2023-03-20")
    cd(8, "N183", "Kronisk nyresykdom, stadium 3", "2022-08-29")
    cd(8, "M109", "Urinsyregikt, uspesifisert", "2017-06-12")
    cd(8, "H401", "Primært åpenvinkelglaukom", "2020-10-05")
    cd(8, "N40", "Prostatahyperplasi", "2016-01-18")
    cd(8, "M819", "Osteoporose, uspesifisert", "2026-06-02")
    cd(8, "J189", "Pneumoni, uspesifisert", "2025-03-03", abated="2025-04-01")
    cd(9, "E785", "Hyperlipidemi, uspesifisert", "2021-02-08")
    cd(3, "L209", "Atopisk eksem, uspesifisert", "2022-01-24")
    cd(4, "J301", "Allergisk rhinitt forårsaket av pollen", "2022-05-09")
    cd(6, "J459", "Astma, uspesifisert", "2023-01-16")
    cd(7, "F431", "Posttraumatisk stresslidelse", "2023-09-04")
    cd(12, "E039", "Hypotyreose, uspesifisert", "2014-05-20")
    cd(13, "K219", "Gastroøsofageal reflukssykdom uten øsofagitt", "2021-11-22")
    cd(14, "F321", "Moderat depressiv episode", "2024-09-02")
    cd(10, "S934", "Forstuing og forstrekking av ankel", "2026-05-10", abated="2026-06-21")

    # --- laboratory reports (Helsenorge "Prøvesvar"; national codes from NLK) ------------------
    lab_bio = (no_orgnr(21), "Fjordbyen sykehus, Laboratorium for medisinsk biokjemi")
    lab_mik = (no_orgnr(22), "Fjordbyen sykehus, Avdeling for medisinsk mikrobiologi")
    lab_oslo = (no_orgnr(23), "Bislett medisinske laboratorium")
    lab = c.lab_report
    # Arne (p-no-008, 85): type 2 diabetes, CKD stage 3, on ramipril/furosemide/metformin.
    lab(8, "chemistry", "Blodprøver – klinisk kjemi", "2026-10-05", lab_bio, dr_haugland, "blood", [
        q("na", "na", 138, 137, 145), q("k", "k", 4.8, 3.5, 4.4), q("krea", "krea", 131, 60, 105),
        q("egfr", "egfr", 43, 60), q("crp", "crp", 4, None, 5), q("alat", "alat", 18, 10, 70),
        q("hba1c", "hba1c", 56, 20, 42), q("kol", "kol", 3.9, 3.3, 6.9)],
        conclusion="Redusert nyrefunksjon som ved tidligere kontroller. Lett forhøyet kalium.")
    lab(8, "haematology", "Blodprøver – hematologi", "2026-10-05", lab_bio, dr_haugland, "blood", [
        q("hb", "hb", 12.4, 13.4, 17.0), q("leuk", "leuk", 6.9, 3.5, 10.0), q("trc", "trc", 198, 145, 348),
        q("mcv", "mcv", 94, 82, 98)])
    lab(8, "microbiology", "Urin – bakteriologisk dyrkning og resistensbestemmelse", "2026-08-10", lab_mik,
        dr_haugland, "urine", [
            culture("ucult", "112283007", "Over 100 000 CFU/mL",
                    {"amp": "R", "amc": "I", "cip": "S", "nit": "S", "tmp": "R"})],
        issue_days=2, conclusion="Signifikant bakteriuri med Escherichia coli.")
    # Lukas (p-no-004, 13): parents have limited access.
    lab(4, "microbiology", "SARS-CoV-2 (covid-19) PCR", "2025-12-08", lab_oslo, dr_strand, "nps",
        [covid("cov", True)], issue_days=1)
    # Emma (p-no-003, 5): blood count the day she got penicillin for a sore throat.
    lab(3, "haematology", "Blodprøver – hematologi", "2026-10-27", lab_oslo, dr_bakke, "blood", [
        q("hb", "hb", 12.1, 11.0, 14.0), q("leuk", "leuk", 16.2, 5.0, 14.5), q("trc", "trc", 415, 150, 450)])
    return c


# ---------------------------------------------------------------------------------------------
# Sweden
# ---------------------------------------------------------------------------------------------


def build_se() -> Country:
    c = Country("SE", 365)
    # HSA-ids: SE + a region's organisation number + '-' + suffix; suffixes synthetic.
    vgr, sthlm, upps, skane = "SE2321000131", "SE2321000016", "SE2321000032", "SE2321000065"
    org = {
        "linne": (f"{vgr}-E4K7", "Vårdcentralen Linnéstaden"),
        "bvc": (f"{vgr}-E5B2", "BVC Linnéstaden"),
        "skola": (f"{vgr}-E6H9", "Elevhälsan Göteborgs Stad, Annedalsskolan"),
        "sahl": (f"{vgr}-E8W1", "Sahlgrenska Universitetssjukhuset, Medicinmottagning"),
        "soder": (f"{sthlm}-F2M4", "Vårdcentralen Södermalm"),
        "luthag": (f"{upps}-G7R3", "Vårdcentralen Luthagen"),
        "malmo": (f"{skane}-H1T6", "Vårdcentralen Möllevången"),
    }
    dr_wallin = prof(f"{vgr}-P1A4", "Karin Wallin", org["linne"])
    dr_ahmadi = prof(f"{vgr}-P2C8", "Reza Ahmadi", org["linne"])
    bvc_nurse = prof(f"{vgr}-P3D5", "Emelie Sandberg", org["bvc"])
    school_nurse = prof(f"{vgr}-P4F1", "Johanna Lund", org["skola"])
    dr_berg = prof(f"{vgr}-P5G7", "Magnus Berg", org["sahl"])
    dr_nord = prof(f"{sthlm}-P6H2", "Cecilia Nord", org["soder"])
    dr_forss = prof(f"{upps}-P7K9", "Olof Forss", org["luthag"])
    dr_persson = prof(f"{skane}-P8L3", "Amira Persson", org["malmo"])
    ph_gbg, ph_sthlm, ph_upps, ph_mmo = ("Apoteket Linnéplatsen, Göteborg", "Apoteket Medborgarplatsen, Stockholm",
                                         "Apoteket Luthagen, Uppsala", "Apoteket Möllan, Malmö")
    ph = lambda i: ("phone", f"+46 70 174 06 {i:02d}")  # PTS range reserved for fiction: 070-1740605..699
    em = lambda local: ("email", f"{local}@example.org")
    gbg = lambda line, post: ([line], post, "GÖTEBORG", "1480")
    cat = SE_DRUGS

    c.person(1, se_id(D("1984-03-14"), "female"), "Lindberg", ["Anna"], "female", "1984-03-14",
             address=gbg("Linnégatan 14 lgh 1102", "413 04"), telecom=[ph(5), em("anna.lindberg")],
             language="sv", updated="2025-01-27", scenario="Guardian of p-se-003..006")
    c.person(2, se_id(D("1982-11-02"), "male"), "Lindberg", ["Erik", "Johan"], "male", "1982-11-02",
             address=gbg("Linnégatan 14 lgh 1102", "413 04"), telecom=[ph(6), em("erik.lindberg")],
             language="sv", updated="2024-10-02", scenario="Guardian of p-se-003..006")
    c.person(3, se_id(D("2017-05-09"), "female"), "Lindberg", ["Elsa"], "female", "2017-05-09",
             address=gbg("Linnégatan 14 lgh 1102", "413 04"), language="sv", guardians=(1, 2),
             updated="2025-05-13", scenario="Child aged 9: guardians have access (under 13)")
    c.person(4, se_id(D("2014-02-17"), "male"), "Lindberg", ["Hugo"], "male", "2014-02-17",
             address=gbg("Linnégatan 14 lgh 1102", "413 04"), language="sv", guardians=(1, 2),
             updated="2026-02-20", scenario="Child aged 12 who turns 13 on 2027-02-17: guardian access ends then")
    c.person(5, se_id(D("2012-07-30"), "female"), "Lindberg", ["Maja"], "female", "2012-07-30",
             address=gbg("Linnégatan 14 lgh 1102", "413 04"), language="sv", guardians=(1, 2),
             updated="2025-08-04", scenario="Child aged 14 (13-15): neither guardians nor the child see the record")
    c.person(6, se_id(D("2009-04-22"), "male"), "Lindberg", ["Oskar"], "male", "2009-04-22",
             address=gbg("Linnégatan 14 lgh 1102", "413 04"), telecom=[ph(7)], language="sv",
             guardians=(1, 2), updated="2026-04-27", scenario="Child aged 17: own access (16+), no guardian access")
    c.person(7, se_id(D("1993-08-08"), "female"), "Ek", ["Linnea"], "female", "1993-08-08",
             address=(["Box 1204"], "751 42", "UPPSALA", "0380"), telecom=[ph(8), em("linnea.ek")],
             protection="se-protected-registration", language="sv", updated="2025-06-16",
             scenario="Skyddad folkbokföring: address and telecom hidden from everyone but herself; restricted (spärrad) prescription")
    c.person(8, se_id(D("1990-10-12"), "male", samordning=True), "Mäkinen", ["Juha"], "male", "1990-10-12",
             address=(["Södra Förstadsgatan 30"], "211 43", "MALMÖ", "1280"), telecom=[em("juha.makinen")],
             language="fi", updated="2026-06-01",
             scenario="Identified by a samordningsnummer (day + 60); Finnish-speaking cross-border worker")
    c.person(9, se_id(D("1938-01-29"), "female"), "Holm", ["Birgitta"], "female", "1938-01-29",
             address=(["Götgatan 45"], "118 26", "STOCKHOLM", "0180"), telecom=[ph(9)], language="sv",
             updated="2026-01-12", scenario="Aged 88; grantor of poa-se-001 (ombud) to her daughter p-se-010")
    c.person(10, se_id(D("1965-06-03"), "female"), "Holm Sjöberg", ["Karin"], "female", "1965-06-03",
             address=(["Ringvägen 108"], "116 61", "STOCKHOLM", "0180"), telecom=[ph(10), em("karin.sjoberg")],
             language="sv", updated="2024-06-10", scenario="Holder of poa-se-001 (prescriptions, vaccinations, patient record)")
    c.person(11, se_id(D("1955-09-18"), "male"), "Nyström", ["Lars"], "male", "1955-09-18",
             address=gbg("Första Långgatan 22", "413 27"), telecom=[ph(11)], language="sv",
             cross_border=("e-prescription",), updated="2025-09-22",
             scenario="Cross-border opt-out of e-prescription only (patient summary still shared)")
    c.person(12, se_id(D("1991-12-01"), "female"), "Bergqvist", ["Sofia"], "female", "1991-12-01",
             address=gbg("Karl Johansgatan 60", "414 55"), telecom=[em("sofia.bergqvist")], language="sv",
             updated="2024-04-22", scenario="Empty patient summary")

    c.poa(9, 10, ["prescriptions", "vaccinations", "patient-record"], "2024-05-01", None)

    rx = lambda *a, **k: c.prescription(*a, catalogue=cat, **k)
    rx(1, "H03AA01", "2026-02-09", dr_wallin, "active", disp=(1, 99, 198), pharmacy=ph_gbg)
    rx(1, "G03AA12", "2025-03-17", dr_wallin, "expired", disp=(2, 95, 190, 285), pharmacy=ph_gbg)
    rx(2, "C09AA05", "2026-05-18", dr_ahmadi, "active", disp=(0, 100), pharmacy=ph_gbg)
    rx(2, "C08CA01", "2025-05-12", dr_ahmadi, "cancelled", disp=(1,), pharmacy=ph_gbg)
    rx(3, "D07AB02", "2026-09-01", dr_ahmadi, "active", disp=(0,), pharmacy=ph_gbg,
       dosage="Smörjs tunt på eksemet 1 gång dagligen i högst 1 vecka")
    rx(4, "R03AC02", "2026-03-02", dr_ahmadi, "active", disp=(1, 150), pharmacy=ph_gbg,
       dosage="2 inhalationer med andningsbehållare vid behov")
    rx(4, "R03BA02", "2026-03-02", dr_ahmadi, "active", disp=(1, 120), pharmacy=ph_gbg)
    rx(5, "R06AX27", "2026-04-06", dr_wallin, "active", disp=(2,), pharmacy=ph_gbg)
    rx(5, "R01AD09", "2026-04-06", dr_wallin, "active", disp=(2,), pharmacy=ph_gbg,
       dosage="1 sprayning i varje näsborre dagligen")
    rx(6, "N06BA04", "2026-06-15", dr_berg, "active", disp=(3, 33, 64, 95, 126), pharmacy=ph_gbg)
    rx(6, "J01CE02", "2025-02-10", dr_ahmadi, "completed", disp=(0,), pharmacy=ph_gbg)
    rx(7, "N06AB06", "2026-02-23", dr_forss, "active", disp=(1, 101, 200), pharmacy=ph_upps,
       restricted=True)  # spärrad: hidden from others with access
    rx(8, "M01AE01", "2026-05-25", dr_persson, "completed", disp=(0,), pharmacy=ph_mmo)
    rx(9, "A10BA02", "2026-01-19", dr_nord, "active", disp=(2, 92, 182, 273), pharmacy=ph_sthlm)
    rx(9, "C03CA01", "2026-01-19", dr_nord, "active", disp=(2, 102, 203), pharmacy=ph_sthlm)
    rx(9, "C07AB02", "2025-12-11", dr_nord, "active", disp=(3, 101, 198), pharmacy=ph_sthlm)
    rx(9, "B01AC06", "2024-08-05", dr_nord, "expired", disp=(1, 100, 200, 300), pharmacy=ph_sthlm)
    rx(9, "N02BE01", "2026-01-19", dr_nord, "active", disp=(30,), pharmacy=ph_sthlm)
    rx(10, "N02CC01", "2026-07-06", dr_nord, "active", disp=(2,), pharmacy=ph_sthlm)
    rx(11, "C10AA05", "2026-03-30", dr_berg, "active", disp=(1, 99, 198), pharmacy=ph_gbg)
    rx(11, "B01AC06", "2026-03-30", dr_berg, "active", disp=(1, 99, 198), pharmacy=ph_gbg)
    rx(11, "C09AA05", "2025-11-24", dr_berg, "on-hold", disp=(1, 100), pharmacy=ph_gbg)

    vx = c.vaccination
    npl = lambda atc: (product_code("SE", atc, SE_VACCINE_PRODUCTS[atc]), SE_VACCINE_PRODUCTS[atc])
    vx(3, "J07CA09", "2017-08-15", bvc_nurse, national=npl("J07CA09"), lot="A21CC711A")
    vx(3, "J07CA09", "2017-10-10", bvc_nurse, national=npl("J07CA09"), lot="A21CC722B")
    vx(3, "J07CA09", "2018-05-22", bvc_nurse, national=npl("J07CA09"), lot="A21CC790A")
    vx(3, "J07BD52", "2018-11-06", bvc_nurse, national=npl("J07BD52"), lot="S001872")
    vx(3, "J07CA02", "2022-06-07", bvc_nurse, national=npl("J07CA02"), lot="T3F221V")
    vx(4, "J07BD52", "2022-03-15", school_nurse, national=npl("J07BD52"), lot="W010034")
    vx(4, "J07BM03", "2025-10-07", school_nurse, national=npl("J07BM03"), lot="U024591")
    vx(5, "J07BM03", "2024-10-01", school_nurse, national=npl("J07BM03"), lot="U019880")
    vx(6, "J07BM03", "2021-10-12", school_nurse, national=npl("J07BM03"), lot="T039115")
    vx(6, "J07AJ52", "2024-11-19", school_nurse, national=npl("J07AJ52"), lot="AC37B118BA")
    vx(9, "J07BB02", "2024-10-15", dr_nord, national=npl("J07BB02"), lot="X3B982V")
    vx(9, "J07BN01", "2024-10-15", dr_nord, national=npl("J07BN01"), lot="HZ7710")
    vx(9, "J07BB02", "2025-10-14", dr_nord, national=npl("J07BB02"), lot="X3C215V")
    vx(9, "J07BN01", "2025-10-14", dr_nord, national=npl("J07BN01"), lot="LK4718")
    vx(10, "J07BA01", "2025-04-28", dr_nord, national=npl("J07BA01"), lot="VR1289")
    vx(11, "J07BB02", "2025-11-03", dr_berg, national=npl("J07BB02"), lot="X3C260V")
    vx(11, "J07AL02", "2025-11-03", dr_berg, national=npl("J07AL02"), lot="Y011563")

    al = c.allergy
    al(1, "91936005", "allergy", "high", "2008-05-12", reaction="126485001")
    al(3, "91930004", "allergy", "low", "2018-02-20", reaction="271807003")
    al(4, "91934008", "allergy", "high", "2019-09-03", reaction="39579001")
    al(5, "418689008", "allergy", "low", "2023-05-15", reaction="126485001")
    al(9, "387458008", "intolerance", "low", "2016-03-08", reaction="422587007")
    al(11, "424213003", "allergy", "high", "2011-07-19", reaction="39579001")
    al(7, "47703008", "intolerance", "low", "2017-10-30", reaction="62315008")

    cd = c.condition
    cd(1, "E03.9", "Hypotyreos, ospecificerad", "2016-09-19")
    cd(2, "I10", "Essentiell hypertoni", "2023-05-08")
    cd(3, "L20.9", "Atopiskt eksem, ospecificerat", "2018-01-23")
    cd(4, "J45.9", "Astma, ospecificerad", "2021-02-01")
    cd(5, "J30.1", "Allergisk rinit orsakad av pollen", "2023-05-15")
    cd(6, "F90.0", "Aktivitets- och uppmärksamhetsstörning", "2024-03-12")
    cd(7, "F43.1", "Posttraumatiskt stressyndrom", "2022-11-07")
    cd(8, "S93.4", "Stukning och distorsion av fotleden", "2026-05-24", abated="2026-07-05")
    cd(9, "E11.9", "Diabetes mellitus typ 2 utan komplikationer", "2006-02-14")
    cd(9, "I50.9", "Hjärtsvikt, ospecificerad", "2021-08-30")
    cd(10, "G43.9", "Migrän, ospecificerad", "1998-04-01")
    cd(11, "I25.1", "Aterosklerotisk hjärtsjukdom", "2019-06-17")
    cd(11, "E78.5", "Hyperlipidemi, ospecificerad", "2019-06-17")

    # --- laboratory reports (1177 "Provsvar"; NPU codes) ---------------------------------------
    lab_kk = (f"{vgr}-L3K8", "Laboratoriemedicin Göteborg, Klinisk kemi")
    lab_mb = (f"{vgr}-L4M2", "Laboratoriemedicin Göteborg, Klinisk mikrobiologi")
    lab_kk_sthlm = (f"{sthlm}-L6K1", "Laboratoriemedicin Stockholm Syd, Klinisk kemi")
    lab = c.lab_report
    # Anna (p-se-001, 42): hypothyroidism follow-up; cystitis with a preliminary culture.
    lab(1, "chemistry", "Klinisk kemi", "2026-02-05", lab_kk, dr_wallin, "blood", [
        q("na", "na", 140, 137, 145), q("k", "k", 4.0, 3.5, 4.4), q("krea", "krea", 68, 45, 90),
        q("egfr", "egfr", 96, 60), q("crp", "crp", 2, None, 5), q("kol", "kol", 5.6, 3.3, 6.9)])
    lab(1, "microbiology", "Urinodling med resistensbestämning", "2026-09-21", lab_mb, dr_wallin, "urine", [
        culture("ucult", "112283007", "≥ 10^5 CFU/mL", {"amp": "R", "cip": "S", "nit": "S", "tmp": "S"})],
        status="preliminary", issue_days=1,
        conclusion="Preliminärt svar. Slutsvar med fullständig resistensbestämning följer.")
    # Birgitta (p-se-009, 88): diabetes and heart failure on furosemide; poa-se-001 to p-se-010
    # has no test-results area.
    lab(9, "chemistry", "Klinisk kemi", "2026-10-12", lab_kk_sthlm, dr_nord, "blood", [
        q("na", "na", 134, 137, 145), q("k", "k", 3.4, 3.5, 4.4), q("krea", "krea", 112, 45, 90),
        q("egfr", "egfr", 38, 60), q("crp", "crp", 3, None, 5), q("gluk", "gluk", 8.4, 4.2, 6.0),
        q("hba1c", "hba1c", 61, 31, 46)])
    lab(9, "haematology", "Blodstatus", "2026-10-12", lab_kk_sthlm, dr_nord, "blood", [
        q("hb", "hb", 109, 117, 153), q("leuk", "leuk", 6.1, 3.5, 8.8), q("trc", "trc", 231, 165, 387)])
    # Elsa (p-se-003, 9): guardians have access.
    lab(3, "microbiology", "SARS-CoV-2 (covid-19), PCR", "2025-12-15", lab_mb, dr_ahmadi, "nps",
        [covid("cov", True)], issue_days=1)
    return c


# ---------------------------------------------------------------------------------------------
# Denmark
# ---------------------------------------------------------------------------------------------


def build_dk() -> Country:
    c = Country("DK", 730)
    org = {
        "aarhus_laege": (dk_sor(583012), "Lægerne Jægergården, Aarhus"),
        "aarhus_sund": (dk_sor(583027), "Sundhedsplejen, Aarhus Kommune"),
        "auh": (dk_sor(583044), "Aarhus Sygehus, Medicinsk Afdeling"),
        "kbh_laege": (dk_sor(583058), "Lægehuset Nørrebro, København"),
        "odense": (dk_sor(583061), "Lægerne Vestergade, Odense"),
        "aalborg": (dk_sor(583079), "Lægehuset Budolfi, Aalborg"),
        "vacc": (dk_sor(583086), "Vaccinationsklinikken Aarhus C"),
    }
    # autorisations-ID: 5 characters, consonants and digits
    dr_kjaer = prof("4HR7T", "Lene Kjær", org["aarhus_laege"])
    dr_bach = prof("9DM2K", "Thomas Bach", org["aarhus_laege"])
    plej = prof("7GV4N", "Pernille Dahl", org["aarhus_sund"])
    dr_holst = prof("2BX8P", "Niels Holst", org["auh"])
    dr_rahman = prof("5KT3W", "Sara Rahman", org["kbh_laege"])
    dr_lund = prof("8PN6C", "Morten Lund", org["odense"])
    dr_friis = prof("3WJ9R", "Anne Friis", org["aalborg"])
    vacc_ssp = prof("6LQ2H", "Maria Winther", org["vacc"])
    ph_aar, ph_kbh, ph_ode, ph_aal = ("Aarhus Sønderbro Apotek", "Nørrebro Runddel Apotek",
                                      "Odense Vestergade Apotek", "Aalborg Budolfi Apotek")
    ph = lambda i: ("phone", f"+45 94 10 23 {i:02d}")  # 94-series: spare (unallocated) in the numbering plan
    em = lambda local: ("email", f"{local}@example.net")
    aar = lambda line, post, city="Aarhus C": ([line], post, city, "0751")
    cat = DK_DRUGS

    c.person(1, dk_id(D("1985-02-19"), "female", 204), "Kjær Nielsen", ["Mette"], "female", "1985-02-19",
             address=aar("Jægergårdsgade 48, 2. tv.", "8000"), telecom=[ph(11), em("mette.nielsen")],
             language="da", updated="2025-03-04", scenario="Parent of p-dk-003..005")
    c.person(2, dk_id(D("1983-10-07"), "male", 117), "Nielsen", ["Rasmus"], "male", "1983-10-07",
             address=aar("Jægergårdsgade 48, 2. tv.", "8000"), telecom=[ph(12)], language="da",
             updated="2024-11-18", scenario="Parent of p-dk-003..005")
    c.person(3, dk_id(D("2018-09-14"), "female", 12), "Nielsen", ["Ida"], "female", "2018-09-14",
             address=aar("Jægergårdsgade 48, 2. tv.", "8000"), language="da", guardians=(1, 2),
             updated="2025-09-22", scenario="Child aged 8: parents see medicines, vaccinations and the access log")
    c.person(4, dk_id(D("2012-04-03"), "male", 25), "Nielsen", ["Magnus"], "male", "2012-04-03",
             address=aar("Jægergårdsgade 48, 2. tv.", "8000"), language="da", guardians=(1, 2),
             updated="2026-04-08", scenario="Child aged 14 (under 15): parents see medicines, vaccinations, access log")
    c.person(5, dk_id(D("2010-06-26"), "female", 38), "Nielsen", ["Freja"], "female", "2010-06-26",
             address=aar("Jægergårdsgade 48, 2. tv.", "8000"), telecom=[ph(13)], language="da",
             guardians=(1, 2), updated="2026-07-01", scenario="Child aged 16: no parental access (15+)")
    c.person(6, dk_id(D("1996-03-21"), "female", 341), "Holm", ["Louise"], "female", "1996-03-21",
             address=(["Nørrebrogade 120, 4. th."], "2200", "København N", "0101"),
             telecom=[ph(14), em("louise.holm")], protection="dk-address-protection", language="da",
             updated="2025-12-01", scenario="Navne- og adressebeskyttelse")
    c.person(7, dk_id(D("1960-08-11"), "male", 188), "Christensen", ["Jens"], "male", "1960-08-11",
             address=(["Vestergade 70"], "5000", "Odense C", "0461"), telecom=[ph(15)], language="da",
             cross_border=("patient-summary", "e-prescription"), updated="2026-01-19",
             scenario="Cross-border opt-out of both services")
    c.person(8, dk_id(D("1949-12-02"), "female", 266), "Sørensen", ["Birthe"], "female", "1949-12-02",
             address=(["Boulevarden 13, 1. sal"], "9000", "Aalborg", "0851"), telecom=[ph(16)], language="da",
             secondary=True, updated="2025-07-07", scenario="Secondary-use opt-out (EHDS Art. 71)")
    c.person(9, dk_id(D("1992-05-15"), "male", 403), "Andersen", ["Mikkel"], "male", "1992-05-15",
             address=aar("Frederiks Allé 104, st.", "8000"), telecom=[em("mikkel.andersen")], language="da",
             updated="2024-09-09", scenario="Empty patient summary")
    c.person(10, dk_id(D("1970-01-28"), "female", 299), "Larsen Poulsen", ["Hanne"], "female", "1970-01-28",
             address=aar("Skovvangsvej 61", "8200", "Aarhus N"), telecom=[ph(17), em("hanne.poulsen")],
             language="da", updated="2025-05-26", scenario="Daughter of p-dk-011, holder of poa-dk-001")
    c.person(11, dk_id(D("1944-07-09"), "male", 152), "Larsen", ["Søren"], "male", "1944-07-09",
             address=aar("Skovvangsvej 63", "8200", "Aarhus N"), telecom=[ph(18)], language="da",
             updated="2026-05-11", scenario="Aged 82; several medicines; grantor of poa-dk-001 (fuldmagt)")

    c.poa(11, 10, ["prescriptions", "access-log"], "2025-02-01", "2027-01-31")

    rx = lambda *a, **k: c.prescription(*a, catalogue=cat, **k)
    rx(1, "H03AA01", "2025-06-02", dr_kjaer, "active", disp=(1, 100, 201, 300, 402), pharmacy=ph_aar)
    rx(2, "R06AE07", "2026-04-20", dr_bach, "active", disp=(2,), pharmacy=ph_aar)
    rx(3, "D07AB02", "2026-02-16", dr_bach, "active", disp=(0,), pharmacy=ph_aar,
       dosage="Smøres tyndt på eksem 1 gang daglig i højst 1 uge")
    rx(3, "J01CE02", "2025-11-10", dr_bach, "completed", disp=(0,), pharmacy=ph_aar,
       dosage="7,5 ml oral suspension 3 gange daglig i 7 dage",
       product=("Primcillin granulat til oral suspension 50 mg/ml", "200 ml"))
    rx(4, "R03AC02", "2025-09-08", dr_kjaer, "active", disp=(1, 180), pharmacy=ph_aar)
    rx(4, "R03AK07", "2025-09-08", dr_kjaer, "active", disp=(1, 100, 210, 330), pharmacy=ph_aar)
    rx(5, "M01AE01", "2026-06-29", dr_kjaer, "completed", disp=(0,), pharmacy=ph_aar)
    rx(6, "N06AB04", "2025-10-13", dr_rahman, "active", disp=(2, 98, 196, 294, 392), pharmacy=ph_kbh)
    rx(7, "A10BA02", "2025-04-07", dr_lund, "active", disp=(1, 91, 182, 273, 364, 455, 546), pharmacy=ph_ode)
    rx(7, "C09AA05", "2025-04-07", dr_lund, "active", disp=(1, 99, 198, 297, 396, 495), pharmacy=ph_ode)
    rx(7, "C10AA01", "2023-09-18", dr_lund, "expired", disp=(3, 103, 203, 303, 403, 503, 603), pharmacy=ph_ode)
    rx(8, "M05BA04", "2025-03-10", dr_friis, "active", disp=(2, 86, 170, 254, 338, 422, 506), pharmacy=ph_aal)
    rx(8, "A12AX", "2025-03-10", dr_friis, "active", disp=(2, 92, 182, 272, 362, 452, 542), pharmacy=ph_aal)
    rx(8, "N02BE01", "2026-01-05", dr_friis, "active", disp=(3, 120, 240), pharmacy=ph_aal)
    rx(10, "N05CF01", "2024-11-25", dr_kjaer, "cancelled", disp=(1,), pharmacy=ph_aar)
    rx(11, "R03BB04", "2025-08-18", dr_holst, "active", disp=(2, 62, 122, 182, 242, 302, 362, 422), pharmacy=ph_aar)
    rx(11, "B01AC06", "2025-08-18", dr_holst, "active", disp=(2, 102, 202, 302, 402), pharmacy=ph_aar)
    rx(11, "C08CA01", "2025-01-13", dr_bach, "on-hold", disp=(1, 100, 200), pharmacy=ph_aar)
    rx(11, "G04CA02", "2024-12-02", dr_bach, "active", disp=(3, 103, 203, 303, 403, 503, 603), pharmacy=ph_aar)
    rx(11, "C10AA01", "2022-11-14", dr_bach, "expired", disp=(1, 101, 201, 301, 401, 501, 601, 701),
       pharmacy=ph_aar)

    vx = c.vaccination
    ddv = lambda atc: (str(1000 + _hash("DDV", atc) % 9000), DK_VACCINE_PRODUCTS[atc])
    vx(3, "J07CA06", "2018-12-14", dr_bach, national=ddv("J07CA06"), lot="S2871")
    vx(3, "J07AL02", "2018-12-14", dr_bach, national=ddv("J07AL02"), lot="GK4520")
    vx(3, "J07CA06", "2019-02-15", dr_bach, national=ddv("J07CA06"), lot="S2890")
    vx(3, "J07CA06", "2019-09-13", dr_bach, national=ddv("J07CA06"), lot="S3015")
    vx(3, "J07BD52", "2019-12-16", dr_bach, national=ddv("J07BD52"), lot="T004418")
    vx(3, "J07CA02", "2023-09-15", dr_bach, national=ddv("J07CA02"), lot="DT2291")
    vx(4, "J07BD52", "2016-04-06", dr_kjaer, lot="R017703")  # DDV entry without a vaccine identifier
    vx(4, "J07BM03", "2024-05-13", dr_kjaer, national=ddv("J07BM03"), lot="U020117")
    vx(4, "J07BM03", "2024-11-18", dr_kjaer, national=ddv("J07BM03"), lot="U022764")
    vx(5, "J07BM03", "2022-08-29", dr_kjaer, lot="T041208")
    vx(7, "J07BB02", "2025-10-06", dr_lund, national=ddv("J07BB02"), lot="Y23C04")
    vx(8, "J07BB02", "2025-10-01", vacc_ssp, national=ddv("J07BB02"), lot="Y23B97")
    vx(8, "J07BN01", "2025-10-01", vacc_ssp, national=ddv("J07BN01"), lot="LK4709")
    vx(11, "J07BB02", "2024-10-02", vacc_ssp, national=ddv("J07BB02"), lot="X22K31")
    vx(11, "J07BB02", "2025-10-01", vacc_ssp, national=ddv("J07BB02"), lot="Y23B97")
    vx(11, "J07BN01", "2025-10-01", vacc_ssp, lot="LK4709")
    vx(11, "J07AL02", "2025-10-01", vacc_ssp, national=ddv("J07AL02"), lot="LH9102")
    vx(10, "J07BN01", "2024-10-09", vacc_ssp, national=ddv("J07BN01"), lot="HZ9005", status="entered-in-error")

    al = c.allergy
    al(1, "91936005", "allergy", "high", "2003-09-15", reaction="271807003")
    al(3, "425525006", "allergy", "low", "2019-06-03", reaction="62315008", active=False)
    al(4, "91935009", "allergy", "high", "2016-11-28", reaction="39579001")
    al(6, "418689008", "allergy", "low", "2014-05-05", reaction="126485001")
    al(8, "387458008", "intolerance", "low", "2012-02-13", reaction="422400008")
    al(11, "424213003", "allergy", "high", "1998-08-03", reaction="267036007")

    cd = c.condition
    cd(1, "DE039", "Hypothyreose UNS", "2015-01-12")
    cd(3, "DL209", "Atopisk eksem UNS", "2019-03-18")
    cd(4, "DJ459", "Astma UNS", "2017-10-02")
    cd(4, "DJ301", "Høfeber", "2020-05-11")
    cd(6, "DF321", "Moderat depressiv enkeltepisode", "2025-09-29")
    cd(7, "DE119", "Type 2-diabetes uden komplikationer", "2015-06-22")
    cd(7, "DI109", "Essentiel hypertension", "2015-06-22")
    cd(8, "DM819", "Osteoporose UNS", "2020-11-02")
    cd(8, "DM179", "Knæartrose UNS", "2018-03-19")
    cd(10, "DG470", "Søvnløshed", "2024-11-25", abated="2025-04-14")
    cd(11, "DJ449", "Kronisk obstruktiv lungesygdom UNS", "2016-09-05")
    cd(11, "DN40", "Godartet prostatahyperplasi", "2014-02-24")

    # --- laboratory reports (sundhed.dk "Laboratoriesvar"; NPU codes) ----------------------------
    lab_kba = (dk_sor(583102), "Aarhus Sygehus, Klinisk Biokemisk Afdeling")
    lab_kma = (dk_sor(583119), "Aarhus Sygehus, Klinisk Mikrobiologisk Afdeling")
    lab_kba_ode = (dk_sor(583126), "Odense Sygehus, Klinisk Biokemisk Afdeling")
    lab = c.lab_report
    # Søren (p-dk-011, 82): COPD, prostatic hyperplasia; poa-dk-001 has no test-results area.
    # The chemistry report was corrected after release.
    lab(11, "chemistry", "Klinisk biokemi", "2026-09-14", lab_kba, dr_bach, "blood", [
        q("na", "na", 139, 137, 145),
        q("k", "k", 4.3, 3.5, 4.6, note="Rettet 16.09.2026: første svar var 5,3 mmol/L (indtastningsfejl)."),
        q("krea", "krea", 104, 60, 105), q("egfr", "egfr", 57, 60), q("crp", "crp", 12, None, 8),
        q("alat", "alat", 15, 10, 70), q("gluk", "gluk", 6.1, 4.2, 7.1)],
        status="corrected", updated_lag=2, conclusion="Rettet svar: P-Kalium er korrigeret.")
    lab(11, "haematology", "Hæmatologi", "2026-09-14", lab_kba, dr_bach, "blood", [
        q("hb", "hb-dk", 8.1, 8.3, 10.5), q("leuk", "leuk", 9.8, 3.5, 8.8), q("trc", "trc", 265, 145, 390)])
    lab(11, "microbiology", "Urindyrkning med resistensbestemmelse", "2026-06-22", lab_kma, dr_bach, "urine", [
        culture("ucult", "56415008", "≥ 10^5 CFU/mL",
                {"amp": "R", "cxm": "S", "cip": "S", "nit": "I", "tmp": "S"})],
        issue_days=2, conclusion="Klebsiella pneumoniae er naturligt resistent over for ampicillin.")
    # Ida (p-dk-003, 8): her parents must not see the result.
    lab(3, "microbiology", "SARS-CoV-2 PCR (covid-19)", "2025-11-10", lab_kma, dr_bach, "nps",
        [covid("cov", False)], issue_days=1)
    # Jens (p-dk-007, 66): type 2 diabetes and hypertension.
    lab(7, "chemistry", "Klinisk biokemi", "2026-03-16", lab_kba_ode, dr_lund, "blood", [
        q("na", "na", 141, 137, 145), q("k", "k", 4.1, 3.5, 4.6), q("krea", "krea", 88, 60, 105),
        q("egfr", "egfr", 79, 60), q("alat", "alat", 34, 10, 70), q("hba1c", "hba1c", 55, None, 48),
        q("kol", "kol", 4.2, None, 5.0)])
    return c


# ---------------------------------------------------------------------------------------------
# Finland
# ---------------------------------------------------------------------------------------------


def build_fi() -> Country:
    c = Country("FI", 730)
    org = {
        "tre_tk": (fi_oid(2347518, 120), "Tampereen kaupunki, Hervannan terveysasema"),
        "tre_neuvola": (fi_oid(2347518, 210), "Tampereen kaupunki, Hervannan lastenneuvola"),
        "tre_koulu": (fi_oid(2347518, 330), "Tampereen kaupunki, koulu- ja opiskeluterveydenhuolto"),
        "hki_tk": (fi_oid(2761049, 140), "Helsingin kaupunki, Kallion terveysasema"),
        "tyks": (fi_oid(2908463, 1001), "Varsinais-Suomen hyvinvointialue, sisätautien poliklinikka"),
        "vasa": (fi_oid(3051277, 160), "Pohjanmaan hyvinvointialue, Vaasan terveysasema"),
        "esp": (fi_oid(2655802, 110), "Länsi-Uudenmaan hyvinvointialue, Leppävaaran terveysasema"),
    }
    # Terhikki registration numbers: synthetic 11-digit numbers
    dr_virtanen = prof("10100583917", "Anna-Kaisa Virtanen", org["tre_tk"])
    dr_heino = prof("10100621478", "Petri Heino", org["tre_tk"])
    th_neuvola = prof("10100734052", "Riikka Salonen", org["tre_neuvola"])
    th_koulu = prof("10100798336", "Minna Järvinen", org["tre_koulu"])
    dr_koskinen = prof("10100812269", "Jussi Koskinen", org["hki_tk"])
    dr_aalto = prof("10100845731", "Helena Aalto", org["tyks"])
    dr_back = prof("10100867140", "Mikael Bäck", org["vasa"])
    dr_rantanen = prof("10100890512", "Tiina Rantanen", org["esp"])
    ph_tre, ph_hki, ph_tku, ph_vaa, ph_esp = ("Hervannan apteekki, Tampere", "Kallion apteekki, Helsinki",
                                              "Turun Hansa-apteekki", "Vaasan Keskusapteekki",
                                              "Leppävaaran apteekki, Espoo")
    em = lambda local: ("email", f"{local}@example.com")
    tre = lambda line, post: ([line], post, "Tampere", "837")
    cat = FI_DRUGS

    c.person(1, fi_id(D("1987-05-06"), "female"), "Korhonen", ["Laura", "Maria"], "female", "1987-05-06",
             address=tre("Insinöörinkatu 42 B 15", "33720"), telecom=[em("laura.korhonen")], language="fi",
             updated="2025-02-17", scenario="Guardian of p-fi-003 and p-fi-004")
    c.person(2, fi_id(D("1985-12-19"), "male"), "Korhonen", ["Mikko", "Juhani"], "male", "1985-12-19",
             address=tre("Insinöörinkatu 42 B 15", "33720"), telecom=[em("mikko.korhonen")], language="fi",
             updated="2024-12-09", scenario="Guardian of p-fi-003 and p-fi-004")
    c.person(3, fi_id(D("2019-08-01"), "female"), "Korhonen", ["Aino"], "female", "2019-08-01",
             address=tre("Insinöörinkatu 42 B 15", "33720"), language="fi", guardians=(1, 2),
             updated="2025-08-11", scenario="Child aged 7 (under 10): guardians have access")
    c.person(4, fi_id(D("2014-01-25"), "male"), "Korhonen", ["Eetu"], "male", "2014-01-25",
             address=tre("Insinöörinkatu 42 B 15", "33720"), language="fi", guardians=(1, 2),
             updated="2026-02-02", scenario="Child aged 12 (10+): guardian access per visit/restriction codes")
    c.person(5, fi_id(D("1994-04-17"), "female"), "Laine", ["Emilia"], "female", "1994-04-17",
             address=(["Fleminginkatu 9 A 7"], "00530", "Helsinki", "091"), telecom=[em("emilia.laine")],
             protection="fi-non-disclosure", language="fi", updated="2025-11-03",
             scenario="Turvakielto (non-disclosure for personal safety)")
    c.person(6, fi_id(D("1952-03-09"), "male"), "Nieminen", ["Pekka"], "male", "1952-03-09",
             address=(["Yliopistonkatu 27 C 31"], "20100", "Turku", "853"), telecom=[em("pekka.nieminen")],
             language="fi", secondary=True, updated="2026-03-16", scenario="Secondary-use opt-out")
    c.person(7, fi_id(D("1979-10-30"), "female"), "Heikkinen", ["Sanna"], "female", "1979-10-30",
             address=(["Hämeenkatu 15 A 4"], "33100", "Tampere", "837"), telecom=[em("sanna.heikkinen")],
             language="fi", updated="2026-10-19",
             scenario="Release delays: condition, prescription and vaccination hidden until 2027-03-01; others released 2026-06-15")
    c.person(8, fi_id(D("1990-07-14"), "male"), "Mäkelä", ["Ville"], "male", "1990-07-14",
             address=(["Leppävaarankatu 3 B 22"], "02600", "Espoo", "049"), telecom=[em("ville.makela")],
             language="fi", updated="2024-02-26", scenario="Empty patient summary")
    c.person(9, fi_id(D("1940-11-11"), "female"), "Lindroos", ["Gunnel"], "female", "1940-11-11",
             address=(["Kyrkoesplanaden 21"], "65100", "Vasa", "905"), language="sv", updated="2026-05-25",
             scenario="Aged 86, Swedish-speaking; grantor of poa-fi-001 to her son p-fi-010")
    c.person(10, fi_id(D("1966-02-02"), "male"), "Lindroos", ["Johan"], "male", "1966-02-02",
             address=(["Rantakatu 4 A 3"], "65100", "Vaasa", "905"), telecom=[em("johan.lindroos")],
             language="sv", updated="2024-07-15", scenario="Holder of poa-fi-001 (prescriptions, vaccinations)")
    c.person(11, fi_id(D("1966-06-21"), "male"), "Salo", ["Jari"], "male", "1966-06-21",
             address=(["Pispalan valtatie 88"], "33250", "Tampere", "837"), telecom=[em("jari.salo")],
             language="fi", updated="2025-09-08", scenario="Adult with chronic conditions and medicines")

    c.poa(9, 10, ["prescriptions", "vaccinations"], "2025-11-01", "2028-10-31")
    # An attorney of the person with delayed records: reaches them only from their release.
    c.poa(7, 8, ["prescriptions", "vaccinations", "patient-record"], "2025-06-01", "2028-05-31")

    rx = lambda *a, **k: c.prescription(*a, catalogue=cat, **k)
    rx(1, "H03AA01", "2025-05-12", dr_virtanen, "active", disp=(1, 100, 200, 300, 400), pharmacy=ph_tre)
    rx(2, "J01CA04", "2026-01-26", dr_heino, "completed", disp=(0,), pharmacy=ph_tre)
    rx(3, "D07AB02", "2026-03-09", dr_heino, "active", disp=(1,), pharmacy=ph_tre,
       dosage="Ohuelti ihottuma-alueille kerran päivässä enintään 1 viikon ajan")
    rx(4, "R03AC02", "2025-09-15", dr_heino, "active", disp=(2, 200), pharmacy=ph_tre,
       dosage="2 inhalaatiota tilanjatkeen kautta tarvittaessa")
    rx(4, "R03BA02", "2025-09-15", dr_heino, "active", disp=(2, 120, 240, 360), pharmacy=ph_tre)
    rx(5, "N06AB06", "2025-10-06", dr_koskinen, "active", disp=(3, 101, 199, 297, 395), pharmacy=ph_hki)
    rx(6, "A10BA02", "2025-01-20", dr_aalto, "active", disp=(1, 91, 182, 273, 364, 455, 546), pharmacy=ph_tku)
    rx(6, "C10AA05", "2025-01-20", dr_aalto, "active", disp=(1, 101, 201, 301, 401, 501, 601), pharmacy=ph_tku)
    rx(6, "C09AA05", "2023-02-13", dr_aalto, "expired", disp=(2, 100, 198, 296, 394, 492, 590, 688),
       pharmacy=ph_tku)
    # Sanna (p-fi-007): release delays
    rx(7, "N05BA04", "2026-10-12", dr_virtanen, "active", disp=(1,), pharmacy=ph_tre, release="2027-03-01")
    rx(7, "N06AB06", "2026-05-25", dr_virtanen, "active", disp=(2, 100), pharmacy=ph_tre, release="2026-06-15")
    rx(7, "M01AE01", "2025-08-18", dr_virtanen, "completed", disp=(0,), pharmacy=ph_tre)
    rx(9, "N06DA02", "2025-06-16", dr_back, "active", disp=(2, 100, 198, 296, 394, 492), pharmacy=ph_vaa)
    rx(9, "B01AF02", "2025-06-16", dr_back, "active", disp=(2, 86, 170, 254, 338, 422, 506), pharmacy=ph_vaa)
    rx(9, "A11CC05", "2025-06-16", dr_back, "active", disp=(2, 100, 200, 300, 400, 500), pharmacy=ph_vaa)
    rx(9, "N02BE01", "2026-02-23", dr_back, "active", disp=(3, 120), pharmacy=ph_vaa)
    rx(9, "C08CA01", "2024-09-30", dr_back, "cancelled", disp=(1, 99, 198), pharmacy=ph_vaa)
    rx(11, "C09AA05", "2025-11-17", dr_heino, "active", disp=(1, 99, 198, 297), pharmacy=ph_tre)
    rx(11, "C10AA05", "2025-11-17", dr_heino, "on-hold", disp=(1,), pharmacy=ph_tre)
    rx(11, "J01CE02", "2024-12-02", dr_heino, "completed", disp=(0,), pharmacy=ph_tre)
    # Eetu (p-fi-004, 12): a prescription under a per-visit restriction (he asked at the visit
    # that his guardians not see it); from 10, MyKanta honours such codes.
    rx(4, "J01CA04", "2026-10-20", dr_heino, "completed", disp=(0,), pharmacy=ph_tre, restricted=True)

    vx = c.vaccination
    vnr = lambda atc: (product_code("FI", atc, FI_VACCINE_PRODUCTS[atc]), FI_VACCINE_PRODUCTS[atc])
    vx(3, "J07BH01", "2019-10-03", th_neuvola, national=vnr("J07BH01"), lot="AROLC613AB")
    vx(3, "J07CA06", "2019-11-05", th_neuvola, national=vnr("J07CA06"), lot="U1J981V")
    vx(3, "J07AL02", "2019-11-05", th_neuvola, national=vnr("J07AL02"), lot="ASPNA102BE")
    vx(3, "J07CA06", "2020-01-08", th_neuvola, national=vnr("J07CA06"), lot="U1K033V")
    vx(3, "J07CA06", "2020-08-04", th_neuvola, national=vnr("J07CA06"), lot="U1K208V")
    vx(3, "J07BD52", "2020-09-15", th_neuvola, national=vnr("J07BD52"), lot="T012937")
    vx(4, "J07BD52", "2020-06-09", th_neuvola, national=vnr("J07BD52"), lot="T010556")
    vx(4, "J07BM02", "2026-09-22", th_koulu, national=vnr("J07BM02"), lot="AHPVA402AA")
    vx(1, "J07BB02", "2025-11-10", dr_virtanen, national=vnr("J07BB02"), lot="X3C277V")
    vx(6, "J07BB02", "2025-10-20", dr_aalto, national=vnr("J07BB02"), lot="X3C229V")
    vx(6, "J07BN01", "2025-10-20", dr_aalto, national=vnr("J07BN01"), lot="LK4755")
    vx(7, "J07BA01", "2026-10-12", dr_virtanen, national=vnr("J07BA01"), lot="VR1410", release="2027-03-01")
    vx(7, "J07BA01", "2026-05-25", dr_virtanen, national=vnr("J07BA01"), lot="VR1376", release="2026-06-15")
    vx(9, "J07BB02", "2025-10-27", dr_back, national=vnr("J07BB02"), lot="X3C251V")
    vx(9, "J07BN01", "2025-10-27", dr_back, national=vnr("J07BN01"), lot="LK4760")
    vx(9, "J07AL02", "2024-10-29", dr_back, national=vnr("J07AL02"), lot="LH8832")
    vx(11, "J07BB02", "2025-11-17", dr_heino, national=vnr("J07BB02"), status="not-done")

    al = c.allergy
    al(1, "91936005", "allergy", "high", "2010-04-26", reaction="126485001")
    al(3, "91930004", "allergy", "low", "2020-11-16", reaction="271807003")
    al(4, "418689008", "allergy", "low", "2021-05-24", reaction="126485001")
    al(6, "387458008", "intolerance", "low", "2009-01-19", reaction="422587007")
    al(7, "300913006", "allergy", "high", "2012-07-02", reaction="41291007")
    al(9, "294505008", "allergy", "unable-to-assess", "1985-06-01", reaction="271807003")
    al(11, "47703008", "intolerance", "low", "2001-09-10", reaction="62315008")

    cd = c.condition
    cd(1, "E03.9", "Kilpirauhasen vajaatoiminta, määrittämätön", "2013-08-19")
    cd(3, "L20.9", "Atooppinen ihottuma, määrittämätön", "2020-02-10")
    cd(4, "J45.9", "Astma, määrittämätön", "2021-04-12")
    cd(4, "J30.1", "Siitepölyn aiheuttama allerginen nuha", "2021-05-24")
    cd(5, "F43.1", "Traumaperäinen stressireaktio", "2024-06-03")
    cd(6, "E11.9", "Aikuistyypin diabetes ilman komplikaatioita", "2012-10-01")
    cd(6, "I10", "Essentiaalinen verenpainetauti", "2009-01-19")
    # Sanna (p-fi-007): one condition delayed to 2027-03-01, one released 2026-06-15
    cd(7, "F41.1", "Yleistynyt ahdistuneisuushäiriö", "2026-10-12", release="2027-03-01")
    cd(7, "F32.1", "Keskivaikea masennustila", "2026-05-25", release="2026-06-15")
    cd(9, "G30.1", "Myöhäisalkuinen Alzheimerin tauti", "2025-06-16")
    cd(9, "I48.0", "Kohtauksittainen eteisvärinä", "2024-03-04")
    cd(11, "I10", "Essentiaalinen verenpainetauti", "2018-04-23")
    cd(11, "M54.5", "Alaselän kipu", "2025-02-10", abated="2025-05-05")
    # A child's record delayed like an adult's: hidden from her guardians too until release.
    cd(3, "F93.0", "Lapsuusiän eroahdistushäiriö", "2026-11-02", release="2027-03-01")

    # --- laboratory reports (MyKanta "Laboratoriotutkimukset"; Kuntaliitto codes) ---------------
    lab_kk = (fi_oid(3120487, 510), "Pirkanmaan laboratoriokeskus, kliininen kemia")
    lab_mb = (fi_oid(3120487, 520), "Pirkanmaan laboratoriokeskus, kliininen mikrobiologia")
    lab = c.lab_report
    # Laura (p-fi-001, 39): one report hidden from her until 2027-03-01, the others released.
    lab(1, "chemistry", "Kliininen kemia", "2026-05-11", lab_kk, dr_virtanen, "blood", [
        q("na", "na", 141, 137, 145), q("k", "k", 4.1, 3.3, 4.9), q("krea", "krea", 66, 50, 90),
        q("egfr", "egfr", 101, 90), q("crp", "crp", 1, None, 3), q("alat", "alat", 24, 10, 35),
        q("kol", "kol", 5.4, None, 5.0)])
    lab(1, "microbiology", "Virtsan bakteeriviljely ja herkkyysmääritys", "2026-02-16", lab_mb, dr_virtanen,
        "urine", [culture("ucult", "112283007", "≥ 10^5 pmy/ml",
                          {"amp": "S", "cxm": "S", "nit": "S", "tmp": "R"})],
        issue_days=2)
    lab(1, "haematology", "Perusverenkuva", "2026-11-09", lab_kk, dr_virtanen, "blood", [
        q("hb", "hb", 109, 117, 155), q("leuk", "leuk", 5.9, 3.4, 8.2), q("trc", "trc", 312, 150, 360)],
        release="2027-03-01")
    # Aino (p-fi-003, 7): guardians have access.
    lab(3, "microbiology", "Koronavirus (COVID-19), nukleiinihappotesti", "2026-01-19", lab_mb, dr_heino,
        "nps", [covid("cov", False)], issue_days=1)
    return c


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def _decode_no(v: str) -> tuple[date, str, bool]:
    assert re.fullmatch(r"\d{11}", v), v
    assert _no_controls(v[:9]) == v[9:], f"NO control digits of {v}"
    dd, mm, yy, ind = int(v[:2]), int(v[2:4]), int(v[4:6]), int(v[6:9])
    d_number = dd > 40
    if d_number:
        dd -= 40
    assert mm > 80, f"{v}: not a synthetic number (month + 80)"
    mm -= 80
    if ind <= 499:
        year = 1900 + yy
    elif ind >= 900 and yy >= 40:
        year = 1900 + yy
    elif ind >= 500 and yy <= 39:
        year = 2000 + yy
    elif 500 <= ind <= 749 and yy >= 54:
        year = 1800 + yy
    else:
        raise AssertionError(f"{v}: individual number/year combination")
    return date(year, mm, dd), "male" if int(v[8]) % 2 else "female", d_number


def _decode_se(v: str) -> tuple[date, str, bool]:
    assert re.fullmatch(r"\d{12}", v), v
    assert _luhn_digit(v[2:11]) == int(v[11]), f"SE Luhn of {v}"
    assert 980 <= int(v[8:11]) <= 999, f"{v}: birth number outside the test series"
    dd = int(v[6:8])
    sam = dd > 60
    return date(int(v[:4]), int(v[4:6]), dd - 60 if sam else dd), \
        "male" if int(v[10]) % 2 else "female", sam


def _decode_dk(v: str) -> tuple[date, str]:
    assert re.fullmatch(r"\d{10}", v), v
    dd, mm, yy, s7 = int(v[:2]), int(v[2:4]), int(v[4:6]), int(v[6])
    if s7 <= 3:
        year = 1900 + yy
    elif s7 in (4, 9):
        year = 2000 + yy if yy <= 36 else 1900 + yy
    else:
        year = 2000 + yy if yy <= 57 else 1800 + yy
    assert not _dk_mod11_ok(v), f"{v}: satisfies mod 11 (the data set keeps CPR numbers that do not)"
    assert (mm, dd) != (1, 1), v
    return date(year, mm, dd), "male" if int(v[9]) % 2 else "female"


def _decode_fi(v: str) -> tuple[date, str]:
    m = re.fullmatch(r"(\d{2})(\d{2})(\d{2})([-A])(\d{3})([0-9A-Y])", v)
    assert m, v
    dd, mm, yy, sign, zzz, q = m.groups()
    assert FI_CHECK[int(dd + mm + yy + zzz) % 31] == q, f"FI check character of {v}"
    assert int(zzz) >= 900, f"{v}: not a test individual number"
    year = (1900 if sign == "-" else 2000) + int(yy)
    return date(year, int(mm), int(dd)), "male" if int(zzz) % 2 else "female"


RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
KEY = re.compile(r"[A-Za-z0-9-]{1,24}")
EXPECTED_AGES = {
    "NO": {"p-no-003": 5, "p-no-004": 13, "p-no-005": 17, "p-no-006": 9},
    "SE": {"p-se-003": 9, "p-se-004": 12, "p-se-005": 14, "p-se-006": 17},
    "DK": {"p-dk-003": 8, "p-dk-004": 14, "p-dk-005": 16},
    "FI": {"p-fi-003": 7, "p-fi-004": 12},
}


def _stamp(s: str) -> datetime:
    assert RFC3339.fullmatch(s), s
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def check(country: str, data: dict) -> list[str]:
    errors: list[str] = []

    def err(msg: str):
        errors.append(f"{country}: {msg}")

    allowed_top = {"country", "persons", "powers_of_attorney", "prescriptions", "vaccinations",
                   "allergies", "conditions", "lab_reports"}
    if set(data) - allowed_top:
        err(f"unknown top-level fields {set(data) - allowed_top}")
    if data.get("country") != country:
        err("country field")
    persons = {p["key"]: p for p in data["persons"]}
    if len(persons) != len(data["persons"]):
        err("duplicate person keys")
    keys = set(persons)
    values = set()
    for p in data["persons"]:
        k = p["key"]
        try:
            nid = p["national_id"]
            v = nid["value"]
            if v in values:
                err(f"{k}: duplicate national id")
            values.add(v)
            if country == "NO":
                birth, sex, dnr = _decode_no(v)
                if nid["system"] != SYS["NO-DNR" if dnr else "NO-FNR"]:
                    err(f"{k}: system {nid['system']}")
            elif country == "SE":
                birth, sex, sam = _decode_se(v)
                if nid["system"] != SYS["SE-SAM" if sam else "SE-PNR"]:
                    err(f"{k}: system {nid['system']}")
            elif country == "DK":
                birth, sex = _decode_dk(v)
                if nid["system"] != SYS["DK-CPR"]:
                    err(f"{k}: system")
            else:
                birth, sex = _decode_fi(v)
                if nid["system"] != SYS["FI-HETU"]:
                    err(f"{k}: system")
            if birth.isoformat() != p["birth_date"]:
                err(f"{k}: birth_date {p['birth_date']} but the id says {birth}")
            if sex != p["sex"]:
                err(f"{k}: sex {p['sex']} but the id says {sex}")
        except AssertionError as e:
            err(f"{k}: {e}")
        if not KEY.fullmatch(k):
            err(f"{k}: key form")
        for g in p.get("guardians", []):
            if g not in persons:
                err(f"{k}: unknown guardian {g}")
            elif age(D(persons[g]["birth_date"])) < 18:
                err(f"{k}: guardian {g} is a minor")
        if country == "NO" and age(D(p["birth_date"])) >= 18 and "portal_consent" not in p:
            err(f"{k}: NO adult without portal_consent")
        if country != "NO" and "portal_consent" in p:
            err(f"{k}: portal_consent outside Norway")
        u = _stamp(p["updated"]).date()
        if not FIRST_UPDATE <= u <= LAST_UPDATE:
            err(f"{k}: updated {u}")
    for k, expected in EXPECTED_AGES[country].items():
        if k not in persons:
            err(f"scenario person {k} missing")
        elif age(D(persons[k]["birth_date"])) != expected:
            err(f"{k}: age {age(D(persons[k]['birth_date']))}, expected {expected}")
    for poa in data["powers_of_attorney"]:
        if not KEY.fullmatch(poa["key"]) or poa["key"] in keys:
            err(f"{poa['key']}: key")
        keys.add(poa["key"])
        for role in ("grantor", "holder"):
            if poa[role] not in persons:
                err(f"{poa['key']}: unknown {role}")
        if poa.get("valid_to") and poa["valid_to"] < poa["valid_from"]:
            err(f"{poa['key']}: period")
    for kind in ("prescriptions", "vaccinations", "allergies", "conditions"):
        for r in data[kind]:
            k = r["key"]
            if not KEY.fullmatch(k) or k in keys:
                err(f"{k}: key form or duplicate")
            keys.add(k)
            if r["person"] not in persons:
                err(f"{k}: unknown person {r['person']}")
            u = _stamp(r["updated"]).date()
            if not FIRST_UPDATE <= u <= LAST_UPDATE:
                err(f"{k}: updated {u}")
            birth = D(persons[r["person"]]["birth_date"]) if r["person"] in persons else date.min
            if kind == "prescriptions":
                a = _stamp(r["authored"]).date()
                if a < birth or a > LAST_UPDATE:
                    err(f"{k}: authored {a}")
                vu = D(r["valid_until"])
                if r["status"] == "active" and vu < TODAY:
                    err(f"{k}: active but valid_until {vu}")
                if r["status"] == "expired" and vu >= TODAY:
                    err(f"{k}: expired but valid_until {vu}")
                for d in r.get("dispensations", []):
                    dd = D(d["date"])
                    if not a <= dd <= min(vu, LAST_UPDATE) or dd > u:
                        err(f"{k}: dispensation {dd}")
                if r["status"] == "completed" and not r.get("dispensations"):
                    err(f"{k}: completed without dispensation")
            if kind == "vaccinations" and not birth <= D(r["date"]) <= LAST_UPDATE:
                err(f"{k}: date {r['date']}")
            if kind == "allergies" and not birth <= D(r["recorded"]) <= LAST_UPDATE:
                err(f"{k}: recorded {r['recorded']}")
            if kind == "conditions":
                if not birth <= D(r["onset"]) <= LAST_UPDATE:
                    err(f"{k}: onset")
                if r.get("abated") and r["abated"] < r["onset"]:
                    err(f"{k}: abated before onset")
                code = r["icd10"]["code"]
                pattern = {"NO": r"[A-Z]\d{2}\d{0,2}", "SE": r"[A-Z]\d{2}(\.\d{1,2})?",
                           "DK": r"D[A-Z]\d{2}\d{0,2}", "FI": r"[A-Z]\d{2}(\.\d{1,2})?"}[country]
                if not re.fullmatch(pattern, code):
                    err(f"{k}: ICD-10 code {code} not in the national format")
    for r in data.get("lab_reports", []):
        errors.extend(f"{country}: {e}" for e in _check_lab_report(country, r, persons, keys))
    # blocked professionals must appear as prescriber on the person's own records
    for p in data["persons"]:
        for pro in p.get("choices", {}).get("blocked_professionals", []):
            if not any(r["person"] == p["key"] and r["prescriber"]["id"] == pro for r in data["prescriptions"]):
                err(f"{p['key']}: blocked professional {pro} prescribed nothing to them")
    return errors


LAB_REPORT_FIELDS = {"key", "person", "accession", "title", "study", "status", "collected", "issued",
                     "specimen", "laboratory", "requester", "results", "conclusion", "release_date",
                     "updated"}
LAB_RESULT_FIELDS = {"key", "loinc", "national", "value", "reference_range", "interpretation", "note",
                     "members"}
LAB_VALUE_FIELDS = {"quantity": {"kind", "value", "unit"}, "coded": {"kind", "code", "display"},
                    "text": {"kind", "text"}, "none": {"kind"}}
INTERPRETATIONS = {"normal", "high", "low", "critical-high", "critical-low", "abnormal", "detected",
                   "not-detected", "susceptible", "intermediate", "resistant"}
NATIONAL_LAB_CODE = {"NO": r"(NPU|NOR)\d{5}", "SE": r"NPU\d{5}", "DK": r"NPU\d{5}", "FI": r"\d{3,5}"}


def _check_lab_report(country: str, r: dict, persons: dict, keys: set) -> list[str]:
    """One laboratory report: fields as `LabReport` has them, keys unique among all of the
    country's records, times in range and in order, UCUM units, sound reference ranges."""
    errors: list[str] = []
    k = r.get("key", "?")

    def err(msg: str):
        errors.append(f"{k}: {msg}")

    if set(r) - LAB_REPORT_FIELDS:
        err(f"unknown fields {set(r) - LAB_REPORT_FIELDS}")
    if not re.fullmatch(rf"lab-{country.lower()}-\d{{4}}", k):
        err("report key form")
    if not KEY.fullmatch(k) or k in keys:
        err("key form or duplicate")
    keys.add(k)
    if r["person"] not in persons:
        err(f"unknown person {r['person']}")
    if r["study"] not in ("chemistry", "haematology", "microbiology"):
        err(f"study {r['study']}")
    if r["status"] not in ("preliminary", "final", "corrected"):
        err(f"status {r['status']}")
    if not r.get("accession") or not r.get("title"):
        err("accession or title missing")
    stamps = {}
    for field in ("collected", "issued", "updated"):
        try:
            stamps[field] = _stamp(r[field])
        except AssertionError:
            err(f"{field} not RFC 3339 with offset: {r[field]}")
            continue
        if not FIRST_UPDATE <= stamps[field].date() <= LAST_UPDATE:
            err(f"{field} {stamps[field].date()}")
    if "collected" in stamps and "issued" in stamps and stamps["collected"] > stamps["issued"]:
        err("collected after issued")
    if "issued" in stamps and "updated" in stamps and stamps["updated"] < stamps["issued"]:
        err("updated before issued")
    if r["person"] in persons and "collected" in stamps \
            and stamps["collected"].date() < D(persons[r["person"]]["birth_date"]):
        err("collected before birth")
    if r.get("release_date"):
        D(r["release_date"])
        if "issued" in stamps and r["release_date"] < stamps["issued"].date().isoformat():
            err("release_date before issued")
    if set(r["specimen"]) != {"code", "display"} or not r["specimen"]["code"].isdigit():
        err("specimen")
    if set(r["laboratory"]) != {"id", "name"}:
        err("laboratory")
    if "requester" in r and (set(r["requester"]) != {"id", "name", "organization"}
                             or set(r["requester"]["organization"]) != {"id", "name"}):
        err("requester")
    if not r["results"]:
        err("no results")

    def result(res: dict, depth: int):
        rk = res.get("key", "?")
        if set(res) - LAB_RESULT_FIELDS:
            err(f"{rk}: unknown fields {set(res) - LAB_RESULT_FIELDS}")
        if not KEY.fullmatch(rk) or rk in keys or not rk.startswith(k + "-"):
            err(f"{rk}: key form or duplicate")
        keys.add(rk)
        if set(res["loinc"]) != {"code", "display"} or not re.fullmatch(r"\d{1,6}-\d", res["loinc"]["code"]):
            err(f"{rk}: LOINC code")
        nat = res.get("national")
        if nat and (set(nat) != {"code", "display"} or not re.fullmatch(NATIONAL_LAB_CODE[country], nat["code"])):
            err(f"{rk}: national code {nat}")
        v = res["value"]
        if v.get("kind") not in LAB_VALUE_FIELDS or set(v) != LAB_VALUE_FIELDS[v["kind"]]:
            err(f"{rk}: value {v}")
        elif v["kind"] == "quantity":
            if not isinstance(v["value"], (int, float)) or isinstance(v["value"], bool):
                err(f"{rk}: quantity value")
            if v["unit"] not in UCUM_UNITS:
                err(f"{rk}: unit {v['unit']} is not one of the UCUM codes in use")
            if "reference_range" not in res or "interpretation" not in res:
                err(f"{rk}: quantity without reference range or interpretation")
        rr = res.get("reference_range")
        if rr is not None:
            if set(rr) - {"low", "high", "text"} or not rr:
                err(f"{rk}: reference range {rr}")
            if rr.get("low") is not None and rr.get("high") is not None and rr["low"] > rr["high"]:
                err(f"{rk}: reference range low > high")
        if res.get("interpretation") is not None and res["interpretation"] not in INTERPRETATIONS:
            err(f"{rk}: interpretation {res['interpretation']}")
        if depth > 0 and res.get("members"):
            err(f"{rk}: members nested deeper than one level")
        for m in res.get("members", []):
            if m.get("interpretation") not in ("susceptible", "intermediate", "resistant"):
                err(f"{m.get('key')}: susceptibility interpretation")
            result(m, depth + 1)

    for res in r["results"]:
        result(res, 0)
    return errors


def scenario_checks(sets: dict[str, dict]) -> list[str]:
    """The cross-record scenarios the brief asks for."""
    errors = []
    no, se, dk, fi = sets["NO"], sets["SE"], sets["DK"], sets["FI"]
    # every country: one adult with no allergies, conditions, prescriptions
    for cc, data in sets.items():
        with_records = {r["person"] for kind in ("prescriptions", "allergies", "conditions") for r in data[kind]}
        empty = [p["key"] for p in data["persons"] if age(D(p["birth_date"])) >= 18 and p["key"] not in with_records]
        if not empty:
            errors.append(f"{cc}: no adult with an empty patient summary")
        if len(data["persons"]) < 11:
            errors.append(f"{cc}: fewer than 11 persons")
    levels = {p.get("portal_consent") for p in no["persons"]}
    if not {"withdrawn", "basic", "basic-plus", "full"} <= levels:
        errors.append(f"NO: consent levels {levels}")
    if not any(r.get("restricted") for r in no["prescriptions"]):
        errors.append("NO: no restricted prescription")
    if not any(p["national_id"]["system"] == SYS["NO-DNR"] for p in no["persons"]):
        errors.append("NO: no D-number")
    counts = {}
    for r in no["prescriptions"]:
        counts[r["person"]] = counts.get(r["person"], 0) + 1
    poly = max(counts, key=counts.get)
    statuses = {r["status"] for r in no["prescriptions"] if r["person"] == poly}
    with_disp = sum(1 for r in no["prescriptions"] if r["person"] == poly and r.get("dispensations"))
    if counts[poly] < 20 or len(statuses) < 4 or with_disp < 15:
        errors.append(f"NO: polypharmacy patient {poly}: {counts[poly]} prescriptions, {statuses}, {with_disp} dispensed")
    if not any("patient-summary" in p.get("choices", {}).get("cross_border_opt_out", []) for p in no["persons"]):
        errors.append("NO: no patient-summary opt-out")
    if not any(p.get("protection") == "no-strictly-confidential" and p.get("guardians") for p in no["persons"]):
        errors.append("NO: no protected child with a guardian")
    if not no["powers_of_attorney"]:
        errors.append("NO: no power of attorney")
    if not any(p.get("protection") == "se-protected-registration" for p in se["persons"]):
        errors.append("SE: no skyddad folkbokföring")
    if not any(p["national_id"]["system"] == SYS["SE-SAM"] for p in se["persons"]):
        errors.append("SE: no samordningsnummer")
    if not any(p.get("choices", {}).get("cross_border_opt_out") == ["e-prescription"] for p in se["persons"]):
        errors.append("SE: no e-prescription-only opt-out")
    if not se["powers_of_attorney"]:
        errors.append("SE: no power of attorney")
    if not any(p.get("protection") == "dk-address-protection" for p in dk["persons"]):
        errors.append("DK: no address protection")
    if not any(set(p.get("choices", {}).get("cross_border_opt_out", [])) == {"patient-summary", "e-prescription"}
               for p in dk["persons"]):
        errors.append("DK: no opt-out of both services")
    if not any(p.get("choices", {}).get("secondary_use_opt_out") for p in dk["persons"]):
        errors.append("DK: no secondary-use opt-out")
    if not any(p.get("protection") == "fi-non-disclosure" for p in fi["persons"]):
        errors.append("FI: no turvakielto")
    if not any(p.get("choices", {}).get("secondary_use_opt_out") for p in fi["persons"]):
        errors.append("FI: no secondary-use opt-out")
    for kind in ("conditions", "prescriptions", "vaccinations"):
        rel = [r["release_date"] for r in fi[kind] if r.get("release_date")]
        if not any(d > TODAY.isoformat() for d in rel):
            errors.append(f"FI: no future release date on {kind}")
    if not any(r.get("release_date") and r["release_date"] < TODAY.isoformat()
               for kind in ("conditions", "prescriptions", "vaccinations") for r in fi[kind]):
        errors.append("FI: no past release date")
    errors += _lab_scenario_checks(sets)
    return errors


# Who must have laboratory reports (scenario persons) and who must not (empty patient summaries).
LAB_PERSONS = {"NO": ["p-no-008", "p-no-004", "p-no-003"], "SE": ["p-se-001", "p-se-003"],
               "DK": ["p-dk-011", "p-dk-003"], "FI": ["p-fi-001", "p-fi-003"]}
NO_LAB_PERSONS = {"NO": ["p-no-011"], "SE": ["p-se-012"], "DK": ["p-dk-009"], "FI": ["p-fi-008"]}


def _lab_scenario_checks(sets: dict[str, dict]) -> list[str]:
    errors = []
    statuses = set()
    for cc, data in sets.items():
        reports = data.get("lab_reports", [])
        statuses |= {r["status"] for r in reports}
        people = {r["person"] for r in reports}
        for p in LAB_PERSONS[cc]:
            if p not in people:
                errors.append(f"{cc}: {p} has no laboratory report")
        for p in NO_LAB_PERSONS[cc]:
            if p in people:
                errors.append(f"{cc}: {p} (empty patient summary) has a laboratory report")
        studies = {r["study"] for r in reports}
        if studies != {"chemistry", "haematology", "microbiology"}:
            errors.append(f"{cc}: laboratory studies {studies}")
        results = [res for r in reports for res in r["results"]]
        cultures = [res for res in results if res["loinc"]["code"] == "630-4"]
        if not any(res["value"]["kind"] == "coded" and res.get("interpretation") == "abnormal"
                   and 3 <= len(res.get("members", [])) <= 5 for res in cultures):
            errors.append(f"{cc}: no urine culture with 3-5 susceptibility results")
        if not any(res["loinc"]["code"] == "94500-6" and res.get("interpretation") in ("detected", "not-detected")
                   for res in results):
            errors.append(f"{cc}: no SARS-CoV-2 test")
        quantities = [res for res in results if res["value"]["kind"] == "quantity"]
        if not any(res.get("interpretation") in ("high", "low") for res in quantities):
            errors.append(f"{cc}: no abnormal quantity result")
        if not any(res.get("national") for res in results):
            errors.append(f"{cc}: no national laboratory code")
    for status in ("preliminary", "final", "corrected"):
        if status not in statuses:
            errors.append(f"no laboratory report with status {status}")
    # FI: an adult with a report hidden until after the reference date and one without delay.
    fi_reports = sets["FI"].get("lab_reports", [])
    delayed = {r["person"] for r in fi_reports if r.get("release_date", "") > TODAY.isoformat()}
    undelayed = {r["person"] for r in fi_reports if not r.get("release_date")}
    if not delayed & undelayed & {"p-fi-001", "p-fi-002"}:
        errors.append("FI: no adult with both a delayed and an undelayed laboratory report")
    return errors


# ---------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check the committed JSON files")
    args = ap.parse_args()
    names = {"NO": "no.json", "SE": "se.json", "DK": "dk.json", "FI": "fi.json"}
    if args.check:
        sets = {cc: json.loads((OUT / n).read_text(encoding="utf-8")) for cc, n in names.items()}
    else:
        built = {"NO": build_no(), "SE": build_se(), "DK": build_dk(), "FI": build_fi()}
        sets = {cc: b.dataset() for cc, b in built.items()}
        OUT.mkdir(parents=True, exist_ok=True)
        for cc, n in names.items():
            text = json.dumps(sets[cc], ensure_ascii=False, indent=2) + "\n"
            (OUT / n).write_text(text, encoding="utf-8")
        for cc, b in built.items():
            print(f"{cc}: {len(b.persons)} persons, {len(b.rx)} prescriptions, {len(b.vx)} vaccinations, "
                  f"{len(b.al)} allergies, {len(b.cd)} conditions, {len(b.poas)} powers of attorney, "
                  f"{len(b.labs)} laboratory reports")
    errors = [e for cc, data in sets.items() for e in check(cc, data)] + scenario_checks(sets)
    for e in errors:
        print("ERROR", e, file=sys.stderr)
    if not errors:
        print(f"checked: {sum(len(s['persons']) for s in sets.values())} persons, all rules hold")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
