"""Finding and running ffmpeg (media encoding and thumbnails).

:func:`find_ffmpeg` looks at ``FTRACK_LOCAL_FFMPEG`` first (a path to use, or
``none`` to run without ffmpeg), then ``ffmpeg`` on ``PATH``, then the binary
shipped by the ``imageio-ffmpeg`` package when it is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import List, Optional

FFMPEG_VARIABLE = "FTRACK_LOCAL_FFMPEG"
DISABLED_VALUES = ("none", "off", "false", "0", "disabled")
#: Seconds one ffmpeg run may take.
RUN_TIMEOUT = 600


class FfmpegError(Exception):
    """ffmpeg is missing, or it failed on the given input."""


def find_ffmpeg() -> Optional[str]:
    """The ffmpeg executable to use, or None when there is none."""
    configured = os.environ.get(FFMPEG_VARIABLE)
    if configured is not None and configured.strip():
        value = configured.strip()
        if value.lower() in DISABLED_VALUES:
            return None
        found = shutil.which(value)
        return found
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg  # type: ignore[import-not-found]

        path = imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # noqa: BLE001 - not installed, or no binary for this platform
        return None
    return path if path and os.access(path, os.X_OK) else None


def require_ffmpeg() -> str:
    """The ffmpeg executable, or FfmpegError saying how to get one."""
    path = find_ffmpeg()
    if path is None:
        raise FfmpegError(
            "ffmpeg is not available on this server: install ffmpeg on the PATH or the "
            "imageio-ffmpeg Python package (the server's 'media' extra), or set {0} to "
            "the ffmpeg executable.".format(FFMPEG_VARIABLE))
    return path


def run(ffmpeg: str, arguments: List[str], timeout: float = RUN_TIMEOUT) -> str:
    """Run ffmpeg with *arguments*; return its diagnostics, raise FfmpegError on failure."""
    command = [ffmpeg, "-hide_banner", "-nostdin", "-y"] + arguments
    try:
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        raise FfmpegError("ffmpeg did not finish within {0} seconds.".format(timeout))
    except OSError as error:
        raise FfmpegError("ffmpeg could not be started: {0}".format(error))
    text = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        raise FfmpegError("ffmpeg failed (exit status {0}): {1}".format(
            result.returncode, _last_lines(text)))
    return text


def _last_lines(text: str, count: int = 3) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " / ".join(lines[-count:]) or "no output"


@dataclass
class MediaInfo:
    """What ffmpeg tells about an input file."""

    #: Whether it is moving images (more than one frame), not a still image.
    is_video: bool
    width: Optional[int] = None
    height: Optional[int] = None
    #: Frames per second of the video stream (videos only).
    frame_rate: Optional[float] = None
    #: Duration in seconds (videos only).
    duration: Optional[float] = None

    @property
    def frame_count(self) -> Optional[int]:
        """Number of frames, when rate and duration are known."""
        if self.frame_rate is None or self.duration is None:
            return None
        return max(1, int(round(self.frame_rate * self.duration)))


def _is_still_container(names: str) -> bool:
    """Whether ffmpeg's demuxer names (``png_pipe``, ``image2`` …) read single images."""
    return any(name == "image2" or name.endswith("_pipe") for name in names.split(","))


def probe(ffmpeg: str, path: str) -> MediaInfo:
    """Describe the media in *path*; FfmpegError when ffmpeg cannot read it."""
    command = [ffmpeg, "-hide_banner", "-nostdin", "-i", path]
    try:
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                timeout=RUN_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as error:
        raise FfmpegError("ffmpeg could not read the media: {0}".format(error))
    text = result.stderr.decode("utf-8", "replace")
    stream = re.search(r"Stream #\S+.*?: Video: (\w+)(.*)", text)
    if stream is None:
        raise FfmpegError("The media has no image or video stream ffmpeg can read: {0}".format(
            _last_lines(text)))
    details = stream.group(2)
    size = re.search(r"\b(\d{1,6})x(\d{1,6})\b", details)
    container = re.search(r"Input #0, ([\w,]+), from", text)
    still = _is_still_container(container.group(1) if container else "")
    info = MediaInfo(is_video=not still,
                     width=int(size.group(1)) if size else None,
                     height=int(size.group(2)) if size else None)
    if info.is_video:
        rate = re.search(r"([\d.]+) fps", details) or re.search(r"([\d.]+) tbr", details)
        duration = re.search(r"Duration: (\d+):(\d+):([\d.]+)", text)
        if rate:
            info.frame_rate = float(rate.group(1))
        if duration:
            hours, minutes, seconds = duration.groups()
            info.duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return info


def scale_image(ffmpeg: str, source: str, target: str, size: Optional[int] = None) -> None:
    """Write the first image of *source* as JPEG to *target*, fitted into size×size."""
    filters = ["format=yuvj444p"]
    if size is not None:
        filters.insert(0, "scale={0}:{0}:force_original_aspect_ratio=decrease".format(int(size)))
    run(ffmpeg, ["-i", source, "-frames:v", "1", "-vf", ",".join(filters),
                 "-f", "image2", "-c:v", "mjpeg", "-q:v", "3", target])


def encode_mp4(ffmpeg: str, source: str, target: str) -> None:
    """Encode *source* as browser-playable H.264 MP4 to *target*."""
    run(ffmpeg, ["-i", source, "-map", "0:v:0", "-map", "0:a:0?",
                 "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p",
                 "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
                 "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart",
                 "-f", "mp4", target])
