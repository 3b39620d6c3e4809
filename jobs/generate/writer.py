"""Landing files: one folder per feed and arrival date, plain or gzip, local or S3, plus the manifest."""

from __future__ import annotations

import zlib
from concurrent.futures import Future, ThreadPoolExecutor

import orjson
import pyarrow as pa
from pyarrow import fs as pafs

from jobs.storage import filesystem, is_s3
from jobs.tables import landing_path

FEEDS = ("events", "users")
MANIFEST = "_generator_manifest.json"
GZIP_LEVEL = 1  # JSON lines compress ~7x even at level 1; higher levels cost several times the time
_GZIP_WBITS = 31  # a gzip header with mtime 0: the same bytes compress to the same file


class LandingWriter:
    """Writes the landing files of a generator run; compression and upload run on worker threads
    while the next date is generated (at most one date waits, which bounds memory).

    Args:
        root: the lakehouse root (local folder or ``s3://bucket/prefix``).
        compress: write ``.jsonl.gz`` instead of ``.jsonl``.
    """

    def __init__(self, root: str, compress: bool, workers: int = 2) -> None:
        self.root = root
        self.suffix = ".jsonl.gz" if compress else ".jsonl"
        self.compress = compress
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="landing-writer")
        self._pending: list[Future] = []
        self.in_flight = 2 * workers  # files queued or being written; bounds the memory they hold

    def clear(self) -> None:
        """Removes the ``dt=`` folders of both feeds (a re-run leaves no stale parts or dates)."""
        for feed in FEEDS:
            fs, base = filesystem(landing_path(self.root, feed))
            for info in fs.get_file_info(pafs.FileSelector(base, allow_not_found=True)):
                if info.type == pafs.FileType.Directory and info.base_name.startswith("dt="):
                    fs.delete_dir(info.path)

    def write_day(self, feed: str, dt: str, files: list[list[pa.Buffer]]) -> None:
        """Queues the files of one feed and date: ``part-00000`` ... , each given as byte chunks."""
        self.wait(keep=self.in_flight)
        folder = landing_path(self.root, feed, dt)
        fs, path = filesystem(folder)
        if not is_s3(folder):  # S3 has no folders; a marker object would only clutter listings
            fs.create_dir(path, recursive=True)
        for number, chunks in enumerate(files):
            self._pending.append(self._pool.submit(self._write, fs, f"{path}/part-{number:05d}{self.suffix}", chunks))

    def wait(self, keep: int = 0) -> None:
        """Waits until at most ``keep`` files are in flight; raises the first write error."""
        while len(self._pending) > keep:
            self._pending.pop(0).result()

    def write_manifest(self, report: dict) -> None:
        """``<root>/landing/_generator_manifest.json``."""
        fs, path = filesystem(f"{self.root.rstrip('/')}/landing/{MANIFEST}")
        with fs.open_output_stream(path, compression=None) as stream:
            stream.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _write(self, fs: pafs.FileSystem, path: str, chunks: list[pa.Buffer]) -> None:
        with fs.open_output_stream(path, compression=None) as stream:  # we gzip ourselves: no "detect"
            if not self.compress:
                for chunk in chunks:
                    stream.write(chunk)
                return
            packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, _GZIP_WBITS)
            for chunk in chunks:
                stream.write(packer.compress(chunk))
            stream.write(packer.flush())
