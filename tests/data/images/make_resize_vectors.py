#!/usr/bin/python3
"""Generates the Pillow resize test vectors for tests/tst_pillowresize.cpp.

Run with Debian 12's /usr/bin/python3 and python3-pil (Pillow 9.4.0), the Pillow the
Hugging Face reference vectors were made with:

    /usr/bin/python3 tests/data/images/make_resize_vectors.py

Writes resize_vectors.bin (raw uint8 HWC RGB blobs, concatenated) and resize_vectors.json
(one entry per blob: offset, size and what it is). Inputs are either synthetic images
stored in the .bin (with "offset") or the reference images' *.decoded_rgb.u8 files (with
"file", relative to tests/data). Every output is
np.asarray(Image.fromarray(input).resize((w, h), resample=f)).
"""
import hashlib
import math
import json
import os

import numpy as np
import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, "..", "siglip_ref")

FILTERS = {"nearest": 0, "lanczos": 1, "bilinear": 2, "bicubic": 3, "box": 4, "hamming": 5}


def synthetic():
    rng = np.random.RandomState(20240611)
    out = {}
    # Noise overshoots with the negative lobes of bicubic/lanczos, so clipping is exercised.
    out["noise_23x19"] = rng.randint(0, 256, (19, 23, 3)).astype(np.uint8)
    # Hard 0/255 edges: the strongest overshoot.
    yy, xx = np.mgrid[0:30, 0:40]
    edges = (((xx // 3) + (yy // 5)) % 2 * 255).astype(np.uint8)
    out["edges_40x30"] = np.stack([edges, 255 - edges, (xx * 6).astype(np.uint8)], axis=-1)
    out["pixel_1x1"] = np.array([[[200, 17, 99]]], np.uint8)
    out["column_1x7"] = rng.randint(0, 256, (7, 1, 3)).astype(np.uint8)
    out["row_9x1"] = rng.randint(0, 256, (1, 9, 3)).astype(np.uint8)
    g = np.linspace(0, 255, 64 * 48).reshape(48, 64)
    out["gradient_64x48"] = np.stack([g, g[::-1], np.full_like(g, 128)], axis=-1).astype(np.uint8)
    out["hamming_sensitive_21x4"] = hamming_sensitive(21, 7, 4, rng)
    out["hamming_sensitive_4x23"] = hamming_sensitive(23, 17, 4, rng).transpose(1, 0, 2).copy()
    return out


# Pillow's hamming window is sin(x)/x * (0.54f + 0.46f * cos(x)) with *float* literals. Writing
# 0.54 / 0.46 as doubles changes a few 22-bit weights by one unit, which changes an output byte
# only for rare pixel values. These rows are picked (with a float64 emulation of Resample.c)
# so that it does; the expected outputs below still come from Pillow itself.
def _hamming(x, c54, c46):
    x = abs(x)
    if x == 0.0:
        return 1.0
    if x >= 1.0:
        return 0.0
    x = x * math.pi
    return math.sin(x) / x * (c54 + c46 * math.cos(x))


def _weights(in_size, out_size, c54, c46):
    scale = in_size / out_size
    fs = max(scale, 1.0)
    k = np.zeros((out_size, in_size), np.int64)
    for xx in range(out_size):
        center = (xx + 0.5) * scale
        xmin = max(int(center - fs + 0.5), 0)
        xmax = min(int(center + fs + 0.5), in_size)
        w = [_hamming((x - center + 0.5) * (1.0 / fs), c54, c46) for x in range(xmin, xmax)]
        s = sum(w)
        w = [v / s for v in w] if s != 0 else w
        k[xx, xmin:xmax] = [int(-0.5 + v * (1 << 22)) if v < 0 else int(0.5 + v * (1 << 22)) for v in w]
    return k


def hamming_sensitive(in_size, out_size, rows, rng):
    pillow = _weights(in_size, out_size, float(np.float32(0.54)), float(np.float32(0.46)))
    double = _weights(in_size, out_size, 0.54, 0.46)
    assert (pillow != double).any()
    found = []
    while len(found) < rows * 3:
        p = rng.randint(0, 256, (20000, in_size)).astype(np.int64)
        a = np.clip(((1 << 21) + p @ pillow.T) >> 22, 0, 255)
        b = np.clip(((1 << 21) + p @ double.T) >> 22, 0, 255)
        found.extend(p[(a != b).any(axis=1)])
    return np.array(found[:rows * 3], np.uint8).reshape(rows, 3, in_size).transpose(0, 2, 1).copy()


def reference_inputs():
    index = json.load(open(os.path.join(REF, "images", "index.json")))
    out = {}
    for e in index:
        raw = open(os.path.join(REF, e["decoded_rgb_file"]), "rb").read()
        out[e["decoded_rgb_file"]] = np.frombuffer(raw, np.uint8).reshape(e["height"], e["width"], 3)
    return out


# (input, width, height): down, up, mixed, one axis only, 1-pixel sources and targets, extreme ratios.
CASES = [
    ("noise_23x19", 7, 5),
    ("noise_23x19", 50, 41),
    ("noise_23x19", 40, 9),
    ("noise_23x19", 23, 40),
    ("noise_23x19", 11, 19),
    ("noise_23x19", 1, 1),
    ("edges_40x30", 13, 17),
    ("edges_40x30", 97, 3),
    ("pixel_1x1", 5, 3),
    ("column_1x7", 3, 20),
    ("column_1x7", 1, 2),
    ("row_9x1", 1, 1),
    ("row_9x1", 4, 6),
    ("gradient_64x48", 32, 32),
    ("gradient_64x48", 3, 61),
    ("hamming_sensitive_21x4", 7, 4),
    ("hamming_sensitive_4x23", 4, 17),
    ("images/img0_rgb_37x53.decoded_rgb.u8", 32, 32),
    ("images/img2_rgba_200x120.decoded_rgb.u8", 32, 32),
    ("images/img3_photo_96x72.decoded_rgb.u8", 45, 31),
    ("images/img5_palette_300x17.decoded_rgb.u8", 32, 32),
    ("images/img5_palette_300x17.decoded_rgb.u8", 2, 70),
]


def main():
    inputs = {**synthetic(), **reference_inputs()}
    blob = bytearray()
    entries = {"generator": "make_resize_vectors.py", "pillow": PIL.__version__, "inputs": [], "cases": []}

    def put(a):
        off = len(blob)
        blob.extend(np.ascontiguousarray(a, np.uint8).tobytes())
        return off

    for name, a in synthetic().items():
        entries["inputs"].append({"name": name, "width": a.shape[1], "height": a.shape[0],
                                  "offset": put(a), "size": a.size})
    for name, a in reference_inputs().items():
        if any(c[0] == name for c in CASES):
            entries["inputs"].append({"name": name, "width": a.shape[1], "height": a.shape[0],
                                      "file": "siglip_ref/" + name})
    for name, w, h in CASES:
        src = Image.fromarray(inputs[name], "RGB")
        for fname, fid in FILTERS.items():
            out = np.asarray(src.resize((w, h), resample=fid))
            assert out.shape == (h, w, 3)
            entries["cases"].append({"input": name, "filter": fname, "resample": fid, "width": w, "height": h,
                                     "offset": put(out), "size": out.size,
                                     "sha256": hashlib.sha256(out.tobytes()).hexdigest()})
    open(os.path.join(HERE, "resize_vectors.bin"), "wb").write(blob)
    with open(os.path.join(HERE, "resize_vectors.json"), "w") as f:
        json.dump(entries, f, indent=1)
        f.write("\n")
    print(f"{len(entries['cases'])} cases, {len(blob)} bytes")


if __name__ == "__main__":
    main()
