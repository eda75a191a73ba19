"""The detector's own checks, without a model: frames it refuses and why, the class map."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from analytics.vision.detector import Detector, ModelError, decode_jpeg, load_class_map


def _jpeg() -> bytes:
    ok, buf = cv2.imencode(".jpg", np.full((36, 64, 3), 90, np.uint8))
    assert ok
    return buf.tobytes()


@pytest.mark.parametrize(("data", "reason"), [
    (b"\x89PNG....", "not a JPEG"),
    (_jpeg()[:200], "cut short"),
    (b"\xff\xd8" + b"\x00" * 1_000_001, "over the 1,000,000-byte limit"),
    (b"\xff\xd8garbage\xff\xd9", "corrupt JPEG"),
])
def test_a_frame_that_cannot_be_used_says_why(data, reason):
    with pytest.raises(ValueError, match=reason):
        decode_jpeg(data)


def test_a_good_frame_decodes():
    assert decode_jpeg(_jpeg()).shape == (36, 64, 3)


def test_a_class_map_names_only_city_classes(tmp_path):
    good = tmp_path / "coco.json"
    good.write_text(json.dumps({"motorcycle": "motorcycle", "person": "person"}))
    assert load_class_map(good) == {"motorcycle": "motorcycle", "person": "person"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"dog": "dog"}))
    with pytest.raises(ModelError, match="values must be among person, bicycle"):
        load_class_map(bad)


def test_a_pt_file_or_a_missing_file_is_refused_naming_it(tmp_path):
    with pytest.raises(ModelError, match="needs torch.*yolo export"):
        Detector(tmp_path / "weights.pt")
    with pytest.raises(ModelError, match="nope.onnx: no such model file"):
        Detector(tmp_path / "nope.onnx")
