"""Fixed data tables of the demo city: districts, waters, outlet types, sections, means, projects.

All invented (see `geomon.demo`). The builders in `geomon.demo.geometry`,
`geomon.demo.constraints` and `geomon.demo.records` read these tables while drawing from one
seeded generator in a fixed order, so changing a table changes the generated data.
"""

from __future__ import annotations

SEED = 2023  # seed of build_demo's generator; the red lines draw from their own, SEED + 1
CITY = "江汉市"
BASIN = "长江"

# code, name, Voronoi seed (km from the centre), townships. All fictional; GB/T 2260-style codes
# under an unused prefecture prefix (4299): 02–03 districts, 21–25 counties, 81 a county city.
DISTRICTS = (
    ("429902", "明珠区", (0.0, 0.0), ("江滨街道", "东门街道", "西门街道")),
    ("429903", "沙洲区", (22.0, 0.0), ("沙洲街道", "滨湖街道", "东港镇")),
    ("429921", "白鹭县", (-8.0, 11.0), ("白鹭镇", "鹤鸣镇", "北塘镇")),
    ("429922", "柳溪县", (-8.0, -11.0), ("柳溪镇", "南垸镇", "杨桥镇")),
    ("429923", "青石县", (-21.0, -8.0), ("青石镇", "岭口镇", "石门乡")),
    ("429924", "芦荡县", (10.0, 11.0), ("芦荡镇", "鸳鸯镇", "荷塘乡")),
    ("429925", "田畈县", (-21.0, 6.0), ("田畈镇", "西河镇", "禾丰乡")),
    ("429981", "新垸市", (10.0, -11.0), ("新垸街道", "兴农镇", "丰乐镇")),
)
MAIN, TRIB_N, TRIB_S, CANAL, LAKE = "玉带河", "白鹭河", "柳溪河", "兴农运河", "鸳鸯湖"
# Fictional 6-character receiving-water codes (HJ 932-2017 not applied). Outlet codes follow the
# table-driven layout in geomon/rules/outlets.toml: water 6 + district 6 + type 2 + serial 4.
WATER_CODES = {MAIN: "CJ9001", TRIB_N: "CJ9101", TRIB_S: "CJ9102", CANAL: "CJ9201", LAKE: "CJ9301"}
PLANTED_OUTLET_CODE = "CJ9001429902GM0001"  # the outlet inside a 二级 zone (data/README.md)
PLANTED_SECTION_CODE = "JHMK02"  # the 市控 section with no target class

# ----------------------------------------------------------------------------- constraint layers

UNIT_DIGIT = {"优先保护单元": 1, "重点管控单元": 2, "一般管控单元": 3}  # code pattern [M] §4.2
ADMISSION = {
    "优先保护单元": "禁止开发性、生产性建设活动，仅允许不破坏生态功能的有限人为活动"
    "（自然资发〔2022〕142号）；水源保护区执行水污染防治法第六十五、六十六条。",
    "城镇生活类": "新建项目污水全部纳管；完善雨污分流；禁止新建化工、印染等项目。",
    "产业集聚类": "入园企业废水预处理后排入园区污水处理厂；落实环境风险防控措施。",
    "一般管控单元": "执行区域生态环境保护的基本要求。",
}

# ----------------------------------------------------------------------------- outlets

