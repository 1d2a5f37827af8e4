"""The feed reader: sources fetched and read in a process of its own.

Polling is two kinds of work. Fetching, parsing (feedparser is pure Python), the
watch screen, matching and triage's reading of each post (reading.read_posts) need
no database; storing does. In one process they share one interpreter lock, so
parsing waits for storing and storing for parsing. With `LISTENING_FETCH_PROCESS`
on (the default where there is more than one core), a worker process starts one
child, the feed reader, which runs the polls in a pool of `LISTENING_POLL_THREADS`
threads with the per-host gate and sends each outcome back, posts read; the worker
stores them. While the worker has nothing to store it says so (`Reader.share`), and
while polls wait for a thread in the reader, those that end come back with their
posts unread for the worker to read: when the reader is the bound, both read. The
reader has no database connection and keeps nothing.

Its life: started with the worker (run_in_worker) or on first use, as
`python -m frontdesk.listening.fetcher` (a fresh interpreter: nothing inherited but the
environment and two pipes), one per worker process, shared by its threads. It exits when the
worker does (it watches its parent). If it dies, or answers nothing for
`STALL_SECONDS` while polls wait, the polls it had come back failed with the reason
(backed off like any failure, so a feed that kills it cannot do so every minute)
and the next poll starts a new one. The settings the connectors and triage read are
sent to it whenever they change (the environment gives it the rest).
"""

from __future__ import annotations

import dataclasses
import functools
import heapq
import itertools
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from django.conf import settings

from frontdesk.connectors.base import Connector, ConnectorError, PollResult
from frontdesk.listening.reading import Post, Rule, read_posts, screen

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Polls waiting and not one answer for this long: the reader is stuck; it is replaced.
STALL_SECONDS = 300.0
READY = -1  # the reader's first word: started, models loaded

# What the connectors (frontdesk/connectors) and triage read from settings; the
# reader gets them from the worker, so a setting changed at run time (or by a test)
# reaches it. test_fetcher checks this list against their source.
READER_SETTINGS = (
    "CONNECTOR_BASE_URLS",
    "DATA_DIR",
    "DEFAULT_FROM_EMAIL",
    "EMAIL_BACKEND",
    "LISTENING_CRAWLER_CONTACT",
    "PUBLIC_BASE_URL",
    "SMS_API_TIMEOUT_SECONDS",
    "SMS_MEDIA_MAX_BYTES",
    "SMS_PART_RETRY_PAUSE_SECONDS",
)


@dataclass
class Answer:
    """One poll's outcome as the reader sends it: the result and its posts read, or
    the error."""

    result: PollResult | None = None
    posts: list[Post | None] | None = None
    error: str = ""
    permanent: bool = False
    retry_after: float | None = None


_FIELDS: dict[type, frozenset[str]] = {}


def _takes(kind: type) -> frozenset[str]:
    """The fields of an account's dataclass (read once a class)."""
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = frozenset(f.name for f in dataclasses.fields(kind))
    return names


def poll_once(
    connector: Connector[Any],
    account: Any,
    cursor: dict[str, Any],
    keep: Any = None,
    lane: int = 0,
) -> Answer:
    """One poll through `connector`, its failure caught. `keep`: the screen, and
    `lane`: the host gate's lane it runs in, for an account that takes them (feeds:
    reading.screen, and a connection pool per lane)."""
    try:
        takes = _takes(type(account))
        given = {"keep": keep} if keep is not None and "keep" in takes else {}
        if lane and "lane" in takes:
            given["lane"] = lane
        if given:
            account = dataclasses.replace(account, **given)
        return Answer(result=connector.poll(account, cursor))
    except ConnectorError as error:
        return Answer(error=error.message, permanent=error.permanent, retry_after=error.retry_after)
    except Exception as error:  # a bug in an adapter must not stop the other sources
        logger.exception("source poll crashed")
        return Answer(error=f"Unexpected error: {type(error).__name__}: {error}")


def settings_now() -> dict[str, Any]:
    return {name: getattr(settings, name) for name in READER_SETTINGS if hasattr(settings, name)}


# --- the reader's side -------------------------------------------------------------


