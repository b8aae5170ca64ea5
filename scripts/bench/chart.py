#!/usr/bin/env python3
"""A horizontal bar chart of throughput ratios as a PNG, with nothing but the standard library
(zlib + struct and a built-in 5x7 pixel font), so bench.sh needs no plotting package.

    chart.py OUT.png TITLE < rows
rows: scenario<TAB>median_ratio<TAB>min_ratio<TAB>max_ratio[<TAB>target_ratio]; a target is
drawn as a red tick across the bar.
"""
import struct
import sys
import zlib

FONT = {
    "A": (0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11), "B": (0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E),
    "C": (0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E), "D": (0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E),
    "E": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F), "F": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10),
    "G": (0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F), "H": (0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "I": (0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E), "J": (0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C),
    "K": (0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11), "L": (0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F),
    "M": (0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11), "N": (0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11),
    "O": (0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E), "P": (0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10),
    "Q": (0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D), "R": (0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11),
    "S": (0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E), "T": (0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04),
    "U": (0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E), "V": (0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04),
    "W": (0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A), "X": (0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11),
    "Y": (0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04), "Z": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F),
    "0": (0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E), "1": (0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "2": (0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F), "3": (0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E),
    "4": (0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02), "5": (0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E),
    "6": (0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E), "7": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08),
    "8": (0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E), "9": (0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C),
    ".": (0, 0, 0, 0, 0, 0x0C, 0x0C), "-": (0, 0, 0, 0x1F, 0, 0, 0), "_": (0, 0, 0, 0, 0, 0, 0x1F),
    ":": (0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0), "/": (0, 0x01, 0x02, 0x04, 0x08, 0x10, 0),
    "(": (0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02), ")": (0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08),
    "%": (0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03), "=": (0, 0, 0x1F, 0, 0x1F, 0, 0),
    "+": (0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0), ",": (0, 0, 0, 0, 0x0C, 0x04, 0x08),
    "<": (0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02), ">": (0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08),
    " ": (0, 0, 0, 0, 0, 0, 0),
}

WHITE, BLACK, GRID, TEXT = (255, 255, 255), (0, 0, 0), (220, 220, 220), (40, 40, 40)
COLORS = {  # by scenario kind
    "plain": (150, 150, 150), "hit": (46, 139, 87), "cold": (230, 140, 30),
    "rotate": (200, 60, 50), "other": (60, 110, 190), "peer": (140, 80, 170),
}


class Canvas:
    def __init__(self, width, height):
        self.w, self.h = width, height
        self.px = [bytearray(WHITE * width) for _ in range(height)]

    def rect(self, x0, y0, x1, y1, color):
        x0, x1 = max(0, min(x0, x1)), min(self.w, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.h, max(y0, y1))
        row = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            self.px[y][3 * x0:3 * x1] = row

    def text(self, x, y, s, scale=2, color=TEXT, align="left"):
        width = len(s) * 6 * scale
        if align == "right":
            x -= width
        elif align == "center":
            x -= width // 2
        for ch in s.upper():
            glyph = FONT.get(ch, FONT[" "])
            for gy, bits in enumerate(glyph):
                for gx in range(5):
                    if bits & (0x10 >> gx):
                        self.rect(x + gx * scale, y + gy * scale,
                                  x + (gx + 1) * scale, y + (gy + 1) * scale, color)
            x += 6 * scale
        return width

    def png(self, path):
        raw = b"".join(b"\x00" + bytes(row) for row in self.px)

        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)))
            f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
            f.write(chunk(b"IEND", b""))


def kind(name):
    if name.startswith("plain"):
        return "plain"
    if name.startswith("peer-"):
        return "peer"
    for k in ("hit", "cold", "rotate"):
        if name.endswith("-" + k):
            return k
    return "other"


def main():
    out, title = sys.argv[1], sys.argv[2]
    rows = []
    for line in sys.stdin:
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 4:
            target = float(parts[4]) if len(parts) >= 5 and parts[4] not in ("", "-") else None
            rows.append((parts[0], float(parts[1]), float(parts[2]), float(parts[3]), target))
    label_w = max([len(r[0]) for r in rows] + [8]) * 12 + 30
    plot_w, row_h, top, bottom = 700, 30, 70, 60
    width, height = label_w + plot_w + 90, top + row_h * len(rows) + bottom
    c = Canvas(width, height)
    c.text(20, 16, title, scale=2)
    vmax = max([1.1] + [r[3] for r in rows])
    vmax = (int(vmax * 10) + 1) / 10.0
    x_of = lambda v: label_w + int(plot_w * v / vmax)
    # grid every 0.1, labels every 0.2
    steps = int(round(vmax * 10))
    for i in range(steps + 1):
        v = i / 10.0
        x = x_of(v)
        c.rect(x, top - 6, x + 1, top + row_h * len(rows), GRID)
        if i % 2 == 0:
            c.text(x, top + row_h * len(rows) + 10, "%.1f" % v, scale=2, align="center")
    for y, (name, med, lo, hi, target) in enumerate(rows):
        y0 = top + y * row_h
        c.text(label_w - 12, y0 + 8, name, scale=2, align="right")
        c.rect(label_w, y0 + 5, x_of(med), y0 + row_h - 5, COLORS[kind(name)])
        # spread: min..max of the runs
        cy = y0 + row_h // 2
        c.rect(x_of(lo), cy - 1, x_of(hi) + 1, cy + 1, BLACK)
        c.rect(x_of(lo), cy - 6, x_of(lo) + 2, cy + 6, BLACK)
        c.rect(x_of(hi), cy - 6, x_of(hi) + 2, cy + 6, BLACK)
        if target is not None:
            c.rect(x_of(target) - 1, y0 + 1, x_of(target) + 2, y0 + row_h - 1, (220, 0, 0))
        c.text(max(x_of(hi), x_of(med)) + 8, y0 + 8, "%.3f" % med, scale=2)
    c.rect(x_of(1.0), top - 10, x_of(1.0) + 2, top + row_h * len(rows), BLACK)
    c.text(label_w, height - 24,
           "REQ/S / PLAIN REQ/S: MEDIAN, MIN-MAX OF RUNS, RED: TARGET", scale=2)
    c.png(out)


if __name__ == "__main__":
    main()