# type_l1, type_l2, type_l3, code letters, count. Counts: 58 stormwater (45 %), 34 agricultural or
# rural (26 %), 37 other, after the 2023 Yellow River survey (DOMAIN §2.2). Letters are fictional.
OUTLET_TYPES = (
    ("工业排污口", "工矿企业排污口", "工业企业排污口", "GS", 13),
    ("工业排污口", "工矿企业排污口", "矿山排污口", "KS", 1),
    ("工业排污口", "工矿企业雨洪排口", "工业企业雨洪排口", "GY", 17),
    ("工业排污口", "工矿企业雨洪排口", "矿山雨洪排口", "KY", 3),
    ("工业排污口", "工业及其他各类园区污水处理厂排污口", None, "YS", 3),
    ("工业排污口", "工业及其他各类园区污水处理厂雨洪排口", None, "YY", 8),
    ("城镇污水处理厂排污口", "城镇污水处理厂排污口", None, "CW", 6),
    ("农业排口", "规模化畜禽养殖排污口", None, "XQ", 4),
    ("农业排口", "规模化水产养殖排污口", None, "SC", 6),
    ("其他排口", "大中型灌区排口", None, "GG", 5),
    ("其他排口", "港口码头排口", None, "GM", 3),
    ("其他排口", "规模以下畜禽养殖排污口", None, "XX", 4),
    ("其他排口", "规模以下水产养殖排污口", None, "SX", 5),
    ("其他排口", "农村污水处理设施排污口", None, "NW", 4),
    ("其他排口", "农村生活污水散排口", None, "NS", 6),
    ("其他排口", "城镇生活污水散排口", None, "CS", 9),
    ("其他排口", "城镇雨洪排口", None, "CY", 30),
    ("其他排口", "其他", None, "QT", 2),
)
# type_l2 → (rectification categories, their probabilities, discharge modes)
CATEGORY = {
    "工矿企业排污口": (("规范", "合并"), (0.6, 0.4), ("明管", "暗管")),
    "工矿企业雨洪排口": (("规范", "无需整治"), (0.7, 0.3), ("涵闸", "明渠", "暗管")),
    "工业及其他各类园区污水处理厂排污口": (("规范",), (1.0,), ("明管", "暗管")),
    "工业及其他各类园区污水处理厂雨洪排口": (("规范", "无需整治"), (0.7, 0.3), ("涵闸", "暗渠")),
    "城镇污水处理厂排污口": (("规范",), (1.0,), ("明管", "暗管")),
    "规模化畜禽养殖排污口": (("规范", "取缔"), (0.7, 0.3), ("明渠", "暗管")),
    "规模化水产养殖排污口": (("规范", "取缔"), (0.7, 0.3), ("明渠", "涵闸")),
    "大中型灌区排口": (("规范", "无需整治"), (0.5, 0.5), ("涵闸", "明渠")),
    "港口码头排口": (("规范", "合并"), (0.6, 0.4), ("明管", "明渠")),
    "规模以下畜禽养殖排污口": (("取缔", "规范"), (0.6, 0.4), ("明渠", "明管")),
    "规模以下水产养殖排污口": (("取缔", "规范"), (0.6, 0.4), ("明渠", "涵闸")),
    "农村污水处理设施排污口": (("规范",), (1.0,), ("明管", "暗管")),
    "农村生活污水散排口": (("合并", "取缔"), (0.5, 0.5), ("明渠", "明管")),
    "城镇生活污水散排口": (("合并", "取缔"), (0.7, 0.3), ("暗管", "明管")),
    "城镇雨洪排口": (("规范", "无需整治"), (0.7, 0.3), ("泵站", "涵闸", "暗管")),
    "其他": (("取缔", "规范"), (0.5, 0.5), ("其他", "明管")),
}
COMPANIES = ("华瑞化工", "恒远纺织", "金禾食品", "长盛建材", "新锐机械", "绿源生物", "宏达纸业")
ROADS = ("江汉大道", "人民路", "建设路", "滨江路", "东风路", "新华路", "光明路", "湖滨路")
VILLAGES = ("新河", "王场", "李台", "张湾", "刘垸", "陈岭", "杨家台", "周湾", "黄桥", "胡场")
PARKS = ("江汉经济开发区", "田畈工业园")
MINE = "江汉鑫磊矿业有限公司"
RECTIFIED = ("整治完成", "已销号")
OUTLET_COLUMNS = (
    "code local_code name type_l1 type_l2 type_l3 receiving_water receiving_water_code "
    "water_body_kind discharge_mode district district_code township address responsible_unit "
    "category stage traced_date deadline completed_date sign_installed survey_date notes"
)
OVERDUE_OUTLET_CODE = "CJ9102429922NS0001"  # river outlet 整治中, deadline 2023-03-31
ATTACHMENT_HOST = "https://hbj.jianghan.example"  # reserved .example domain: links go nowhere
# attachments (整治方案、监测报告、销号材料) of a few outlets, to show the field; the rest have
# none. Keys: an outlet code, or "closed:N" for the N-th 已销号 outlet in code order.
ATTACHMENTS = {
    PLANTED_OUTLET_CODE: (
        f"整治方案 江汉环整〔2023〕7号；{ATTACHMENT_HOST}/pwk/{PLANTED_OUTLET_CODE}/plan.pdf"
    ),
    OVERDUE_OUTLET_CODE: "封堵方案（档案号 JH-PWK-2023-015）\n现场核查照片 IMG_0315.jpg",
    "closed:1": "销号申请表.pdf；监测报告 JHJC-2023-041；{host}/pwk/{code}/closure.pdf",
    "closed:2": "销号材料（档案号 JH-PWK-2023-052）",
}

# ----------------------------------------------------------------------------- sections

