"""The writer process: Zoom deliveries parsed and stored beside the web server, on the other core.

`serve` starts one from the web app's lifespan (`ZoomWriter`) and hands it every webhook and
WebSocket delivery, so its event loop keeps only the HTTP work and the signature check. In one
process, parsing, inserting and each commit's hand-back to the loop competed with the loop for
the GIL, and that, more than the fsync, bounded the webhook (README "Benchmarks").

Parent and child talk over a socket pair in frames (a 4-byte length, then a pickle; both ends
are this module). The parent sends the deliveries of one turn of its event loop in one frame;
the child reads every frame waiting, writes them all in one transaction (group commit:
`commit_each`, as storage/group_commit.py does in-process) and answers each delivery's outcome,
or why it could not be stored. A request is answered only after its outcome arrives, so every
acknowledged event is committed. The child runs in its own process group, ignores SIGINT and
SIGTERM and exits when the socket closes: when `serve` stops, or dies. One that dies is
restarted by the next delivery; one that answers nothing for REPLY_SECONDS is killed first.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import pickle
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.logs import configure_logging
from handlers.zoom.ingest import Delivery, Outcome, write
from storage.db import make_engine
from storage.group_commit import commit_each

logger = logging.getLogger(__name__)
FRAME = struct.Struct("!I")
RESTART_SECONDS = 1.0  # at most one start a second: a child that dies at once is not a fork storm
STOP_SECONDS = 10.0
REPLY_SECONDS = 60.0  # over SQLite's busy_timeout (30 s): a child this silent is stuck, so killed
# On the wire, plain tuples: a dataclass's pickle cost more than the rest of the hand-over.
Sent = tuple[int, bytes, datetime, str]  # key, raw body, received at, source
Reply = tuple[bool, str, bool] | str  # an Outcome's fields, or why the delivery was not stored


class WriterGone(RuntimeError):
    """The writer process is not there to answer; the delivery was not acknowledged (503)."""


class StoreFailed(RuntimeError):
    """The writer process could not store a delivery (the database's error, as text)."""


def frame(value: object) -> bytes:
    """One frame: the pickle's length, then the pickle."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME.pack(len(data)) + data


class Frames:
    """The frames in a byte stream, each as soon as it is complete."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        """Add bytes read; the frames they complete, decoded."""
        self._buffer += data
        out: list[Any] = []
        while len(self._buffer) >= FRAME.size:
            (size,) = FRAME.unpack_from(self._buffer)
            end = FRAME.size + size
            if len(self._buffer) < end:
                break
            out.append(pickle.loads(self._buffer[FRAME.size : end]))
            del self._buffer[:end]
        return out

    def items(self, data: bytes) -> list[Any]:
        """The items of the frames `data` completes (each frame holds a list)."""
        return [item for got in self.feed(data) for item in got]


class _Replies(asyncio.Protocol):
    """The parent's end of one child's socket: outcomes in, a lost connection reported."""

    def __init__(self, writer: ZoomWriter) -> None:
        self.writer = writer
        self.frames = Frames()

    def data_received(self, data: bytes) -> None:
        """Hand each answered delivery its outcome."""
        self.writer.answered(self.frames.items(data))

    def connection_lost(self, exc: Exception | None) -> None:
        """The child exited (or was killed): nobody waits forever."""
        self.writer.lost(self)


class ZoomWriter:
    """The parent's side: starts the child, sends it deliveries, hands each caller its outcome."""

    def __init__(self, settings: Settings, reply_seconds: float = REPLY_SECONDS) -> None:
        self.settings = settings
        self.reply_seconds = reply_seconds
        self.process: subprocess.Popen[bytes] | None = None
        self._transport: asyncio.Transport | None = None
        self._replies: _Replies | None = None
        self._waiting: dict[int, asyncio.Future[Outcome]] = {}
        self._queue: list[Sent] = []
        self._keys = itertools.count()
        self._started = float("-inf")
        self._flushing = False
        self._restarting = asyncio.Lock()  # deliveries arriving together restart one child, not one each

    @property
    def running(self) -> bool:
        """Whether deliveries can be sent to the child now."""
        return self._transport is not None and not self._transport.is_closing()

    async def start(self) -> None:
        """Start the child and send it the settings (the database URL, the log level)."""
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        # -P: not the working directory first on sys.path, so the child imports serve's own code;
        # its own process group: Ctrl-C at the terminal reaches serve, which closes the socket.
        command = [sys.executable, "-P", "-m", "bot.zoom_writer", str(theirs.fileno())]
        try:
            with theirs:
                self.process = subprocess.Popen(
                    command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, process_group=0
                )
        except BaseException:
            ours.close()
            raise
        self._started = loop.time()
        transport, replies = await loop.connect_accepted_socket(lambda: _Replies(self), sock=ours)
        transport.write(frame(self.settings))
        self._transport, self._replies = transport, replies
        logger.info("Zoom deliveries are stored by a writer process (pid %d)", self.process.pid)

    async def store(self, delivery: Delivery) -> Outcome:
        """Have the child store `delivery`; returns once committed, else StoreFailed or WriterGone."""
        if not self.running:
            await self._restart()
        loop = asyncio.get_running_loop()
        key = next(self._keys)
        done: asyncio.Future[Outcome] = loop.create_future()
        self._waiting[key] = done
        self._queue.append((key, delivery.raw, delivery.received_at, delivery.source))
        if not self._flushing:  # one frame per turn of the loop, with every delivery read in it
            self._flushing = True
            loop.call_soon(self._flush)
        try:
            async with asyncio.timeout(self.reply_seconds):
                return await done
        except TimeoutError:
            self._waiting.pop(key, None)
            self._kill_stuck()
            raise WriterGone(f"the writer process answered nothing for {self.reply_seconds:.0f} s") from None

    def _kill_stuck(self) -> None:
        """Kill a child that stopped answering: its lost connection fails the rest, a delivery restarts it."""
        if self.process is not None and self.process.poll() is None:
            logger.error("the Zoom writer answered nothing for %.0f s; killing it", self.reply_seconds)
            self.process.kill()

    def _flush(self) -> None:
        self._flushing = False
        batch, self._queue = self._queue, []
        keys = [sent[0] for sent in batch]
        if self._transport is None or self._transport.is_closing():
            self._fail(keys, "the writer process is not running")
            return
        try:
            self._transport.write(frame(batch))
        except Exception:  # nothing known raises here; if it did, nobody may wait forever
            logger.exception("could not send %d Zoom deliveries to the writer process", len(batch))
            self._fail(keys, "the deliveries could not be sent to the writer process")

    def answered(self, replies: list[tuple[int, Reply]]) -> None:
        """The child's outcomes: each waiting caller gets its own."""
        for key, reply in replies:
            done = self._waiting.pop(key, None)
            if done is None or done.done():  # the caller went away; its row is stored all the same
                continue
            if isinstance(reply, str):
                done.set_exception(StoreFailed(reply))
            else:
                done.set_result(Outcome(*reply))

    def lost(self, replies: _Replies) -> None:
        """The child is gone: fail whoever waits (Zoom retries a 503); the next delivery restarts it.
        A late report from a child already replaced changes nothing."""
        if replies is not self._replies:
            return
        self._transport, self._replies = None, None
        if self._waiting:
            logger.error("the Zoom writer process stopped with %d deliveries unanswered", len(self._waiting))
        self._fail(list(self._waiting), "the writer process stopped before answering")

    def _fail(self, keys: list[int], why: str) -> None:
        for key in keys:
            done = self._waiting.pop(key, None)
            if done is not None and not done.done():
                done.set_exception(WriterGone(why))

    async def _restart(self) -> None:
        async with self._restarting:
            if self.running:  # another delivery restarted it meanwhile
                return
            if asyncio.get_running_loop().time() - self._started < RESTART_SECONDS:
                raise WriterGone("the writer process stopped; it restarts within a second")
            code = self.process.poll() if self.process is not None else None
            logger.warning("restarting the Zoom writer process (it exited with %s)", code)
            await self.stop()
            await self.start()

    async def stop(self) -> None:
        """Close the socket (the child finishes its batch and exits); kill it if it lingers. Whoever
        still waits gets WriterGone: the child can no longer answer."""
        if self._transport is not None:
            self._transport.close()
        self._transport, self._replies = None, None
        self._fail(list(self._waiting), "the writer process was stopped")
        process, self.process = self.process, None
        if process is None:
            return
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, process.wait, STOP_SECONDS)
        except subprocess.TimeoutExpired:
            logger.error("the Zoom writer process did not exit within %.0f s; killing it", STOP_SECONDS)
            process.kill()
            await loop.run_in_executor(None, process.wait)


