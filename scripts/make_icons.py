#!/usr/bin/env python3
"""Draws Ferry's app icon (a white arrow crossing a wave on the accent blue) as PNGs for the web
manifest. Pure Python (zlib), so it needs no image library. Run: scripts/make_icons.py shell/"""
import math
import struct
import sys
import zlib


def png(size):
    blue = (26, 107, 230)
    rows = []
    r = size * 0.22  # corner radius
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            # rounded square mask
            dx = max(r - x, 0, x - (size - 1 - r))
            dy = max(r - y, 0, y - (size - 1 - r))
            inside = dx * dx + dy * dy <= r * r
            if not inside:
                row += bytes((0, 0, 0, 0))
                continue
            u, v = x / size, y / size
            white = False
            # arrow shaft and head pointing right
            if 0.22 <= u <= 0.62 and abs(v - 0.40) <= 0.055:
                white = True
            if 0.58 <= u <= 0.80 and abs(v - 0.40) <= (0.80 - u) * 0.9:
                white = True
            # a wave below
            wave = 0.66 + 0.045 * math.sin((u - 0.2) * 2 * math.pi * 1.6)
            if 0.18 <= u <= 0.82 and abs(v - wave) <= 0.035:
                white = True
            row += bytes((255, 255, 255, 255)) if white else bytes((*blue, 255))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


out = sys.argv[1] if len(sys.argv) > 1 else "shell"
for s in (192, 512):
    with open(f"{out}/icon-{s}.png", "wb") as f:
        f.write(png(s))
