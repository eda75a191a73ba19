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


def test_a_frame_is_decoded_as_small_as_the_model_allows():
    detector = Detector()  # the shipped model: 320 px
    assert [detector.reduction(w, h) for w, h in ((640, 360), (320, 180), (1920, 1080),
                                                  (3840, 2160), (200, 100))] == [2, 1, 4, 8, 1]
    assert decode_jpeg(_jpeg(), reduce=2).shape == (18, 32, 3)


def test_a_frame_decoded_smaller_gives_the_same_road_users_in_the_frames_pixels():
    from datetime import UTC, datetime

    from ioc.city import load_city
    from simulators.cameras import CameraSim

    _, jpeg, _ = CameraSim(load_city().cameras[0], seed=3).next_frame(
        datetime(2026, 12, 3, 3, 0, tzinfo=UTC))
    detector = Detector()
    (full,) = detector.detect([decode_jpeg(jpeg)])
    (half,) = detector.detect([decode_jpeg(jpeg, reduce=2)], [2])
    assert len(full) >= 5 and abs(len(half) - len(full)) <= max(2, len(full) // 5)
    ix1, iy1 = np.maximum(full.xyxy[:, None, :2], half.xyxy[None, :, :2]).transpose(2, 0, 1)
    ix2, iy2 = np.minimum(full.xyxy[:, None, 2:], half.xyxy[None, :, 2:]).transpose(2, 0, 1)
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    iou = inter / (area(full.xyxy)[:, None] + area(half.xyxy)[None, :] - inter)
    same = (iou > 0.6) & (full.cls[:, None] == half.cls[None, :])
    assert same.any(1).mean() >= 0.8, "most boxes are found again, where they were"