class HostGate:
    """At most `limit` requests at once to one host, `delay` seconds apart. Each
    request runs in one of the host's `limit` lanes, the lowest free one, whose number
    it is given (a feed poll keeps one connection pool per lane: rss.adapter._client)."""

    def __init__(self, limit: int, delay: float) -> None:
        self.limit, self.delay = max(1, limit), delay
        self._lock = threading.Lock()
        self._free: dict[str, list[int]] = {}  # by host, a heap of its free lanes
        self._turns: dict[str, threading.Condition] = {}
        self._last: dict[str, float] = {}

    def run(self, host: str, call: Callable[[int], T]) -> T:
        with self._lock:
            free = self._free.setdefault(host, list(range(self.limit)))
            turn = self._turns.get(host) or self._turns.setdefault(
                host, threading.Condition(self._lock)
            )
            while not free:
                turn.wait()
            lane = heapq.heappop(free)
            wait = self._last.get(host, 0.0) + self.delay - time.monotonic()
            self._last[host] = time.monotonic() + max(0.0, wait)
        try:
            if wait > 0:
                time.sleep(wait)
            return call(lane)
        finally:
            with self._lock:
                heapq.heappush(free, lane)
                turn.notify()


def _read_and_answer(
    request: tuple[Any, ...],
    out: queue.SimpleQueue[tuple[int, Answer]],
    gates: dict[Any, Any],
    work: queue.SimpleQueue[Any],
) -> None:
    number, connector, account, cursor, watching, source_id, host, gate = request
    hosts = gates.get(gate) or gates.setdefault(gate, HostGate(*gate))
    poll = functools.partial(_poll_and_read, connector, account, cursor, watching, source_id)
    out.put((number, hosts.run(host, functools.partial(poll, waiting=work))))


def _fetch_forever(
    work: queue.SimpleQueue[tuple[Any, ...] | None],
    out: queue.SimpleQueue[tuple[int, Answer]],
    gates: dict[Any, Any],
) -> None:
    """A reader thread: one poll after another, as they are asked for."""
    while (request := work.get()) is not None:
        try:
            _read_and_answer(request, out, gates, work)
        except Exception as error:  # the gate or the queue failed: the poll is answered
            logger.exception("a poll failed in the reader")
            out.put((request[0], Answer(error=f"Unexpected error: {error}")))


# Answers are sent in batches of up to this many: the ones done while the last batch
# was on its way go together (one message, one wake-up of the worker's collector).
ANSWER_BATCH = 64


def _send_answers(answers: Connection, out: queue.SimpleQueue[tuple[int, Answer]]) -> None:
    """The reader's one sender: every answer done by then, in one message."""
    while True:
        batch = [out.get()]
        while len(batch) < ANSWER_BATCH:
            try:
                batch.append(out.get_nowait())
            except queue.Empty:
                break
        try:
            answers.send(batch)  # pickled whole before a byte is written
        except (OSError, EOFError):  # the worker is gone
            os._exit(0)
        except Exception:  # something a connector found would not pickle: one by one
            for number, answer in batch:
                _send_alone(answers, number, answer)


def _send_alone(answers: Connection, number: int, answer: Answer) -> None:
    try:
        answers.send([(number, answer)])
    except (OSError, EOFError):
        os._exit(0)
    except Exception as error:
        logger.exception("a poll's answer could not be sent")
        _send_alone(answers, number, Answer(error=f"Unexpected error: {error}"))


Watching = tuple[list[Rule], Callable[[str], bool] | None]

# Set while the worker has nothing to store and waits for answers (it says so:
# Reader.share). A poll that ends meanwhile with others waiting for a thread here
# goes back with its posts unread, and the worker reads them (polling.read_unread):
# when this process is the bound, the reading is shared and neither process idles.
SHARING = threading.Event()


def _poll_and_read(
    connector: Connector[Any],
    account: Any,
    cursor: dict[str, Any],
    watching: Watching | None,
    source_id: int,
    lane: int,
    *,
    waiting: queue.SimpleQueue[Any],
) -> Answer:
    """One poll, and its posts read (reading.read_posts) unless the worker would read
    them (SHARING) while other polls wait for a thread here: this process is behind."""
    rules, keep = watching or ([], None)
    answer = poll_once(connector, account, cursor, keep, lane)
    leave = SHARING.is_set() and not waiting.empty()
    if answer.result is not None and answer.result.candidates and rules and not leave:
        try:
            answer.posts = read_posts(answer.result.candidates, rules, source_id=source_id)
        except Exception:  # the worker reads them itself
            logger.exception("reading a poll's posts failed")
    return answer


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:  # adopted by another once the worker is gone
        time.sleep(1)
    os._exit(0)


