"""The demo's problems (问题清单): a handful with a realistic history, so the pages are not empty.

Written after the demo layers, step by step through `geomon.supervision` (dated July–September
2023, after the ledgers' date), so each carries its history and evidence files like a real one:

- P2023-001 督察反馈 on the 二级 zone of 江汉市第一水厂玉带河水源地 (the planted outlet inside it,
  drawn at the outlet): 整改中 on a plan with dated steps, due 2027-12-31 (no card);
- P2023-002 排查, made in one step from the overdue rural outlet in 柳溪县: still 整改中 past its
  deadline (2023-08-02): the red card;
- P2023-003 巡查 on a stormwater outlet in 芦荡县, opened by the inspection XC20230705-001 that
  found it (its photo's EXIF gives the position): reported done with a photo, sent back, done
  again, closed by another user (a full loop with one send-back);
- P2023-004 监测预警, made in one step from an alert on section 玉带河城区 (氨氮), closed (a PDF);
- P2023-005 信访投诉 on a wharf outlet in 芦荡县: 待整改, due 2027-06-30.

Photos are drawn here (no clock, no randomness) with EXIF time and position written in.
"""

from __future__ import annotations

import io
from typing import Any

from geomon.demo.tables import PLANTED_OUTLET_CODE
from geomon.store import Store
from geomon.supervision import evidence, inspections, problems

INSPECTOR, VERIFIER = "王明", "李娜"
ZONE = "SY42990201-2"
RED_OUTLET = "CJ9102429922NS0001"
PATROL_OUTLET = "CJ9301429924CY0010"
WHARF_OUTLET = "CJ9301429924GM0007"
ALERT = {
    "kind": "exceedance",
    "severity": "warning",
    "layer": "sections",
    "id": "JHGK02",
    "name": "玉带河城区",
    "parameter": "氨氮",
    "value": 1.32,
    "limit": 1.0,
    "since": "2023-07-10",
    "message": "玉带河城区 氨氮 1.32 mg/L 超过 Ⅲ 类限值 1.0 mg/L",
    "rule": "GB 3838-2002 表1",
}


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 2)
    return float(d), float(m), s


def photo(when: str, lon: float, lat: float, *, tint: int = 0) -> bytes:
    """A 640×480 JPEG of a river bank (drawn), its EXIF saying `when` (``YYYY:MM:DD HH:MM:SS``)
    and the WGS84 position (`lon`, `lat`)."""
    from PIL import Image, ImageDraw  # noqa: PLC0415  (demo only)

    image = Image.new("RGB", (640, 480), (170, 200, 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 250, 640, 480), fill=(70 + tint, 110, 140))  # water
    draw.polygon([(0, 250), (640, 190), (640, 260), (0, 320)], fill=(120, 150 - tint, 80))
    draw.rectangle((300, 200, 340, 250), fill=(90, 90, 90))  # the outlet's pipe
    draw.ellipse((310, 250, 360, 275), fill=(110 + tint, 100, 80))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = when
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", _dms(lat), "E", _dms(lon)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()


REPORT_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
"""A blank one-page PDF standing in for a monitoring report (合成数据)."""


def _point(store: Store, layer: str, fid: str) -> Any:
    return problems.feature_row(store, layer, fid)["geometry"]


def _photo(store: Store, layer: str, fid: str, when: str, name: str, tint: int = 0) -> Any:
    p = _point(store, layer, fid)
    return evidence.check_evidence(name, photo(when, p.x, p.y, tint=tint))


