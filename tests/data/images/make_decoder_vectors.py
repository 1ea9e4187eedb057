#!/usr/bin/python3
"""Generates the image decoder test vectors for tests/tst_imagedecoder.cpp.

Run with Debian 12's /usr/bin/python3 and python3-pil (Pillow 9.4.0, libjpeg-turbo 2.1.5),
the Pillow the Hugging Face reference vectors were made with:

    /usr/bin/python3 tests/data/images/make_decoder_vectors.py

Writes small images into decoder/ and decoder_vectors.json. For each file the manifest holds
the expected np.asarray(Image.open(f).convert('RGB')) (base64, HWC) and, where the file has an
EXIF orientation, np.asarray(ImageOps.exif_transpose(Image.open(f)).convert('RGB')).
PNGs that Pillow cannot write (16-bit colour, 16-bit grey+alpha, tRNS variants) are written
by the small PNG encoder below.
"""
import base64
import io
import json
import os
import struct
import zlib

import numpy as np
import PIL
from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "decoder")
rng = np.random.RandomState(7)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(name, samples, color_type, bit_depth, extra=b"", width=None):
    """samples: (h, w, channels) array of sample values (already packed for bit depths < 8,
    in which case `width` is the width in pixels)."""
    h, w = samples.shape[:2]
    w = width or w
    if bit_depth == 16:
        rows = samples.astype(">u2").reshape(h, -1).view(np.uint8).reshape(h, -1)
    else:
        rows = samples.astype(np.uint8).reshape(h, -1)
    raw = b"".join(b"\x00" + r.tobytes() for r in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra + png_chunk(b"IDAT", zlib.compress(raw)) \
        + png_chunk(b"IEND", b"")
    open(os.path.join(OUT, name), "wb").write(data)


def pack_bits(values, bit_depth):
    """(h, w) values < 2**bit_depth -> (h, ceil(w*bit_depth/8), 1) packed bytes, MSB first."""
    h, w = values.shape
    per = 8 // bit_depth
    padded = np.zeros((h, (w + per - 1) // per * per), np.uint8)
    padded[:, :w] = values
    g = padded.reshape(h, -1, per)
    packed = np.zeros(g.shape[:2], np.uint8)
    for i in range(per):
        packed |= (g[:, :, i] << (8 - bit_depth * (i + 1))).astype(np.uint8)
    return packed[:, :, None]


def u16(h, w, c):
    # Mix of full-range values and values below 256, so that both "high byte" and "clip to 255"
    # reductions are visible.
    a = rng.randint(0, 65536, (h, w, c))
    small = rng.randint(0, 300, (h, w, c))
    return np.where(rng.rand(h, w, c) < 0.4, small, a)


def exif_bytes(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def photo(w, h):
    yy, xx = np.mgrid[0:h, 0:w]
    r = (xx * 255 // max(w - 1, 1)).astype(np.uint8)
    g = (yy * 255 // max(h - 1, 1)).astype(np.uint8)
    b = ((xx // 4 + yy // 4) % 2 * 200 + 30).astype(np.uint8)
    a = np.stack([r, g, b], axis=-1)
    a[0, 0] = (255, 0, 0)  # a marked corner, so a rotation or flip shows
    return a


def main():
    os.makedirs(OUT, exist_ok=True)
    made = []  # (file, note)

    # --- PNG variants (hand-written, so every colour type / depth is covered)
    write_png("rgb16.png", u16(7, 9, 3), 2, 16)
    made.append(("rgb16.png", "16-bit RGB: Pillow keeps the high byte"))
    write_png("rgba16.png", u16(6, 5, 4), 6, 16)
    made.append(("rgba16.png", "16-bit RGBA: high byte, alpha dropped"))
    write_png("gray16.png", u16(6, 8, 1), 0, 16)
    made.append(("gray16.png", "16-bit grey: Pillow mode I, I->RGB clips to 0..255 (not the high byte)"))
    write_png("gray16_trns.png", u16(5, 5, 1), 0, 16, png_chunk(b"tRNS", struct.pack(">H", 300)))
    made.append(("gray16_trns.png", "16-bit grey with a tRNS colour"))
    write_png("la16.png", u16(5, 7, 2), 4, 16)
    made.append(("la16.png", "16-bit grey+alpha: Pillow 9.4 opens it as RGBA (high byte), alpha dropped"))
    la = rng.randint(0, 256, (6, 7, 2))
    la[:, :3, 1] = 0  # fully transparent pixels that still carry grey values
    write_png("la8.png", la, 4, 8)
    made.append(("la8.png", "8-bit grey+alpha with fully transparent pixels: alpha dropped, not composited"))
    write_png("rgb8_trns.png", rng.randint(0, 256, (5, 6, 3)), 2, 8, png_chunk(b"tRNS", struct.pack(">HHH", 10, 20, 30)))
    made.append(("rgb8_trns.png", "8-bit RGB with a tRNS colour (OpenCV returns 4 channels)"))
    write_png("gray8_trns.png", rng.randint(0, 256, (5, 6, 1)), 0, 8, png_chunk(b"tRNS", struct.pack(">H", 7)))
    made.append(("gray8_trns.png", "8-bit grey with a tRNS value"))
    for depth in (1, 2, 4):
        write_png(f"gray{depth}.png", pack_bits(rng.randint(0, 1 << depth, (5, 11)), depth), 0, depth, width=11)
        made.append((f"gray{depth}.png", f"{depth}-bit grey: scaled to 0..255"))
    palette = rng.randint(0, 256, (16, 3)).astype(np.uint8)
    write_png("pal4_trns.png", pack_bits(rng.randint(0, 16, (6, 9)), 4), 3, 4,
              png_chunk(b"PLTE", palette.tobytes()) + png_chunk(b"tRNS", bytes(range(0, 160, 20))), width=9)
    made.append(("pal4_trns.png", "4-bit palette with partial tRNS: expanded, alpha dropped"))

    # --- JPEG variants (Pillow-encoded; decoded by the same libjpeg-turbo as OpenCV uses)
    p = photo(24, 16)
    Image.fromarray(p).save(os.path.join(OUT, "rgb444_q95.jpg"), quality=95, subsampling=0)
    made.append(("rgb444_q95.jpg", "baseline JPEG, 4:4:4"))
    Image.fromarray(p).save(os.path.join(OUT, "progressive_420.jpg"), quality=80, subsampling=2, progressive=True)
    made.append(("progressive_420.jpg", "progressive JPEG, 4:2:0"))
    Image.fromarray(p[:, :, 1]).save(os.path.join(OUT, "gray.jpg"), quality=90)
    made.append(("gray.jpg", "greyscale JPEG"))

    # --- EXIF orientation: 1..8 in JPEG, and once each in PNG (eXIf chunk) and WebP
    q = photo(12, 8)
    for o in range(1, 9):
        Image.fromarray(q).save(os.path.join(OUT, f"exif_orientation{o}.jpg"), quality=95, subsampling=0,
                                exif=exif_bytes(o))
        made.append((f"exif_orientation{o}.jpg", f"JPEG, EXIF orientation {o}"))
    Image.fromarray(q).save(os.path.join(OUT, "exif_orientation6.png"), exif=exif_bytes(6))
    made.append(("exif_orientation6.png", "PNG with an eXIf chunk, orientation 6"))
    Image.fromarray(q).save(os.path.join(OUT, "exif_orientation8.webp"), lossless=True, exif=exif_bytes(8))
    made.append(("exif_orientation8.webp", "lossless WebP with an EXIF chunk, orientation 8"))
    # libtiff's RGBA reader (used by Pillow and by OpenCV) already turns orientations 5..8
    # upright while decoding, and exif_transpose then turns the image once more.
    Image.fromarray(q).save(os.path.join(OUT, "exif_orientation6.tif"), tiffinfo={0x0112: 6})
    made.append(("exif_orientation6.tif", "TIFF with orientation tag 6 (libtiff rotates while decoding)"))

    # --- other formats OpenCV 4.6 reads
    Image.fromarray(p).save(os.path.join(OUT, "rgb.bmp"))
    made.append(("rgb.bmp", "24-bit BMP"))
    Image.fromarray(p).save(os.path.join(OUT, "rgb.tif"))
    made.append(("rgb.tif", "uncompressed 8-bit RGB TIFF"))
    Image.fromarray(u16(5, 6, 1)[:, :, 0].astype(np.uint16), "I;16").save(os.path.join(OUT, "gray16.tif"))
    made.append(("gray16.tif", "16-bit grey TIFF: Pillow mode I;16, clipped to 0..255"))
    Image.fromarray(p).save(os.path.join(OUT, "lossless.webp"), lossless=True)
    made.append(("lossless.webp", "lossless WebP"))
    Image.fromarray(p).save(os.path.join(OUT, "lossy.webp"), quality=80)
    made.append(("lossy.webp", "lossy WebP"))
    rgba = np.concatenate([p, rng.randint(0, 256, p.shape[:2] + (1,)).astype(np.uint8)], axis=-1)
    rgba[:4, :, 3] = 0
    Image.fromarray(rgba, "RGBA").save(os.path.join(OUT, "rgba_lossless.webp"), lossless=True)
    made.append(("rgba_lossless.webp", "lossless WebP with alpha (some fully transparent): alpha dropped"))
    Image.fromarray(p).save(os.path.join(OUT, "rgb.ppm"))
    made.append(("rgb.ppm", "binary PPM"))
    Image.fromarray(p[:, :, 0]).save(os.path.join(OUT, "gray.pgm"))
    made.append(("gray.pgm", "binary PGM"))

    # --- known differences between OpenCV 4.6 and Pillow (tested as expected failures)
    rgba_tif = rgba.copy()
    Image.fromarray(rgba_tif, "RGBA").save(os.path.join(OUT, "known_rgba.tif"))
    made.append(("known_rgba.tif", "KNOWN DIFFERENCE: RGBA TIFF, OpenCV premultiplies by alpha (libtiff RGBA reader)"))
    Image.fromarray(p).convert("CMYK").save(os.path.join(OUT, "known_cmyk.jpg"), quality=95)
    made.append(("known_cmyk.jpg", "KNOWN DIFFERENCE: CMYK JPEG, OpenCV's CMYK->RGB rounds differently (off by 1)"))

    # --- not decodable by OpenCV 4.6 (expected: UnsupportedImage)
    Image.fromarray(p).convert("P").save(os.path.join(OUT, "unsupported.gif"))

    entries = []
    for name, note in made:
        path = os.path.join(OUT, name)
        with Image.open(path) as im:
            mode = im.mode
            rgb = np.asarray(im.convert("RGB"))
            exif = im.getexif()
            orientation = exif.get(0x0112, 1)
            e = {"file": "images/decoder/" + name, "note": note, "pil_mode": mode,
                 "known_difference": note.startswith("KNOWN DIFFERENCE"),
                 "width": rgb.shape[1], "height": rgb.shape[0],
                 "rgb": base64.b64encode(rgb.tobytes()).decode(), "exif_orientation": orientation}
        if orientation != 1:
            with Image.open(path) as im:
                t = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
            e.update({"transposed_width": t.shape[1], "transposed_height": t.shape[0],
                      "transposed_rgb": base64.b64encode(t.tobytes()).decode()})
        entries.append(e)
    manifest = {"generator": "make_decoder_vectors.py", "pillow": PIL.__version__, "images": entries,
                "unsupported": ["images/decoder/unsupported.gif"]}
    with open(os.path.join(HERE, "decoder_vectors.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(entries)} images, {total} bytes")


if __name__ == "__main__":
    main()