def reader_main(requests: Connection, answers: Connection, threads: int) -> None:
    """The reader process: polls as asked, answers as each is done."""
    import django

    django.setup()
    threading.Thread(
        target=_watch_parent, args=(os.getppid(),), name="parent-watch", daemon=True
    ).start()
    from frontdesk.triage.pipeline import warm_up

    warm_up()  # triage's models, before the first post is read
    answers.send([(READY, None)])
    gates: dict[tuple[int, float], HostGate] = {}
    work: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
    out: queue.SimpleQueue[tuple[int, Answer]] = queue.SimpleQueue()
    threading.Thread(
        target=_send_answers, args=(answers, out), name="reader-answers", daemon=True
    ).start()
    for n in range(threads):
        threading.Thread(
            target=_fetch_forever, args=(work, out, gates), name=f"reader-{n}", daemon=True
        ).start()
    # A workspace's watches, sent once (by number) rather than with each of its polls,
    # with their screen made once.
    watch_sets: dict[int, Watching] = {}
    while True:
        try:
            message = requests.recv()
        except (EOFError, OSError):
            break
        if message[0] == "settings":
            for name, value in message[1].items():
                setattr(settings, name, value)
        elif message[0] == "rules":
            _, number, rules = message
            watch_sets[number] = (rules, screen(rule.compiled for rule in rules))
        elif message[0] == "share":
            (SHARING.set if message[1] else SHARING.clear)()
        elif message[0] == "polls":
            for poll in message[1]:
                request = list(poll)
                request[4] = watch_sets.get(request[4]) if request[4] is not None else None
                work.put(tuple(request))
        else:
            break
    # The polls under way are dropped with the process: the worker fails them (_gone).


# --- the worker's side -------------------------------------------------------------


class ReaderGone(RuntimeError):
    """The reader stopped before it answered."""


@dataclass
class Poll:
    """One poll asked of the reader: `then` is called with its Answer, or ReaderGone."""

    connector: Connector[Any]
    account: Any
    cursor: dict[str, Any]
    rules: list[Rule] | None
    source_id: int
    host: str
    gate: tuple[int, float]
    then: Callable[[Answer | ReaderGone], None]


