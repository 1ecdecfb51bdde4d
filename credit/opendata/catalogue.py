"""The open-data catalogue: the kept snapshots described DCAT-style (W3C DCAT 3).

A catalogue (title, description, licence, publisher, issued, modified) lists the datasets
of the newest snapshot, each with its distributions (one file each: media type, format
inside the gzip, byte size, SHA-256 checksum, row count, download URL), and every kept
snapshot the same way. It is read from the manifests the builder wrote, so what it says
is what the files hold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from credit.identity import Identity
from credit.opendata import snapshots
from credit.opendata.datasets import BY_NAME
from credit.permissions import can_read_public, require

TITLE = ("江苏省电子商务信用公共服务平台开放数据", "Jiangsu E-commerce Credit Platform open data")
DESCRIPTION = (
    "每日生成的公开信用信息快照：经营者登记信息、公开的信用承诺、公示期内的违法失信信息和"
    "信用评价（含评分模型版本），格式为 gzip 压缩的 CSV（UTF-8，含 BOM）和 JSON Lines，"
    "每个文件附行数与 SHA-256 校验值。只包含公开页面展示的内容，自然人姓名已遮蔽。",
    "Daily snapshots of the public credit record: the operators' registry data, public "
    "integrity pledges, violations inside their publicity window and credit ratings with "
    "their scoring model version, as gzip CSV (UTF-8 with BOM) and JSON Lines, each file "
    "with its row count and SHA-256. Only what the public pages show; natural persons' "
    "names are masked.",
)
LICENCE = ("本站数据使用条款", "The site's terms of data use")


def _distribution(base: str, day: str, dataset: dict[str, Any], f: dict[str, Any]) -> dict:
    return {
        "title": f["name"],
        "media_type": f["media_type"],
        "format": f["format"],
        "compress_format": "application/gzip",
        "byte_size": f["byte_size"],
        "checksum": {"algorithm": "sha256", "value": f["sha256"]},
        "row_count": dataset["rows"],
        "download_url": f"{base}/api/v1/open-data/{day}/{f['name']}",
    }


def _dataset(base: str, manifest: dict[str, Any], dataset: dict[str, Any]) -> dict:
    known = BY_NAME.get(dataset["name"])
    return {
        "name": dataset["name"],
        "title": known.title if known else dataset["name"],
        "title_en": known.title_en if known else dataset["name"],
        "description": known.description if known else "",
        "description_en": known.description_en if known else "",
        "issued": manifest["issued"],
        "row_count": dataset["rows"],
        "distributions": [
            _distribution(base, manifest["date"], dataset, f) for f in dataset["files"]
        ],
    }


def _snapshot(base: str, manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "date": manifest["date"],
        "issued": manifest["issued"],
        "model_version": manifest["model_version"],
        "manifest_url": f"{base}/api/v1/open-data/{manifest['date']}/{snapshots.MANIFEST}",
        "datasets": [_dataset(base, manifest, d) for d in manifest["datasets"]],
    }


def get_catalogue(
    identity: Identity, root: Path, base: str, publisher: tuple[str, str]
) -> dict[str, Any]:
    """The catalogue of the snapshots under ``root``, with absolute URLs on ``base`` (the
    configured public URL) and ``publisher`` (Chinese, English) as the site's operator."""
    require(can_read_public(identity))
    kept = [_snapshot(base, m) for m in snapshots.manifests(root)]
    return {
        "title": TITLE[0],
        "title_en": TITLE[1],
        "description": DESCRIPTION[0],
        "description_en": DESCRIPTION[1],
        "licence": {"title": LICENCE[0], "title_en": LICENCE[1], "url": f"{base}/about#terms"},
        "publisher": {"name": publisher[0], "name_en": publisher[1], "url": f"{base}/about"},
        "landing_page": f"{base}/data",
        "issued": kept[-1]["issued"] if kept else None,
        "modified": kept[0]["issued"] if kept else None,
        "datasets": kept[0]["datasets"] if kept else [],
        "snapshots": kept,
    }
