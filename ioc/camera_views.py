"""How each camera sees its street: the count line, the carriageway, the ground calibration.

A traffic engineer sets these per camera when it is installed (draw the line, outline the road,
mark four points of known distance); for the simulated city they are written from the renderer's
own camera geometry (`ioc vision views`), and a test keeps the file equal to it. The vision stage
reads them from `ioc/data/camera_views.json`; a camera without one is still counted, on a default
line and without speeds in metres.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

VIEWS_FILE = "data/camera_views.json"


class CameraView(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    camera_id: str
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    count_line: tuple[float, float, float, float] | None = Field(
        None, description="x1, y1, x2, y2 in pixels; 'in' crosses from its left to its right, "
        "looking from (x1, y1) to (x2, y2)")
    road: tuple[tuple[float, float], ...] | None = Field(
        None, description="The carriageway's outline in pixels (occupancy is measured in it)")
    ground_from_image: tuple[tuple[float, float, float], ...] | None = Field(
        None, description="3×3 homography from image pixels to ground metres (speeds, stops)")


def parse_views(text: str) -> dict[str, CameraView]:
    return {v["camera_id"]: CameraView.model_validate(v) for v in json.loads(text)["cameras"]}


@lru_cache(maxsize=1)
def load_views() -> dict[str, CameraView]:
    """The packaged views, by camera id."""
    return parse_views(files("ioc").joinpath(VIEWS_FILE).read_text(encoding="utf-8"))


def write_views(views: list[CameraView], path: Path) -> None:
    body = {"_comment": "Written by `ioc vision views` from the simulated cameras' geometry; "
                        "edit a real camera's entry by hand.",
            "cameras": [v.model_dump(mode="json") for v in views]}
    path.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