def _batches(sock: socket.socket, frames: Frames, first: list[list[Sent]]) -> Iterator[list[Sent]]:
    """Every delivery waiting, each time at least one is: the child's group commit. `first`:
    frames that came with the settings."""
    waiting = [sent for got in first for sent in got]
    while True:
        batch, waiting = waiting, []
        while not batch:
            data = sock.recv(1 << 20)
            if not data:
                return
            batch += frames.items(data)
        try:  # then whatever else is there, without waiting (the socket itself stays blocking)
            while data := sock.recv(1 << 20, socket.MSG_DONTWAIT):
                batch += frames.items(data)
        except BlockingIOError:
            pass
        yield batch


def _reply(result: Outcome | None, error: BaseException | None) -> Reply:
    """A delivery's outcome, or its error as the parent logs it (type, first 500 characters)."""
    if result is not None and error is None:
        return (result.new, result.problem, result.validation)
    return f"{type(error).__name__}: {error}"[:500]


def serve_writes(sock: socket.socket, configure: Callable[[Settings], None] = lambda _: None) -> None:
    """The child: read the settings (`configure` sees them first: main sets up logging), then
    store batches until the parent closes the socket."""
    frames = Frames()
    got: list[Any] = []
    while not got:
        data = sock.recv(1 << 16)
        if not data:
            return
        got = frames.feed(data)
    settings: Settings = got[0]
    configure(settings)
    engine = make_engine(settings.database_url)
    for batch in _batches(sock, frames, got[1:]):
        deliveries = [Delivery(raw, at, source) for _, raw, at, source in batch]
        outcomes = commit_each(engine, write, deliveries)
        replies = [(sent[0], _reply(*outcome)) for sent, outcome in zip(batch, outcomes, strict=True)]
        try:
            sock.sendall(frame(replies))
        except OSError:
            return  # the server is gone; what was committed stays, Zoom retries the rest
    engine.dispose()


def main() -> None:
    """`python -m bot.zoom_writer FD`, as ZoomWriter.start runs it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a signal to the whole group (systemd's stop) waits
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # for `serve`, which closes the socket: the child ends
    with socket.socket(fileno=int(sys.argv[1])) as sock:
        serve_writes(sock, configure_logging)


if __name__ == "__main__":
    main()
