"""What the siting result's columns hold, how each figure is measured, and their labels."""

from __future__ import annotations

from geomon.specs import Label

METHODS = {
    "area_m2": "CGCS2000 3° Gauss–Krüger plane of the project's own zone (EPSG in metric_crs)",
    "overlap_area_m2": "same GK plane as area_m2",
    "distance_m": "minimum distance on the same GK plane (0 when touching or overlapping)",
    "area_geodesic_m2": "geodesic, on the CGCS2000 ellipsoid (pyproj.Geod)",
    "overlap_area_geodesic_m2": "geodesic area of the GK-plane intersection, CGCS2000 ellipsoid",
    "distance_geodesic_m": "geodesic length between the GK-plane nearest points",
    "overlap_ratio": "overlap / project area (polygons), length (lines) or point count (points)",
}
METHOD_NOTE_ZH = (
    "面积、距离按项目所在（以项目中心经度定带）CGCS2000 3° 高斯–克吕格投影平面计算（生态环境部"
    "三线一单工作要求），同时给出 CGCS2000 椭球面上的测地线结果以供对照。"
)

PROJECT_COLUMNS = (
    "id", "name", "kind", "activity", "discharges_wastewater", "verdict", "area_m2",
    "area_geodesic_m2", "length_m", "length_geodesic_m", "metric_crs", "n_conflicts",
    "reason_zh", "reason_en", "citations",
)  # fmt: skip
CONFLICT_COLUMNS = (
    "project", "project_id", "project_name", "layer", "layer_title", "feature_id", "name",
    "level", "relation", "overlap_area_m2", "overlap_area_geodesic_m2", "overlap_length_m",
    "overlap_length_geodesic_m", "overlap_ratio", "distance_m", "distance_geodesic_m",
    "metric_crs", "verdict", "rule_id", "citation", "reason_zh", "reason_en", "allowed_item",
    "admission", "feature_row",
)  # fmt: skip

COLUMN_LABELS: dict[str, Label] = {
    "project": Label("项目行", "Project row"),
    "id": Label("项目编号", "Project id"),
    "project_id": Label("项目编号", "Project id"),
    "name": Label("名称", "Name"),
    "project_name": Label("项目名称", "Project name"),
    "kind": Label("项目类型", "Kind"),
    "activity": Label("活动类型", "Activity"),
    "discharges_wastewater": Label("排放废水", "Discharges wastewater"),
    "verdict": Label("结论", "Verdict"),
    "area_m2": Label("面积（m²，高斯平面）", "Area (m², GK plane)"),
    "area_geodesic_m2": Label("面积（m²，椭球面）", "Area (m², geodesic)"),
    "length_m": Label("长度（m，高斯平面）", "Length (m, GK plane)"),
    "length_geodesic_m": Label("长度（m，椭球面）", "Length (m, geodesic)"),
    "metric_crs": Label("计算平面", "Measured on"),
    "n_conflicts": Label("涉及要素数", "Features involved"),
    "reason_zh": Label("理由", "Reasons (Chinese)"),
    "reason_en": Label("理由（英文）", "Reasons"),
    "citations": Label("依据", "Citations"),
    "layer": Label("图层代码", "Layer"),
    "layer_title": Label("图层", "Layer title"),
    "feature_id": Label("要素编号", "Feature id"),
    "level": Label("级别/类型", "Level / type"),
    "relation": Label("关系", "Relation"),
    "overlap_area_m2": Label("重叠面积（m²，高斯平面）", "Overlap (m², GK plane)"),
    "overlap_area_geodesic_m2": Label("重叠面积（m²，椭球面）", "Overlap (m², geodesic)"),
    "overlap_length_m": Label("重叠长度（m，高斯平面）", "Overlap length (m, GK plane)"),
    "overlap_length_geodesic_m": Label("重叠长度（m，椭球面）", "Overlap length (m, geodesic)"),
    "overlap_ratio": Label("重叠比例", "Overlap share"),
    "distance_m": Label("最近距离（m，高斯平面）", "Distance (m, GK plane)"),
    "distance_geodesic_m": Label("最近距离（m，椭球面）", "Distance (m, geodesic)"),
    "rule_id": Label("规则编号", "Rule id"),
    "citation": Label("依据", "Citation"),
    "allowed_item": Label("有限人为活动项", "Allowed activity item"),
    "admission": Label("准入要求", "Admission requirements"),
    "feature_row": Label("要素行号", "Feature row"),
}
