"""The vision data: a YOLO dataset with a held-out test split, and clips with their truth."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from simulators.camera_scene import HELD_OUT, TRAIN
from simulators.camera_traffic import Incident
from simulators.render import CLASSES, GroundTruth
from simulators.vision_data import split_frames, splits, write_clip, write_yolo_dataset, yolo_line

SIZE = (320, 180)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("yolo")
    seen = []
    data_yaml = write_yolo_dataset(root, train=4, val=2, test=2, seed=3, size=SIZE,
                                   progress=lambda done, total: seen.append((done, total)))
    return root, data_yaml, seen


def read_labels(path) -> list[tuple[int, float, float, float, float]]:
    rows = []
    for line in path.read_text().splitlines():
        cls, *xywh = line.split()
        rows.append((int(cls), *map(float, xywh)))
    return rows


def test_the_dataset_has_ultralytics_layout_and_class_order(dataset):
    root, data_yaml, seen = dataset
    assert data_yaml == root / "data.yaml"
    yaml = data_yaml.read_text()
    for split in ("train", "val", "test"):
        assert f"{split}: images/{split}" in yaml
    assert [line.split(": ")[1] for line in yaml.split("names:\n")[1].splitlines()] == list(CLASSES)
    for split, n in (("train", 4), ("val", 2), ("test", 2)):
        images = sorted((root / "images" / split).glob("*.jpg"))
        labels = sorted((root / "labels" / split).glob("*.txt"))
        assert len(images) == len(labels) == n
        assert [i.stem for i in images] == [lab.stem for lab in labels]
    manifest = json.loads((root / "manifest.json").read_text())
    assert seen[-1] == (8, 8) and sum(manifest["boxes"]["train"].values()) > 0
    assert manifest["domains"]["test"]["lane_counts"] == [5]


def test_labels_are_valid_and_are_the_truth_of_the_frames(dataset):
    root, _, _ = dataset
    train = splits(4, 2, 2, 3)[0]
    for n, (jpeg, boxes) in enumerate(split_frames(train, SIZE)):
        stem = f"train_{n:06d}"
        assert (root / "images" / "train" / f"{stem}.jpg").read_bytes() == jpeg
        rows = read_labels(root / "labels" / "train" / f"{stem}.txt")
        assert len(rows) == len(boxes)
        for (cls, cx, cy, w, h), box in zip(rows, boxes, strict=True):
            assert CLASSES[cls] == box.cls
            assert 0 < w <= 1 and 0 < h <= 1
            assert 0 <= cx - w / 2 + 1e-6 and cx + w / 2 - 1e-6 <= 1
            assert 0 <= cy - h / 2 + 1e-6 and cy + h / 2 - 1e-6 <= 1
            x1, y1 = round((cx - w / 2) * SIZE[0]), round((cy - h / 2) * SIZE[1])
            assert (x1, y1) == (box.x1, box.y1)


def test_a_yolo_line_is_normalised_centre_and_size():
    box = GroundTruth("bus", 10, 20, 110, 70, 5)
    assert yolo_line(box, 200, 100) == "4 0.300000 0.450000 0.500000 0.500000"


def test_boxes_cover_drawn_road_users(dataset):
    root, _, _ = dataset
    # A labelled box holds more edges than the same-sized patch of road beside it would, on
    # average: the road users are there, drawn where the labels say.
    inside, total = 0, 0
    for image in sorted((root / "images" / "train").glob("*.jpg")):
        img = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE)
        edges = cv2.Canny(img, 60, 160)
        for _, cx, cy, w, h in read_labels(root / "labels" / "train" / f"{image.stem}.txt"):
            x1, y1 = int((cx - w / 2) * SIZE[0]), int((cy - h / 2) * SIZE[1])
            x2, y2 = int(np.ceil((cx + w / 2) * SIZE[0])), int(np.ceil((cy + h / 2) * SIZE[1]))
            if (x2 - x1) * (y2 - y1) >= 100:
                total += 1
                inside += edges[y1:y2, x1:x2].any()
    assert total and inside / total > 0.9


def test_the_test_split_comes_from_other_scenes():
    train, val, test = splits(10, 10, 10, 3)
    assert train.domain == val.domain == TRAIN and test.domain == HELD_OUT
    assert len({train.seed, val.seed, test.seed}) == 3
    assert set(HELD_OUT.lane_counts).isdisjoint(TRAIN.lane_counts)
    assert HELD_OUT.heights_m[0] >= TRAIN.heights_m[1]
    assert set(HELD_OUT.palettes).isdisjoint(TRAIN.palettes)


def test_a_clip_has_frames_in_name_order_and_its_truth(tmp_path):
    truth = write_clip(tmp_path, seconds=3, fps=2, seed=11, size=SIZE, warm_up_s=5,
                       incidents=[Incident("stalled", 0.5, 60.0)])
    frames = sorted(p.name for p in tmp_path.glob("*.jpg"))
    assert frames == [f"{n:06d}.jpg" for n in range(1, 7)]
    saved = json.loads((tmp_path / "truth.json").read_text())
    assert saved == json.loads(json.dumps(truth))
    assert (saved["fps"], saved["width"], saved["height"], saved["frames"]) == (2, 320, 180, 6)
    assert len(saved["line"]) == 4 and all(isinstance(v, int) for v in saved["line"])
    assert set(saved["crossings"]) == set(CLASSES)
    assert len(saved["tracks"]) == 6 and any(saved["tracks"])
    assert np.array(saved["homography"]).shape == (3, 3)
    (stalled,) = saved["incidents"]
    assert stalled["kind"] == "stalled" and len(stalled["track_ids"]) == 1
    assert 0.5 <= stalled["start_s"] <= stalled["end_s"] <= 2.5
    ids = {box["id"] for frame in saved["tracks"] for box in frame}
    assert stalled["track_ids"][0] in ids
