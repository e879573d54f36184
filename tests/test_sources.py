"""Dataset readers on small fixtures written in each dataset's real on-disk format; the store."""

import io
import pickle

import numpy as np
import pytest
from PIL import Image

from kdgen.data import sources
from kdgen.runtime import InputError
from kdgen.data.store import ChecksumError, ImageDataset, ClassInfo, load_dataset, save_dataset

RNG = np.random.default_rng(0)


def _pickle(path, obj):
    with open(path, "wb") as fh:
        pickle.dump(obj, fh, protocol=2)


def _cifar_batch(n, labels_key, labels, extra=None):
    data = RNG.integers(0, 256, (n, 3072), dtype=np.uint8)
    batch = {b"data": data, labels_key: list(labels)}
    batch.update(extra or {})
    return batch


def test_cifar10_reader(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    names = list(sources.CIFAR10_WNIDS)
    _pickle(folder / "batches.meta", {b"label_names": [n.encode() for n in names]})
    batches = {}
    for i in range(1, 6):
        batches[i] = _cifar_batch(4, b"labels", [(i + j) % 10 for j in range(4)])
        _pickle(folder / f"data_batch_{i}", batches[i])
    _pickle(folder / "test_batch", _cifar_batch(3, b"labels", [0, 1, 2]))
    ds = sources.read_cifar10(tmp_path, 32)
    assert ds.images.shape == (23, 32, 32, 3) and ds.split.tolist() == [0] * 20 + [1] * 3
    # CHW rows in the pickle become HWC images
    np.testing.assert_array_equal(ds.images[0], batches[1][b"data"][0].reshape(3, 32, 32).transpose(1, 2, 0))
    assert ds.labels[:4].tolist() == [1, 2, 3, 4]
    assert ds.classes[0].name == "airplane" and ds.classes[0].wnid == "n02691156"
    assert sources.read_cifar10(tmp_path, 16).images.shape == (23, 16, 16, 3)


def test_cifar100_reader_keeps_fine_and_coarse_labels(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    fine_names = [f"fine{i}".encode() for i in range(100)]
    coarse_names = [f"coarse{i}".encode() for i in range(20)]
    _pickle(folder / "meta", {b"fine_label_names": fine_names, b"coarse_label_names": coarse_names})
    fine = np.arange(100)
    coarse = fine // 5
    _pickle(folder / "train", _cifar_batch(100, b"fine_labels", fine, {b"coarse_labels": list(coarse)}))
    _pickle(folder / "test", _cifar_batch(10, b"fine_labels", fine[:10], {b"coarse_labels": list(coarse[:10])}))
    ds = sources.read_cifar100(folder, 32)
    assert len(ds.classes) == 100 and ds.classes[7].superclass == "coarse1"
    assert ds.class_counts("test").sum() == 10
    bad = _cifar_batch(2, b"fine_labels", [0, 0], {b"coarse_labels": [0, 1]})
    _pickle(folder / "test", bad)
    with pytest.raises(ValueError, match="two coarse"):
        sources.read_cifar100(folder, 32)


def _jpeg(path, size=(40, 30)):
    Image.fromarray(RNG.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path, quality=95)


def test_flowers102_reader(tmp_path):
    from scipy.io import savemat

    folder = tmp_path / "flowers-102"
    (folder / "jpg").mkdir(parents=True)
    for i in range(1, 9):
        _jpeg(folder / "jpg" / f"image_{i:05d}.jpg")
    savemat(folder / "imagelabels.mat", {"labels": np.array([[1, 1, 2, 2, 3, 3, 1, 2]])})
    savemat(folder / "setid.mat", {"trnid": np.array([[1, 3]]), "valid": np.array([[5, 7]]), "tstid": np.array([[2, 4, 6, 8]])})
    ds = sources.read_flowers102(tmp_path, 24)
    assert ds.images.shape == (8, 24, 24, 3)
    assert ds.split.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert ds.labels.tolist() == [0, 1, 2, 0, 0, 1, 2, 1]
    assert len(ds.classes) == 3
    every = sources.read_flowers102(tmp_path, 24, all_images=True)  # the ganrep paper's FLOWER: all images
    assert every.split.tolist() == [0] * 8 and every.labels.tolist() == ds.labels.tolist()


def test_celeba_reader_with_and_without_attribute(tmp_path):
    folder = tmp_path / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    names = [f"{i:06d}.jpg" for i in range(1, 7)]
    for n in names:
        _jpeg(folder / "img_align_celeba" / n, (36, 44))
    (folder / "list_eval_partition.txt").write_text("".join(f"{n} {p}\n" for n, p in zip(names, [0, 0, 1, 0, 2, 2])))
    smiling = [1, -1, -1, 1, 1, -1]
    attr = "6\nMale Smiling\n" + "".join(f"{n} -1 {s}\n" for n, s in zip(names, smiling))
    (folder / "list_attr_celeba.txt").write_text(attr)
    ds = sources.read_celeba(tmp_path, 16)
    assert ds.images.shape == (6, 16, 16, 3) and ds.split.tolist() == [0, 0, 0, 0, 1, 1] and len(ds.classes) == 1
    ds = sources.read_celeba(tmp_path, 16, attribute="Smiling", max_images=2)
    assert ds.labels.tolist() == [1, 0, 1, 0] and ds.classes[1].name == "Smiling"
    with pytest.raises(KeyError, match="not in list_attr"):
        sources.read_celeba(tmp_path, 16, attribute="Hat")


def test_lsun_reader_reads_webp_from_lmdb(tmp_path):
    import lmdb

    expected = []
    for part, n in (("train", 5), ("val", 2)):
        env = lmdb.open(str(tmp_path / f"bedroom_{part}_lmdb"), map_size=1 << 24)
        with env.begin(write=True) as txn:
            for i in range(n):
                img = RNG.integers(0, 256, (20, 30, 3), dtype=np.uint8)
                buf = io.BytesIO()
                Image.fromarray(img).save(buf, format="WEBP", lossless=True)
                txn.put(f"{part}{i:04d}".encode(), buf.getvalue())
                expected.append(img)
        env.close()
    ds = sources.read_lsun(tmp_path, "bedroom", 20, max_images=4)
    assert ds.images.shape == (6, 20, 20, 3) and ds.split.tolist() == [0, 0, 0, 0, 1, 1]
    assert ds.classes[0].wnid == "n02821627"
    np.testing.assert_array_equal(ds.images[0], expected[0][:, 5:25])  # centre crop, lossless


def test_image_folder_reader_with_superclass_map(tmp_path):
    for cls in ("n02084071", "cat", "oak"):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(5):
            _jpeg(tmp_path / "imgs" / cls / f"{i}.jpg")
    (tmp_path / "map.csv").write_text("class,superclass\nn02084071,animal\ncat,animal\noak,plant\n")
    ds = sources.read_image_folder(tmp_path / "imgs", 16, seed=0, test_fraction=0.4, superclass_map=tmp_path / "map.csv")
    assert [c.name for c in ds.classes] == ["cat", "n02084071", "oak"]
    assert [c.superclass for c in ds.classes] == ["animal", "animal", "plant"]
    assert ds.classes[1].wnid == "n02084071" and ds.classes[0].wnid is None
    assert ds.class_counts("test").tolist() == [2, 2, 2]
    (tmp_path / "bad.csv").write_text("class,superclass\ncat,animal\n")
    with pytest.raises(InputError, match="no super-class"):
        sources.read_image_folder(tmp_path / "imgs", 16, 0, 0.4, tmp_path / "bad.csv")


def test_image_folder_with_train_and_test_folders(tmp_path):
    for split, n in (("train", 3), ("test", 2)):
        for cls in ("a", "b"):
            (tmp_path / split / cls).mkdir(parents=True)
            for i in range(n):
                _jpeg(tmp_path / split / cls / f"{i}.png")
    ds = sources.read_image_folder(tmp_path, 8, 0, 0.5)
    assert ds.class_counts("train").tolist() == [3, 3] and ds.class_counts("test").tolist() == [2, 2]


@pytest.mark.parametrize("source", ["cifar10", "cifar100", "flowers102", "celeba", "lsun", "image_folder"])
def test_absent_data_says_where_it_looked_and_how_to_get_it(tmp_path, source):
    with pytest.raises(sources.DatasetNotFound) as info:
        sources.read_real(source, tmp_path / "nowhere", 32, 0, {})
    message = str(info.value)
    assert str(tmp_path / "nowhere") in message and "Get it:" in message


def test_config_check_names_missing_roots(tmp_path):
    problems = sources.check_real_sources(
        {
            "c10": {"source": "cifar10", "options": {"root": None, "download": False}},
            "c100": {"source": "cifar100", "options": {"root": str(tmp_path / "missing"), "download": False}},
            "fine": {"source": "cifar10", "options": {"root": str(tmp_path), "download": False}},
            "dl": {"source": "celeba", "options": {"root": None, "download": True}},
            "folder": {"source": "image_folder", "options": {"root": str(tmp_path), "download": True}},
        }
    )
    assert len(problems) == 3
    assert problems[0].startswith("datasets.c10.options.root is not set")
    assert "datasets.c100.options.root" in problems[1] and "no such folder" in problems[1]
    assert "has no download" in problems[2]


def test_digits_are_real_and_split_stratified():
    ds = sources.make_digits({"test_fraction": 0.25}, 16, seed=0)
    assert ds.images.shape == (1797, 16, 16, 1) and ds.images.max() == 255
    test = ds.class_counts("test")
    assert test.sum() == pytest.approx(1797 * 0.25, abs=10) and test.min() >= 40


def test_store_round_trip_and_checksum(tmp_path):
    ds = ImageDataset(
        RNG.integers(0, 256, (12, 8, 8, 3), dtype=np.uint8), np.arange(12) % 3, np.arange(12) % 2,
        [ClassInfo("a", "n1", "x"), ClassInfo("b"), ClassInfo("c")], "test", {"k": 1},
    )
    manifest = save_dataset(ds, tmp_path / "d.npz", tmp_path / "d.json", "toy")
    assert manifest["classes"][0] == {"index": 0, "name": "a", "wnid": "n1", "superclass": "x", "count_train": 2, "count_test": 2}
    back = load_dataset(tmp_path / "d.npz", tmp_path / "d.json")
    np.testing.assert_array_equal(back.images, ds.images)
    assert back.classes[0] == ds.classes[0] and back.details == {"k": 1}
    assert not list(tmp_path.glob(".*partial*"))
    np.savez(tmp_path / "d.npz", images=ds.images[::-1], labels=ds.labels, split=ds.split)
    with pytest.raises(ChecksumError, match="does not match"):
        load_dataset(tmp_path / "d.npz", tmp_path / "d.json")
    with pytest.raises(ValueError, match="labels must lie"):
        ImageDataset(ds.images, ds.labels + 5, ds.split, ds.classes, "test")
