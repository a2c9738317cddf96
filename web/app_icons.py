"""Draws the app's icons (a white "T" on the accent blue) as PNG files with the standard library alone.

Run once after changing the design; the PNGs are committed:  python -m web.app_icons
"""

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).parent / "static" / "web" / "app"
BLUE = (0x0B, 0x5C, 0xAD)
WHITE = (0xFF, 0xFF, 0xFF)
# (file name, size in pixels, share of the side the letter spans). A maskable icon may be cropped to a circle
# of 80% of its side, so its letter stays well inside that circle.
ICONS = (
    ("icon-192.png", 192, 0.62),
    ("icon-512.png", 512, 0.62),
    ("icon-maskable-512.png", 512, 0.46),
    ("apple-touch-icon.png", 180, 0.62),
)


def letter_t(x: float, y: float) -> bool:
    """Whether the point (x, y) of the unit square lies on the letter T (bar and stem)."""
    bar = 0.0 <= y <= 0.24 and 0.0 <= x <= 1.0
    stem = 0.0 <= y <= 1.0 and 0.37 <= x <= 0.63
    return bar or stem


def pixels(size: int, letter_share: float) -> list[bytes]:
    rows = []
    start = (1 - letter_share) / 2
    for row in range(size):
        line = bytearray([0])  # PNG filter type 0 (none) for each row
        for column in range(size):
            x = ((column + 0.5) / size - start) / letter_share
            y = ((row + 0.5) / size - start) / letter_share
            line.extend(WHITE if letter_t(x, y) else BLUE)
        rows.append(bytes(line))
    return rows


def png(size: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, share in ICONS:
        (OUT / name).write_bytes(png(size, pixels(size, share)))
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
