import io

import numpy as np
import pytest
from PIL import Image

from core.errors import InvalidPhoto
from core.photos import PhotoStore, decode_photo, photo_from_array
from tests.imaging import dog_photo_bytes, jpeg


def test_decodes_jpeg_to_bgr_array():
    p = decode_photo(dog_photo_bytes(1, 0), label="a.jpg")
    assert p.image.dtype == np.uint8 and p.image.shape == (224, 224, 3)
    assert len(p.sha256) == 64


def test_large_photos_are_downscaled_once():
    p = decode_photo(jpeg(np.full((3000, 4000, 3), 128, np.uint8)))
    assert max(p.shape) == 640


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"hello, not an image", "not an image"),
    (b"%PDF-1.4 fake", "not an image"),
    (b"B", "not an image"), (b"BM", "not an image"), (b"BM\x00", "not an image"),  # a format's check read past them
])
def test_garbage_is_refused(data, words):
    with pytest.raises(InvalidPhoto, match=words):
        decode_photo(data)


def test_truncated_jpeg_is_refused():
    data = dog_photo_bytes(1, 0)
    with pytest.raises(InvalidPhoto, match="damaged or truncated"):
        decode_photo(data[: len(data) // 2])


def test_decompression_bomb_is_refused_before_decoding():
    buf = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buf, "PNG")  # ~100 MP, a few KB on disk
    assert len(buf.getvalue()) < 100_000
    with pytest.raises(InvalidPhoto, match="too large"):
        decode_photo(buf.getvalue())


def test_tiny_image_is_refused():
    with pytest.raises(InvalidPhoto, match="too small"):
        decode_photo(jpeg(np.zeros((20, 20, 3), np.uint8)))


def test_gif_is_refused_with_a_clear_message():
    buf = io.BytesIO()
    Image.new("RGB", (100, 100)).save(buf, "GIF")
    with pytest.raises(InvalidPhoto, match="not supported"):
        decode_photo(buf.getvalue())


def test_camera_frame_becomes_a_photo():
    p = photo_from_array(np.zeros((480, 640, 3), np.uint8))
    assert decode_photo(p.data).shape == (480, 640)
    with pytest.raises(InvalidPhoto):
        photo_from_array(np.zeros((480, 640), np.uint8))


def test_store_is_content_addressed(tmp_path):
    store = PhotoStore(tmp_path)
    data = dog_photo_bytes(1, 0)
    sha, new = store.put(data)
    assert new and store.exists(sha) and store.get(sha) == data
    assert store.put(data) == (sha, False)
    assert not list(tmp_path.rglob(".tmp-*"))