class Reader:
    """The worker's handle on its reader process (one per process: `reader()`)."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        self._pending: dict[int, Callable[[Answer | ReaderGone], None]] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._requests: Connection | None = None
        self._settings: dict[str, Any] | None = None  # as last sent to the running reader
        self._wanted: dict[str, Any] | None = None  # as last read (configure)
        # The watch sets sent to the running reader, by number.
        self._rule_sets: dict[tuple[Rule, ...], int] = {}
        self._ready = threading.Event()
        self._sharing = False  # as last told to the running reader (share)
        # Why a reader was stopped on purpose (by pid): what its polls are failed with.
        self._why: dict[int, str] = {}
        self.started = 0  # processes started, for the worker's log and tests

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def submit(self, polls: list[Poll]) -> None:
        """Ask the reader for these polls (starting it if need be), in one message;
        each poll's `then` is called with its answer, or with ReaderGone, in the
        thread that collects the answers."""
        if not polls:
            return
        current = self._wanted or self.configure()
        gone: ReaderGone | None = None
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()
            requests = self._requests
            assert requests is not None
            asked: list[tuple[Any, ...]] = []
            try:
                if current is not self._settings:
                    requests.send(("settings", current))
                    self._settings = current
                for poll in polls:
                    number = next(self._numbers)
                    watching = None
                    if poll.rules:
                        watching = self._rule_sets.get(key := tuple(poll.rules))
                        if watching is None:
                            watching = self._rule_sets[key] = len(self._rule_sets)
                            requests.send(("rules", watching, poll.rules))
                    asked.append(
                        (
                            number,
                            poll.connector,
                            poll.account,
                            poll.cursor,
                            watching,
                            poll.source_id,
                            poll.host,
                            poll.gate,
                        )
                    )
                    self._pending[number] = poll.then
                requests.send(("polls", asked))
            except (OSError, EOFError, ValueError) as error:
                gone = ReaderGone(f"the feed reader could not be reached: {error}")
                for number, *_rest in asked:
                    self._pending.pop(number, None)
        if gone is not None:
            for poll in polls:
                poll.then(gone)

    def share(self, on: bool) -> None:
        """Tell the reader whether this process has nothing to store and would read
        posts itself (on: the reader sends the polls it finishes with their posts
        unread; off: it reads them). Sent only when it changes."""
        with self._lock:
            if on == self._sharing or self._requests is None:
                return
            try:
                self._requests.send(("share", on))
            except (OSError, ValueError):  # gone: the next start begins with off
                return
            self._sharing = on

    def configure(self) -> dict[str, Any]:
        """Read the settings the reader is given now (a round of polls calls this once;
        they are sent with the next poll if they changed)."""
        current = settings_now()
        if current != self._wanted:
            self._wanted = current
        return self._wanted

    def start(self, *, wait: float = 0) -> bool:
        """Start the reader now if it is not running; wait up to `wait` seconds for it
        to be ready (its models loaded). Returns whether it is ready."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._start()
            ready = self._ready
        return ready.wait(wait) if wait else ready.is_set()

    def _start(self) -> None:
        """Start the reader: `python -m frontdesk.listening.fetcher`, a fresh
        interpreter (no copy of this one's threads, connections or main module), with
        a pipe each way."""
        self._ready = threading.Event()
        requests_in, requests_out = os.pipe()
        answers_in, answers_out = os.pipe()
        try:
            process = subprocess.Popen(  # noqa: S603 - our own module, no shell
                [
                    sys.executable,
                    "-m",
                    "frontdesk.listening.fetcher",
                    str(requests_in),
                    str(answers_out),
                    str(self.threads),
                ],
                pass_fds=(requests_in, answers_out),
                stdin=subprocess.DEVNULL,
                # The same code as this process runs, wherever it was found.
                env=os.environ | {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
            )
        finally:
            os.close(requests_in)
            os.close(answers_out)
        self._process = process
        self._requests = Connection(requests_out, readable=False)
        self._settings = None
        self._rule_sets = {}
        self._sharing = False
        self.started += 1
        logger.info("feed reader started", extra={"pid": process.pid})
        threading.Thread(
            target=self._collect,
            args=(process, Connection(answers_in, writable=False)),
            name="feed-reader-answers",
            daemon=True,
        ).start()

    def _collect(self, process: subprocess.Popen[bytes], answers: Connection) -> None:
        """Hand each answer to its future; when the reader dies, fail what it had."""
        while True:
            if not wait([answers], timeout=1.0):
                if process.poll() is None:
                    continue
                if not answers.poll():  # ended, and nothing is left to read
                    break
            try:
                batch = answers.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                told = [(self._pending.pop(number, None), answer) for number, answer in batch]
            for then, answer in told:
                if then is not None:
                    then(answer)
                elif answer is None:  # READY
                    self._ready.set()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        answers.close()
        self._gone(process, f"the feed reader stopped (exit code {process.returncode})")

    def _gone(self, process: Any, reason: str) -> None:
        with self._lock:
            reason = self._why.pop(process.pid, reason)
            if self._process is not process:
                return
            pending, self._pending = self._pending, {}
            self._process = None
            if self._requests is not None:
                self._requests.close()
                self._requests = None
        if pending:
            logger.warning("feed reader lost polls", extra={"polls": len(pending), "why": reason})
        for then in pending.values():
            then(ReaderGone(reason))

    def stall(self) -> None:
        """Nothing answered for too long: stop the reader (its polls fail)."""
        process = self._process
        if process is not None:
            logger.error("feed reader stalled; restarting it", extra={"pid": process.pid})
            with self._lock:
                self._why[process.pid] = (
                    f"the feed reader answered nothing for {STALL_SECONDS:.0f} s"
                )
            process.kill()
            process.wait(5)
            self._gone(process, "")

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        with self._lock:
            self._why[process.pid] = "the feed reader was stopped"
            try:
                if self._requests is not None:
                    self._requests.send(("stop",))
            except (OSError, ValueError):
                pass
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        self._gone(process, "the feed reader was stopped")


_READER: Reader | None = None
_READER_LOCK = threading.Lock()


def reader() -> Reader:
    """This process's reader (not started until asked for a poll)."""
    global _READER
    with _READER_LOCK:
        if _READER is None or _READER.threads != settings.LISTENING_POLL_THREADS:
            if _READER is not None:
                _READER.stop()
            _READER = Reader(settings.LISTENING_POLL_THREADS)
        return _READER


def in_use() -> bool:
    return bool(settings.LISTENING_FETCH_PROCESS)


def run_in_worker(stop: threading.Event) -> None:
    """A worker thread (ListeningConfig.worker_threads): the reader starts with the
    worker, so the first poll does not wait for it, and stops with it."""
    if not in_use():
        return
    if not reader().start(wait=120):
        logger.warning("feed reader slow to start")
    stop.wait()
    reader().stop()


if __name__ == "__main__":  # the reader process (Reader._start)
    from frontdesk.listening import fetcher  # its classes by their own module's name

    fetcher.reader_main(
        Connection(int(sys.argv[1]), writable=False),
        Connection(int(sys.argv[2]), readable=False),
        int(sys.argv[3]),
    )