# code, name, water, where, control level, target, boundary level, handover, automatic station.
# where: ("s"|"e", km from the upstream|downstream end), ("x", km east of the centre),
# ("f", fraction of the length), ("b", fraction: nearest district-boundary crossing),
# ("i", km from the intake, negative = upstream), ("lake", 0).
SECTIONS: tuple[
    tuple[str, str, str, tuple[str, float], str, str | None, str | None, str | None, bool], ...
] = (
    ("JHGK01", f"{MAIN}入境", MAIN, ("s", 1.0), "国控", "II", "市界", f"云泽市→{CITY}", True),
    ("JHGK02", f"{MAIN}城区", MAIN, ("x", 3.5), "国控", "III", None, None, True),
    ("JHGK03", f"{MAIN}出境", MAIN, ("e", 1.0), "国控", "III", "市界", f"{CITY}→泽口市", True),
    ("JHGK04", f"{TRIB_N}河口", TRIB_N, ("e", 0.8), "国控", "III", None, None, True),
    ("JHGK05", f"{LAKE}湖心", LAKE, ("lake", 0.0), "国控", "III", None, None, True),
    ("JHGK06", f"{TRIB_S}河口", TRIB_S, ("e", 0.8), "国控", "III", None, None, True),
    ("JHSK01", "第一水厂取水口", MAIN, ("i", -0.1), "省控", "II", None, None, True),
    ("JHSK02", f"{MAIN}县界", MAIN, ("b", 0.2), "省控", "III", "县界", None, True),
    ("JHSK03", f"{TRIB_N}上游", TRIB_N, ("f", 0.15), "省控", "II", None, None, False),
    ("JHSK04", f"{TRIB_N}中游", TRIB_N, ("f", 0.55), "省控", "III", None, None, False),
    ("JHSK05", f"{TRIB_S}上游", TRIB_S, ("f", 0.3), "省控", "III", None, None, False),
    ("JHSK06", f"{TRIB_S}县界", TRIB_S, ("b", 0.7), "省控", "III", "县界", None, False),
    ("JHSK07", f"{CANAL}上游", CANAL, ("f", 0.15), "省控", "III", None, None, False),
    ("JHSK08", f"{CANAL}入河口", CANAL, ("e", 1.0), "省控", "III", None, None, True),
    ("JHSK09", f"{MAIN}东郊", MAIN, ("x", 12.0), "省控", "III", None, None, False),
    ("JHMK01", f"{TRIB_N}城区段", TRIB_N, ("f", 0.8), "市控", "III", None, None, False),
    ("JHMK02", f"{TRIB_S}下游", TRIB_S, ("f", 0.88), "市控", None, None, None, False),
    ("JHMK03", f"{MAIN}城东", MAIN, ("x", 7.5), "市控", "III", None, None, False),
)

# ----------------------------------------------------------------------------- monitoring