def write_problems(store: Store) -> list[str]:
    """Write the demo problems with their history into `store`, oldest step first; return ids."""
    at = "T10:00:00+08:00"

    def step(pid: str, status: str, user: str, note: str, day: str, files: Any = ()) -> None:
        problems.update_problem(
            store, pid, status=status, user=user, note=note, evidence=list(files), at=day + at
        )

    def shot(when: str, name: str, tint: int) -> list[Any]:
        return [_photo(store, "outlets", PATROL_OUTLET, when, name, tint)]

    zone = problems.add_problem(
        store,
        layer="protection_zones",
        feature_id=ZONE,
        title="玉带河水源地二级保护区内存在码头排口",
        source="督察反馈",
        unit="明珠区人民政府",
        deadline="2027-12-31",
        description="省生态环境保护督察反馈：江汉市第一水厂玉带河水源地二级保护区内西门街道码头"
        "排口仍在排放，未按要求关闭或迁出。（合成数据）",
        measures="一点一策：排口截流接入市政管网，码头装卸作业迁出二级保护区，设置隔离防护设施。",
        steps="2023-09-30 完成排口截流\n2025-12-31 完成码头搬迁选址与审批\n"
        "2027-12-31 完成搬迁并生态修复",
        user=INSPECTOR,
        geometry=_point(store, "outlets", PLANTED_OUTLET_CODE),  # drawn at the outlet itself
        at="2023-07-03" + at,
    )["id"]
    red = problems.problem_from_overdue_outlet(
        store, RED_OUTLET, user=INSPECTOR, at="2023-07-03T11:00:00+08:00"
    )["id"]
    found = inspections.record_inspection(  # the 巡查 that found it opens the problem
        store,
        inspector=INSPECTOR,
        layer="outlets",
        feature_id=PATROL_OUTLET,
        findings="晴天排口有灰黑色污水排出，有异味。（合成数据）",
        when="2023-07-05T09:40",
        photos=[_photo(store, "outlets", PATROL_OUTLET, "2023:07:05 09:40:12", "巡查发现.jpg")],
        open_problem={
            "title": "雨洪排口晴天有污水排出",
            "unit": "芦荡县住房和城乡建设局",
            "deadline": "2023-08-31",
            "description": "日常巡查发现该雨洪排口晴天仍有灰黑色污水排出，疑似雨污混接。"
            "（合成数据）",
            "measures": "排查上游雨污混接点，完成混接改造，设置排口标志牌。",
            "steps": "2023-08-15 完成混接点排查\n2023-08-31 完成改造",
        },
        at="2023-07-05" + at,
    )
    patrol = found["problems"][0]["id"]
    step(patrol, "整改中", INSPECTOR, "已进场排查混接点", "2023-07-10")
    alert = problems.problem_from_alert(
        store, ALERT, user=INSPECTOR, unit="明珠区人民政府", at="2023-07-11" + at
    )["id"]
    step(alert, "整改中", INSPECTOR, "已排查上游排口，关停一处违法排放", "2023-07-12")
    step(zone, "整改中", INSPECTOR, "已制定整改方案并开始截流施工", "2023-07-20")
    step(red, "整改中", INSPECTOR, "村委会已启动污水收集管网建设", "2023-07-21")
    report = [evidence.check_evidence("加密监测报告.pdf", REPORT_PDF)]
    step(alert, "待核查", INSPECTOR, "8月上旬加密监测氨氮达标", "2023-08-05", report)
    step(alert, "已销号", VERIFIER, "复核监测数据达标，同意销号", "2023-08-10")
    done = shot("2023:08:20 15:02:40", "整改后1.jpg", 20)
    step(patrol, "待核查", INSPECTOR, "混接点已改造", "2023-08-20", done)
    step(patrol, "整改中", VERIFIER, "现场复核仍有少量污水排出，退回", "2023-08-25")
    wharf = problems.add_problem(
        store,
        layer="outlets",
        feature_id=WHARF_OUTLET,
        title="群众反映码头排口夜间有异味",
        source="信访投诉",
        unit="江汉市港航发展有限公司",
        deadline="2027-06-30",
        description="12345 热线转办：芦荡镇码头排口夜间异味明显。（合成数据）",
        measures="查明异味来源，码头生活污水和含油废水收集上岸处理。",
        user=INSPECTOR,
        at="2023-09-05" + at,
    )["id"]
    again = shot("2023:09:10 10:11:05", "整改后2.jpg", 40)
    step(patrol, "待核查", INSPECTOR, "补充封堵两处混接", "2023-09-10", again)
    step(patrol, "已销号", VERIFIER, "现场核查晴天无排水，同意销号", "2023-09-15")
    return [zone, red, patrol, alert, wharf]