# Designed Jan–Jun means: pH, DO, CODMn, COD, BOD5, NH3N, TP, FC (个/L). Every mean sits ≥ 5 %
# from every GB 3838 表1 limit, so rounding (82号) cannot change a class. JHGK05 (lake) is Ⅳ on
# TP with the lake limits (Ⅱ with river limits); JHSK08 is Ⅴ on NH3N; JHGK02 has one Ⅳ month
# (NH3N, January) and FC that would be Ⅳ if the reference item FC were wrongly assessed.
MEANS: dict[str, tuple[float, ...]] = {
    "JHGK01": (7.9, 8.4, 3.1, 11.5, 2.2, 0.28, 0.072, 1200),
    "JHGK02": (7.6, 6.9, 4.7, 17.0, 3.3, 0.82, 0.150, 14000),
    "JHGK03": (7.7, 7.0, 4.5, 16.5, 3.2, 0.68, 0.140, 6500),
    "JHGK04": (7.8, 6.9, 4.3, 16.2, 3.3, 0.62, 0.128, 4200),
    "JHGK05": (8.1, 8.3, 5.2, 17.5, 3.5, 0.42, 0.078, 900),
    "JHGK06": (7.7, 6.7, 4.9, 17.8, 3.4, 0.76, 0.162, 3800),
    "JHSK01": (7.9, 8.2, 3.3, 12.0, 2.4, 0.31, 0.078, 900),
    "JHSK02": (7.8, 8.0, 4.4, 16.4, 3.25, 0.58, 0.118, 2600),
    "JHSK03": (7.6, 8.6, 2.8, 10.5, 2.0, 0.22, 0.055, 600),
    "JHSK04": (7.7, 7.0, 4.6, 16.6, 3.4, 0.70, 0.136, 3000),
    "JHSK05": (7.5, 6.6, 4.8, 17.2, 3.3, 0.66, 0.152, 2800),
    "JHSK06": (7.6, 6.5, 5.1, 18.2, 3.6, 0.86, 0.171, 5200),
    "JHSK07": (7.8, 8.1, 3.6, 13.8, 2.6, 0.44, 0.088, 1500),
    "JHSK08": (7.4, 5.6, 5.3, 18.4, 3.7, 1.72, 0.185, 9000),
    "JHSK09": (7.7, 6.8, 4.8, 17.0, 3.3, 0.74, 0.148, 5800),
    "JHMK01": (7.6, 6.6, 4.9, 17.4, 3.5, 0.80, 0.158, 8800),
    "JHMK02": (7.6, 6.8, 4.7, 16.9, 3.3, 0.72, 0.146, 4100),
    "JHMK03": (7.7, 6.7, 4.8, 17.1, 3.4, 0.78, 0.153, 7600),
}
MEAN_ITEMS = ("pH", "DO", "CODMn", "COD", "BOD5", "NH3N", "TP", "FC")
# Low, class-Ⅰ metal levels (mg/L) and the lake's TN (a reference item, never assessed: §1.3)
BASE = {"Cu": 0.004, "Zn": 0.018, "As": 0.0021, "Hg": 2e-5, "Cd": 2e-4, "Pb": 0.0018}
BASE |= {"Cr6": 0.004, "TN": 1.32}
# item → (decimals reported, month-to-month noise σ, Jan..Jun seasonal factor): winter brings
# more DO and NH3-N, the wet season more TP, FC and organic load.
MODEL = {
    "DO": (1, 0.04, (1.12, 1.09, 1.02, 0.97, 0.92, 0.88)),
    "CODMn": (1, 0.04, (0.94, 0.95, 1.0, 1.02, 1.04, 1.05)),
    "COD": (1, 0.04, (0.94, 0.95, 1.0, 1.02, 1.04, 1.05)),
    "BOD5": (1, 0.04, (0.95, 0.96, 1.0, 1.01, 1.03, 1.05)),
    "NH3N": (3, 0.06, (1.18, 1.12, 1.0, 0.93, 0.89, 0.88)),
    "TP": (3, 0.05, (0.88, 0.9, 0.98, 1.02, 1.08, 1.14)),
    "TN": (2, 0.05, (1.1, 1.08, 1.0, 0.95, 0.93, 0.94)),
    "FC": (0, 0.2, (0.6, 0.7, 0.9, 1.1, 1.3, 1.4)),
    "Cu": (4, 0.12, (1,) * 6),
    "Zn": (3, 0.12, (1,) * 6),
    "As": (4, 0.12, (1,) * 6),
    "Hg": (6, 0.12, (1,) * 6),
    "Cd": (5, 0.12, (1,) * 6),
    "Pb": (4, 0.12, (1,) * 6),
    "Cr6": (3, 0.12, (1,) * 6),
}
WT = (6.8, 8.5, 13.2, 18.6, 23.1, 26.4)
GK02_NH3N = (1.26, 0.94, 0.79, 0.71, 0.63, 0.59)  # mean 0.82 (Ⅲ); January alone is Ⅳ

# ----------------------------------------------------------------------------- projects

# One proposed project per siting situation; geometries are placed in
# `geomon.demo.constraints._project_geometries`.
PROJECTS = """
XM2023-001|江汉金禾食品有限公司肉制品加工项目|工业|食品加工|1|拟建|江汉金禾食品有限公司
XM2023-002|江汉天成电子有限公司电路板生产线项目|工业|电子元件制造|1|已批|江汉天成电子有限公司
XM2023-003|江汉经济开发区东区扩区|工业园区|园区开发|1|拟建|江汉经济开发区管理委员会
XM2023-004|沙洲大道跨玉带河大桥及接线工程|线性基础设施|道路建设|0|在建|江汉市交通投资集团有限公司
XM2023-005|第一水厂取水泵站改造工程|供水设施|供水设施改造|0|拟建|江汉市水务集团有限公司
XM2023-006|青石山麓安置小区|住房|住宅开发|0|拟建|青石县城市建设投资有限公司
XM2023-007|青石山建筑用石料矿开采项目|矿山|采矿|0|拟建|江汉顺泰石材有限公司
XM2023-008|江汉市北部物流园仓储项目|其他|仓储物流|0|已批|江汉恒通物流有限公司
XM2023-009|鸳鸯湖水上游乐码头|其他|旅游|0|拟建|芦荡县文化旅游发展有限公司
XM2023-010|江汉长盛建材有限公司预拌砂浆扩建项目|工业|建材生产|1|拟建|江汉长盛建材有限公司
XM2023-011|明珠花园住宅小区|住房|住宅开发|0|在建|江汉明珠置业有限公司
"""
