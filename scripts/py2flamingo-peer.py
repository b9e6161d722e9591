#!/usr/bin/env python3
"""Peer check: drive a Flamingo server with py2flamingo's OWN client code.

This script is ours; it imports py2flamingo (GitHub uw-loci/Flamingo_Control)
from a checkout given on the command line and wires its classes together the
way its Qt application does (services/component_factory.py), minus the
windows. Every protocol step below is performed by py2flamingo's code:

  connect    ConnectionController.connect -> TCPConnection + async SocketReader,
             then SYSTEM_STATE_GET through MVCConnectionService.query_system_state
  settings   ConnectionController.get_microscope_settings (4105, their
             pause-reader/drain text reader with its >= 2000-byte rule, then 12343)
  camera     CameraService.get_image_size (12327), get_pixel_field_of_view (12343)
  position   StageService.get_position (four 24584 queries, their zero trap)
  move       MovementController.move_absolute -> PositionController.move_x
             (24580 + ack) and its MotionTracker wait for 0x6010 status 1,
             then their read-back
  live       CameraService.start_live_view_streaming (12295, 0.5 s, connect
             port+1, their 40-byte header reader) ... stop_live_view_streaming
  roi        CameraService.set_centered_aoi (12303, 12305 -> reply 0x3011, 12327)
  workflow   workflow_serialization.build_workflow_section_dict +
             WorkflowTextFormatter -> a 2-laser ZStack file, run through
             WorkflowQueueService (WorkflowController.load/start_workflow ->
             MVCWorkflowService -> 12292 + payload; their busy/idle completion
             logic; their return-to-origin), frames taken listen-only with
             CameraService.ensure_data_receiver_running

Example:
    /usr/bin/python3 scripts/py2flamingo-peer.py \\
        --py2flamingo /tmp/py2flamingo --host 127.0.0.1 --port 53717

It prints one line per step (PASS / FAIL / SKIP, plus NOTE lines that do not
fail the run) and exits 0 only when every step passed. py2flamingo needs PyQt5
and numpy importable (Debian: apt-get install python3-pyqt5 python3-numpy, then
run with /usr/bin/python3); no display is needed.
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import socket
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Dict, List, Optional, Tuple

START_MARKER = 0xF321E654
END_MARKER = 0xFEDC4321
RECORD = struct.Struct("<IIIIIIiiiIdI72sI")  # 128 bytes, little-endian

STATE_IDLE = 0xA002
NAMES = {
    0x1007: "SETTINGS(4103)", 0x1009: "SETTINGS_LOAD", 0x1008: "SETTINGS_SAVE",
    0x2002: "LASER_LEVEL_GET", 0x3004: "WORKFLOW_START", 0x3005: "WORKFLOW_STOP",
    0x3007: "LIVE_START", 0x3008: "LIVE_STOP", 0x300F: "ROI_LEFT_SET",
    0x3011: "ROI_TOP_SET/STACK_COMPLETE", 0x3027: "IMAGE_SIZE_GET",
    0x3037: "PIXEL_FOV_GET", 0x4003: "LED_PREVIEW_DISABLE", 0x6004: "POS_SET",
    0x6005: "POS_SET_SLIDER", 0x6008: "POS_GET", 0x6010: "MOTION_STOPPED",
    0x9003: "GAUGE_SIZE", 0x9004: "GAUGE_VALUE", 0x9008: "IMAGES_SAVED",
    0xA002: "STATE_IDLE", 0xA003: "STATE_SNAPSHOT", 0xA004: "STATE_LIVE",
    0xA005: "STATE_WORKFLOW", 0xA007: "STATE_GET",
}

OBSERVED_CODES = (0x6010, 0xA002, 0xA003, 0xA004, 0xA005, 0x9003, 0x9004,
                  0x9008, 0x3011, 0x2002, 0x4003, 0x3005)


def code_name(code: int) -> str:
    return f"0x{code:04X} {NAMES.get(code, '')}".rstrip()


# ----------------------------------------------------------------------------
# Reporting
# ----------------------------------------------------------------------------


class Report:
    """Collects step results and prints one line per step as it happens."""

    def __init__(self, out) -> None:
        self.out = out
        self.results: List[Tuple[str, str, str]] = []

    def line(self, verdict: str, step: str, detail: str) -> None:
        self.results.append((verdict, step, detail))
        self.out.write(f"{verdict:<4} {step:<16} {detail}\n")
        self.out.flush()

    def passed(self, step: str, detail: str) -> None:
        self.line("PASS", step, detail)

    def failed(self, step: str, detail: str) -> None:
        self.line("FAIL", step, detail)

    def skipped(self, step: str, detail: str) -> None:
        self.line("SKIP", step, detail)

    def note(self, step: str, detail: str) -> None:
        self.line("NOTE", step, detail)

    def extra(self, text: str) -> None:
        for ln in text.splitlines():
            self.out.write(f"       | {ln}\n")
        self.out.flush()

    @property
    def ok(self) -> bool:
        return all(v in ("PASS", "NOTE") for v, _, _ in self.results)


class LogTail(logging.Handler):
    """Keeps recent py2flamingo log records so a failing step can show them."""

    def __init__(self, size: int = 2000) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: collections.deque = collections.deque(maxlen=size)
        self.lock2 = threading.Lock()
        self.setFormatter(logging.Formatter("%(relativeCreated)8.0fms %(levelname)-7s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a broken record must not kill the client thread
            text = record.getMessage()
        with self.lock2:
            self.records.append((record.created, record.levelno, text))

    def mark(self) -> float:
        return time.time()

    def since(self, t0: float, min_level: int = logging.WARNING, limit: int = 15,
              contains: Optional[str] = None) -> List[str]:
        with self.lock2:
            rows = [t for (c, lv, t) in self.records
                    if c >= t0 and lv >= min_level and (contains is None or contains in t)]
        return rows[-limit:]


class Observer:
    """Watches unsolicited/reply records through py2flamingo's dispatcher."""

    def __init__(self) -> None:
        self.events: List[Tuple[float, int, int, int, int, int, float]] = []
        self.lock = threading.Lock()
        self.attached = False

    def attach(self, connection_service) -> None:
        for code in OBSERVED_CODES:
            connection_service.register_callback(code, self._on)
        self.attached = True

    def _on(self, m) -> None:
        with self.lock:
            self.events.append((time.time(), m.command_code, m.status_code,
                                m.int32_data0, m.int32_data1, m.int32_data2, m.value))

    def since(self, t0: float, code: Optional[int] = None) -> List[Tuple]:
        with self.lock:
            return [e for e in self.events if e[0] >= t0 and (code is None or e[1] == code)]

    def summary(self, t0: float) -> str:
        counts = collections.Counter(e[1] for e in self.since(t0))
        return ", ".join(f"{code_name(c)}x{n}" for c, n in sorted(counts.items())) or "none"


# ----------------------------------------------------------------------------
# Optional wire tracer (a transparent proxy between py2flamingo and the server)
# ----------------------------------------------------------------------------


class WireTrace:
    """Forwards port P -> server and P+1 -> server+1, logging decoded traffic."""

    def __init__(self, host: str, port: int, path: Path) -> None:
        self.host, self.port = host, port
        self.file = open(path, "w", encoding="utf-8")
        self.t0 = time.time()
        self.lock = threading.Lock()
        self.listeners = self._bind_pair()
        self.local_port = self.listeners[0].getsockname()[1]
        for idx, ls in enumerate(self.listeners):
            threading.Thread(target=self._accept, args=(ls, idx), daemon=True).start()

    def _bind_pair(self) -> List[socket.socket]:
        for _ in range(50):
            a = socket.socket()
            a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            a.bind(("127.0.0.1", 0))
            p = a.getsockname()[1]
            if p >= 65535:
                a.close()
                continue
            b = socket.socket()
            b.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                b.bind(("127.0.0.1", p + 1))
            except OSError:
                a.close()
                b.close()
                continue
            a.listen(8)
            b.listen(64)
            return [a, b]
        raise RuntimeError("could not find two adjacent free ports for the trace proxy")

    def log(self, text: str) -> None:
        with self.lock:
            self.file.write(f"{(time.time() - self.t0) * 1000:10.1f}ms {text}\n")
            self.file.flush()

    def _accept(self, ls: socket.socket, idx: int) -> None:
        n = 0
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            n += 1
            tag = f"{'cmd' if idx == 0 else 'live'}#{n}"
            try:
                s = socket.create_connection((self.host, self.port + idx), timeout=3)
                s.settimeout(None)
            except OSError as e:
                self.log(f"{tag} upstream connect to {self.host}:{self.port + idx} failed: {e}")
                c.close()
                continue
            self.log(f"{tag} opened")
            for src, dst, d in ((c, s, "C>S"), (s, c, "S>C")):
                parser = (self._cmd_parser if idx == 0 else self._live_parser)(f"{tag} {d}")
                threading.Thread(target=self._pump, args=(src, dst, parser, f"{tag} {d}"),
                                 daemon=True).start()

    def _pump(self, src, dst, parser, tag) -> None:
        try:
            while True:
                data = src.recv(262144)
                if not data:
                    break
                dst.sendall(data)
                try:
                    parser(data)
                except Exception as e:  # tracing must never break forwarding
                    self.log(f"{tag} trace parser error: {e}")
        except OSError:
            pass
        self.log(f"{tag} closed")
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _cmd_parser(self, tag: str) -> Callable[[bytes], None]:
        buf = bytearray()
        state = {"payload": 0, "junk": 0}

        def feed(data: bytes) -> None:
            buf.extend(data)
            while True:
                if state["payload"]:
                    take = min(state["payload"], len(buf))
                    if not take:
                        return
                    del buf[:take]
                    state["payload"] -= take
                    continue
                if len(buf) < 128:
                    return
                if struct.unpack_from("<I", buf, 0)[0] != START_MARKER:
                    pos = buf.find(struct.pack("<I", START_MARKER), 1)
                    cut = pos if pos >= 0 else max(0, len(buf) - 3)
                    state["junk"] += cut
                    self.log(f"{tag} {cut} bytes outside any record/payload"
                             f" (first: {bytes(buf[:24])!r})")
                    del buf[:cut]
                    continue
                f = RECORD.unpack_from(buf, 0)
                (_, cmd, status, hw, sub, cli, i0, i1, i2, bits, dbl, add, text, end) = f
                txt = text.split(b"\0", 1)[0].decode("utf-8", "replace")
                self.log(f"{tag} {code_name(cmd)} status={status} ids={hw}/{sub}/{cli} "
                         f"i0={i0} i1={i1} i2={i2} bits=0x{bits:08X} dbl={dbl!r} "
                         f"add={add}{' buf=' + repr(txt) if txt else ''}"
                         f"{'' if end == END_MARKER else f' BAD END 0x{end:08X}'}")
                del buf[:128]
                state["payload"] = add
                if add:
                    self.log(f"{tag}   + {add} payload bytes")

        return feed

    def _live_parser(self, tag: str) -> Callable[[bytes], None]:
        buf = bytearray()
        state = {"payload": 0, "frames": 0}

        def feed(data: bytes) -> None:
            if tag.endswith("C>S"):
                self.log(f"{tag} {len(data)} bytes sent by the client on the live port")
                return
            buf.extend(data)
            while True:
                if state["payload"]:
                    take = min(state["payload"], len(buf))
                    if not take:
                        return
                    del buf[:take]
                    state["payload"] -= take
                    continue
                if len(buf) < 40:
                    return
                w = struct.unpack_from("<10I", buf, 0)
                state["frames"] += 1
                n = state["frames"]
                if n <= 5 or n % 50 == 0 or w[0] != w[1] * w[2] * 2:
                    self.log(f"{tag} frame#{n} size={w[0]} {w[1]}x{w[2]} scale={w[3]}..{w[4]} "
                             f"dev={w[5]} opt1=0x{w[6]:X} opt2={w[7]} idx={w[8]}..{w[9]}")
                del buf[:40]
                state["payload"] = w[0]

        return feed


# ----------------------------------------------------------------------------
# Loading py2flamingo
# ----------------------------------------------------------------------------


def find_src(path: Path) -> Path:
    for cand in (path / "src", path, path.parent):
        if (cand / "py2flamingo" / "__init__.py").is_file():
            return cand.resolve()
    raise SystemExit(f"py2flamingo-peer: no py2flamingo package under {path} "
                     f"(expected {path}/src/py2flamingo/__init__.py)")


def build_app(src: Path) -> Dict[str, Any]:
    """Wire py2flamingo's components exactly like its component factory does."""
    sys.path.insert(0, str(src))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PyQt5.QtCore import QCoreApplication
        import numpy  # noqa: F401  (py2flamingo's live reader needs it)
    except ImportError as e:
        raise SystemExit(
            f"py2flamingo-peer: {e}. py2flamingo needs PyQt5 and numpy; on Debian run "
            "'apt-get install python3-pyqt5 python3-numpy' and use /usr/bin/python3.")
    app = QCoreApplication.instance() or QCoreApplication([])
    from py2flamingo.services import component_factory as cf

    core = cf.create_core_layer()
    models = cf.create_models_layer()
    services = cf.create_services_layer(
        core["tcp_connection"], core["protocol_encoder"], core["queue_manager"],
        models["connection_model"], core["event_manager"])
    controllers = cf.create_controllers_layer(
        services["connection_service"], models["connection_model"],
        services["config_manager"], services["workflow_service"],
        models["workflow_model"], services["status_indicator_service"])
    return {"qt_app": app, **core, **models, **services, **controllers}


# ----------------------------------------------------------------------------
# Steps
# ----------------------------------------------------------------------------


class Peer:
    def __init__(self, args, report: Report, logs: LogTail) -> None:
        self.args = args
        self.r = report
        self.logs = logs
        self.obs = Observer()
        self.c: Dict[str, Any] = {}
        self.connected = False
        self.settings: Optional[Dict[str, Any]] = None
        self.sensor: Optional[Tuple[int, int]] = None
        self.position = None
        self.roi: Optional[Tuple[int, int]] = None
        self.listening = False
        self.losses: List[Tuple[float, str]] = []
        self.armed_reader = None

    # -- helpers -------------------------------------------------------------

    def fail(self, step: str, detail: str, t0: float, contains: Optional[str] = None) -> bool:
        self.r.failed(step, detail)
        tail = self.logs.since(t0, logging.WARNING, 12, contains)
        if tail:
            self.r.extra("py2flamingo warnings/errors during this step:\n" + "\n".join(tail))
        return False

    def state(self) -> Optional[Dict[str, Any]]:
        try:
            return self.c["connection_service"].query_system_state()
        except RuntimeError:  # their model says "not connected"
            return None

    def limits(self) -> Dict[str, float]:
        sl = (self.settings or {}).get("Stage limits", {})
        out = {}
        for ax in "xyzr":
            for kind in ("min", "max"):
                key = f"Soft limit {kind} {ax}-axis"
                try:
                    out[f"{ax}{kind}"] = float(sl[key])
                except (KeyError, ValueError):
                    pass
        return out

    def _arm(self) -> None:
        # What the application does on connection_established (and after a reconnect,
        # because a reconnect builds a new socket reader with no callbacks).
        self.c["position_controller"].reinitialize_motion_tracker()
        self.c["workflow_queue_service"].register_progress_monitoring()
        self.obs.attach(self.c["connection_service"])
        self.armed_reader = self.c["tcp_connection"]._command_client

    def _rearm_if_reconnected(self) -> None:
        reader = self.c["tcp_connection"]._command_client
        if reader is not None and reader is not self.armed_reader:
            self.losses.append((time.time(), "py2flamingo replaced its socket reader (reconnect)"))
            self._arm()

    def _model_ok(self) -> Tuple[bool, str]:
        from py2flamingo.models.connection import ConnectionState

        st = self.c["connection_model"].status
        return st.state == ConnectionState.CONNECTED, f"{st.state.value}: {st.last_error}"

    def _on_lost(self, reason: str) -> None:
        self.losses.append((time.time(), f"lost: {reason}"))

    def _on_restored(self) -> None:
        self.losses.append((time.time(), "py2flamingo reconnected"))
        try:
            self._arm()
        except Exception as e:
            self.losses.append((time.time(), f"re-arming callbacks failed: {e}"))

    # -- 1 connect -----------------------------------------------------------

    def step_connect(self) -> bool:
        t0 = self.logs.mark()
        cc = self.c["connection_controller"]
        ok, msg = cc.connect(self.args.connect_host, self.args.connect_port)
        if not ok:
            return self.fail("connect", f"ConnectionController.connect: {msg}", t0)
        self.connected = True
        cs = self.c["connection_service"]
        cs.add_connection_lost_listener(self._on_lost)
        cs.add_connection_restored_listener(self._on_restored)
        self._arm()
        st = self.state()
        if st is None:
            return self.fail("connect", "connected, but SYSTEM_STATE_GET (0xA007) got no "
                             "valid reply within 3 s (query_system_state returned None)", t0)
        if not st["is_idle"]:
            return self.fail("connect", f"SYSTEM_STATE_GET answered state={st['state']} "
                             f"(0x{st['state'] & 0xFFFFFFFF:X}); py2flamingo counts only 0 or "
                             "40962 as idle and a fresh server should be idle", t0)
        self.r.passed("connect", f"{msg}; SYSTEM_STATE_GET -> state={st['state']} "
                      f"(0x{st['state']:X}, idle)")
        return True

    # -- 2 settings ----------------------------------------------------------

    def step_settings(self) -> bool:
        t0 = self.logs.mark()
        cc = self.c["connection_controller"]
        settings = cc.get_microscope_settings()
        path = Path("microscope_settings") / "ScopeSettings.txt"
        if not settings:
            return self.fail("settings", "ConnectionController.get_microscope_settings() "
                             "returned None (their text reader failed: see below)", t0)
        size = path.stat().st_size if path.exists() else -1
        missing = [s for s in ("Stage limits", "Type") if s not in settings]
        if missing:
            return self.fail("settings", f"text stored ({size} bytes) but sections {missing} "
                             f"missing; sections: {sorted(settings)}", t0)
        self.settings = settings
        name = settings.get("Type", {}).get("Microscope name", "?")
        px = settings.get("Camera", {}).get("Pixel size (mm)")
        # The stream must still be in sync after their pause/drain read.
        st = self.state()
        if st is None or not st["is_idle"]:
            return self.fail("settings", f"settings stored ({size} bytes) but the next "
                             f"SYSTEM_STATE_GET failed ({st}); the command stream is out of "
                             "sync after the settings transfer", t0)
        self.r.passed("settings", f"{size} bytes stored, {len(settings)} sections, "
                      f"microscope '{name}', pixel size used {px} mm; stream in sync after")
        # Re-read configuration the way the app does after a settings load.
        try:
            from py2flamingo.configs.config_loader import invalidate_hardware_config
            invalidate_hardware_config()
        except Exception:
            pass
        return True

    # -- 3 camera queries ----------------------------------------------------

    def step_camera(self) -> bool:
        t0 = self.logs.mark()
        cam = self.c["camera_service"]
        try:
            w, h = cam.get_image_size()
            fov = cam.get_pixel_field_of_view()
        except Exception as e:
            return self.fail("camera", f"{type(e).__name__}: {e}", t0)
        if w <= 0 or h <= 0:
            return self.fail("camera", f"CAMERA_IMAGE_SIZE_GET (12327) answered {w}x{h}", t0)
        self.sensor = (w, h)
        detail = f"image size {w}x{h} (12327), pixel {fov!r} mm/px (12343)"
        if not fov or fov <= 0:
            return self.fail("camera", detail + ": pixel size must be > 0", t0)
        self.r.passed("camera", detail)
        try:
            t = (self.settings or {}).get("Type", {})
            mag = float(t["Objective lens magnification"])
            tube = float(t["Tube lens design focal length (mm)"])
            expect = 6.5 / (mag * tube / 200.0) / 1000.0
            if abs(fov - expect) > 0.01 * expect:
                self.r.note("camera", f"12343 says {fov} mm/px but the served ScopeSettings "
                            f"optics give {expect:.7f} (spec 7.5)")
        except (KeyError, ValueError, TypeError):
            pass
        return True

    # -- 4 positions ---------------------------------------------------------

    def step_position(self) -> bool:
        t0 = self.logs.mark()
        from py2flamingo.services.stage_service import StageService
        stage = StageService(self.c["connection_service"])
        try:
            pos = stage.get_position()
        except Exception as e:
            return self.fail("position", f"StageService.get_position raised {e}", t0)
        if pos is None:
            return self.fail("position", "StageService.get_position() returned None: at "
                             "least one STAGE_POSITION_GET (24584) timed out or read 0.0", t0)
        self.position = pos
        self.c["position_controller"]._current_position = pos  # as _on_settings_loaded does
        self.r.passed("position", f"X={pos.x:.4f} Y={pos.y:.4f} Z={pos.z:.4f} R={pos.r:.3f} "
                      "(4 x 24584)")
        ranges = {"X": (1.0, 12.31, pos.x), "Y": (5.0, 25.0, pos.y), "Z": (12.5, 26.0, pos.z)}
        outside = [f"{a}={v:.3f} not in [{lo}, {hi}]" for a, (lo, hi, v) in ranges.items()
                   if not lo <= v <= hi]
        if outside:
            self.r.note("position", "outside py2flamingo's client-side retry ranges "
                        "(matters only if a 0.0 read forces a retry): " + "; ".join(outside))
        return True

    # -- 5 move --------------------------------------------------------------

    def step_move(self) -> bool:
        t0 = self.logs.mark()
        pc = self.c["position_controller"]
        mc = self.c["movement_controller"]
        tracker = pc._motion_tracker
        if tracker is None:
            return self.fail("move", "PositionController has no MotionTracker after connect", t0)
        if not tracker._use_async_mode():
            return self.fail("move", "MotionTracker is not in async mode (no socket reader)", t0)
        outcome: Dict[str, Any] = {}
        original = tracker.wait_for_motion_complete

        def watched(timeout: float = 30.0, allow_cancel: bool = True) -> bool:
            started = time.time()
            res = original(timeout=timeout, allow_cancel=allow_cancel)
            outcome.update(result=res, waited=time.time() - started, timeout=timeout)
            return res

        tracker.wait_for_motion_complete = watched
        lim = self.limits()
        x0 = self.position.x
        dx = self.args.move_mm
        mid = (lim.get("xmin", x0) + lim.get("xmax", x0)) / 2.0
        target = x0 + dx if x0 <= mid else x0 - dx  # toward the centre of the soft range
        try:
            t_send = time.time()
            mc.move_absolute("x", target)
            done = pc.wait_for_movement_complete(timeout=30.0)
            elapsed = time.time() - t_send
        except Exception as e:
            tracker.wait_for_motion_complete = original
            return self.fail("move", f"move_absolute('x', {target:.4f}) raised "
                             f"{type(e).__name__}: {e}", t0)
        finally:
            tracker.wait_for_motion_complete = original
        stops = self.obs.since(t_send, 0x6010)
        stop_txt = ", ".join(f"axis={e[3]} status={e[2]} at +{(e[0] - t_send) * 1000:.0f}ms"
                             for e in stops) or "none"
        got = pc.get_current_position()
        if not done:
            return self.fail("move", "their movement lock was still held after 30 s", t0)
        if not outcome.get("result"):
            return self.fail("move", f"X {x0:.4f} -> {target:.4f}: their MotionTracker got no "
                             f"0x6010 with status 1 within {outcome.get('timeout')} s "
                             f"(0x6010 seen: {stop_txt}); they fell back to a fixed sleep", t0)
        if got is None or abs(got.x - target) > 0.01:
            return self.fail("move", f"X {x0:.4f} -> {target:.4f}: 0x6010 ok ({stop_txt}) but "
                             f"their read-back after 0.2 s says X={getattr(got, 'x', None)}", t0)
        self.r.passed("move", f"X {x0:.4f} -> {target:.4f} mm (24580 ack + 0x6010 after "
                      f"{outcome['waited']:.2f}s wait; 0x6010 seen: {stop_txt}); "
                      f"read-back X={got.x:.4f}; total {elapsed:.2f}s")
        self.position = got
        return True

    # -- 6 live view ---------------------------------------------------------

    def step_live(self) -> bool:
        t0 = self.logs.mark()
        cam = self.c["camera_service"]
        frames: List[Tuple[float, Tuple[int, ...], Any, int, int]] = []

        def on_image(img, hdr) -> None:
            frames.append((time.time(), img.shape, hdr, int(img.min()), int(img.max())))

        cam.set_image_callback(on_image)
        want = self.args.frames
        t_start = time.time()
        try:
            cam.start_live_view_streaming()
        except Exception as e:
            cam.set_image_callback(None)
            return self.fail("live", f"start_live_view_streaming raised: {e}", t0)
        deadline = time.time() + self.args.live_timeout
        died = False
        while len(frames) < want and time.time() < deadline:
            if cam._data_thread is not None and not cam._data_thread.is_alive():
                died = True
                break
            time.sleep(0.05)
        n_before_stop = len(frames)
        t_stop = time.time()
        cam.stop_live_view_streaming()
        cam.set_image_callback(None)
        st = self.state()
        events = self.obs.summary(t_start)
        if n_before_stop < want:
            why = ("their live reader thread exited" if died else
                   f"only {n_before_stop} frame(s) in {self.args.live_timeout} s")
            return self.fail("live", f"{why}; wanted {want}; command-port events: {events}", t0)
        bad = []
        for (_, shape, hdr, _, _) in frames[:want]:
            if hdr.image_size != hdr.image_width * hdr.image_height * 2:
                bad.append(f"imageSize {hdr.image_size} != {hdr.image_width}x{hdr.image_height}x2")
            if shape != (hdr.image_height, hdr.image_width):
                bad.append(f"array {shape} vs header {hdr.image_width}x{hdr.image_height}")
            if self.sensor and (hdr.image_width, hdr.image_height) != self.sensor:
                bad.append(f"frame {hdr.image_width}x{hdr.image_height} != 12327 size "
                           f"{self.sensor[0]}x{self.sensor[1]}")
        if bad:
            return self.fail("live", "; ".join(sorted(set(bad))[:4]), t0)
        if st is None or not st["is_idle"]:
            return self.fail("live", f"{n_before_stop} frames ok, but after LIVE_VIEW_STOP the "
                             f"state is {st} (expected idle 40962)", t0)
        dt = frames[want - 1][0] - frames[0][0]
        fps = (want - 1) / dt if dt > 0 else float("inf")
        first = frames[0][0] - t_start
        h0 = frames[0][2]
        self.r.passed("live", f"{n_before_stop} frames {h0.image_width}x{h0.image_height} via "
                      f"their reader, first after {first:.2f}s (incl. their 0.5 s wait), "
                      f"~{fps:.1f} f/s, pixel range {frames[0][3]}..{frames[0][4]}, header "
                      f"scale {h0.image_scale_min}..{h0.image_scale_max}, opt1=0x{h0.frame_number:X}; "
                      f"stop -> idle; events: {events}")
        return True

    # -- 7 ROI ---------------------------------------------------------------

    def step_roi(self) -> bool:
        t0 = self.logs.mark()
        cam = self.c["camera_service"]
        sw, sh = self.sensor
        w = max(2, (sw // 2) // 2 * 2)
        h = max(2, (sh // 2) // 2 * 2)
        res = cam.set_centered_aoi(w, h, sensor_w=sw, sensor_h=sh)
        if not res.get("success"):
            return self.fail("roi", f"set_centered_aoi({w}, {h}) failed: {res.get('error')}", t0)
        if not res.get("applied"):
            return self.fail("roi", f"set_centered_aoi({w}, {h}) on a {sw}x{sh} sensor: "
                             f"12327 read back {res.get('width')}x{res.get('height')} "
                             f"({res.get('warning', 'edges sent: left/top = ' + str((sw - w) // 2 + 1) + '/' + str((sh - h) // 2 + 1))})", t0)
        self.roi = (w, h)
        self.r.passed("roi", f"centered AOI {w}x{h} on {sw}x{sh} (12303 edge "
                      f"{(sw - w) // 2 + 1}, 12305 edge {(sh - h) // 2 + 1} answered as "
                      f"0x3011, 12327 reads {res['width']}x{res['height']})")
        return True

    def restore_roi(self) -> None:
        if not (self.roi and self.sensor and self.connected):
            return
        sw, sh = self.sensor
        res = self.c["camera_service"].set_centered_aoi(sw, sh, sensor_w=sw, sensor_h=sh)
        if not res.get("applied"):
            self.r.note("cleanup", f"could not restore full-frame ROI {sw}x{sh}: {res}")

    # -- 8 workflows ---------------------------------------------------------

    def _common(self, lasers: int = 2) -> Dict[str, Any]:
        """Inputs shared by every workflow this script builds with py2flamingo's builders."""
        from py2flamingo.utils.workflow_serialization import build_tile_illumination_source

        a = self.args
        w, h = self.roi or self.sensor
        sources = [SimpleNamespace(laser_enabled=True, laser_channel="Laser 2 488 nm",
                                   laser_power_mw=10.0, led_enabled=False),
                   SimpleNamespace(laser_enabled=True, laser_channel="Laser 4 640 nm",
                                   laser_power_mw=5.0, led_enabled=False)][:lasers]
        save = {
            "Sample": "peer_check", "Duration (dd:hh:mm:ss)": "00:00:00:00",
            "Interval (dd:hh:mm:ss)": "00:00:00:00", "Number of angles": "",
            "Angle step size": "", "Region": "", "Save image drive": "/media/deploy/ctlsm1",
            "Save image directory": "peer_check", "Comments": "flamingo-viv peer check",
            "Save max projection": "false",
            "Display max projection": "true" if a.mip else "false",
            "Save image data": "NotSaved", "Save to subfolders": "false",
            "Work flow live view enabled": "true",
        }
        camera = {"exposure_us": a.exposure_us, "frame_rate": a.frame_rate, "aoi_width": w,
                  "aoi_height": h, "cam1_capture_percentage": 100, "cam1_capture_mode": 0,
                  "cam2_capture_percentage": 100, "cam2_capture_mode": 3}
        return {"w": w, "h": h, "save": save, "camera": camera, "lasers": len(sources),
                "illumination": build_tile_illumination_source(sources, left_on=True,
                                                               right_on=False),
                "sources": sources}

    def _write(self, name: str, wf: Dict[str, Any]) -> Tuple[Path, int]:
        from py2flamingo.utils.workflow_parser import WorkflowTextFormatter

        data = WorkflowTextFormatter().format_to_bytes(wf)
        path = Path("workflows") / f"peer_{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path, len(data)

    def build_zstack(self, planes: Optional[int] = None, tile_end: Optional[Tuple[float, float]] = None
                     ) -> Dict[str, Any]:
        """A 2-laser ZStack (or, with tile_end, a Tile run) from py2flamingo's builder."""
        from py2flamingo.models.data.workflow import WorkflowType
        from py2flamingo.utils.workflow_serialization import build_workflow_section_dict

        a = self.args
        c = self._common()
        pos = self.position
        planes = planes or a.planes
        dz = planes * a.step_um / 1000.0
        stack = {"Stack option": "ZStack", "Change in Z axis (mm)": dz,
                 "Number of planes": planes,
                 "Z stage velocity (mm/s)": round(a.step_um * a.frame_rate / 1000.0, 6)}
        start = SimpleNamespace(x=pos.x, y=pos.y, z=pos.z, r=pos.r)
        end = SimpleNamespace(x=tile_end[0] if tile_end else pos.x,
                              y=tile_end[1] if tile_end else pos.y, z=pos.z + dz, r=pos.r)
        wf = build_workflow_section_dict(
            workflow_type=WorkflowType.TILE if tile_end else WorkflowType.ZSTACK,
            position_a=start, position_b=end, camera=c["camera"], save=c["save"],
            illumination=c["illumination"],
            illumination_options={"Run stack with multiple lasers on": "false"},
            stack=stack, plane_spacing_um=a.step_um,
            tiling={"overlap_percent": 10} if tile_end else None)
        path, size = self._write("tile" if tile_end else "zstack", wf)
        return {"planes": planes, "lasers": c["lasers"], "bytes": size, "w": c["w"],
                "h": c["h"], "start": start, "end": end, "dict": wf, "path": path}

    def build_snapshot(self) -> Dict[str, Any]:
        """What py2flamingo's tile collection queues for a single-plane tile."""
        from py2flamingo.utils.workflow_serialization import build_tile_collection_section_dict

        a = self.args
        c = self._common()
        pos = self.position
        wf = build_tile_collection_section_dict(
            name="peer_snapshot", position=pos, camera=c["camera"],
            illumination_source=c["illumination"], multi_laser=False,
            save_settings={"save_drive": "/media/deploy/ctlsm1", "save_directory": "peer_check",
                           "save_mip": False, "display_mip": a.mip, "save_format": "Tiff",
                           "save_enabled": False, "live_view": True},
            z_min=pos.z, z_max=pos.z, is_zstack=False, z_step_um=a.step_um,
            z_velocity_mm_s=0.1)
        path, size = self._write("snapshot", wf)
        start = SimpleNamespace(x=pos.x, y=pos.y, z=pos.z, r=pos.r)
        return {"planes": 1, "lasers": c["lasers"], "bytes": size, "w": c["w"], "h": c["h"],
                "start": start, "end": start, "dict": wf, "path": path}

    def run_queue(self, step: str, label: str, plan: Dict[str, Any], stacks: int) -> bool:
        """Run one workflow file through WorkflowQueueService and check what happened.

        `stacks` is how many stacks the server should acquire (tiles x lasers); frames
        expected = stacks x planes, plus one MIP per stack with --mip."""
        t0 = self.logs.mark()
        path = plan["path"]
        cam = self.c["camera_service"]
        qs = self.c["workflow_queue_service"]
        frames: List[Tuple[float, Any, Tuple[int, ...]]] = []
        cam.set_image_callback(lambda img, hdr: frames.append((time.time(), hdr, img.shape)))
        alive = cam._data_thread is not None and cam._data_thread.is_alive()
        if self.listening and not alive:
            cam.stop_data_receiver()  # their reader died (e.g. a reconnect closed the socket)
            self.listening = False
        if not self.listening:
            # Listen-only, started once and kept across runs like their tile collection
            # does: stopping and restarting it within 5 s leaves their old reader thread
            # (blocked in a 5 s recv) reading the same socket as the new one.
            try:
                cam.ensure_data_receiver_running()
            except Exception as e:
                cam.set_image_callback(None)
                return self.fail(step, f"could not open the live port listen-only: {e}", t0)
            self.listening = True
        qs.enqueue([path])
        item = qs._queue[0]
        t_start = time.time()
        if not qs.start():
            cam.set_image_callback(None)
            return self.fail(step, "WorkflowQueueService.start() refused", t0)
        deadline = t_start + self.args.workflow_timeout
        while qs.is_running and time.time() < deadline:
            time.sleep(0.1)
        elapsed = time.time() - t_start
        timed_out = qs.is_running
        if timed_out:
            qs.cancel()  # sends 12293 through their stop path
            t_end = time.time() + 10
            while qs.is_running and time.time() < t_end:
                time.sleep(0.1)
        time.sleep(0.5)  # late frames
        cam.set_image_callback(None)
        events = self.obs.summary(t_start)
        queue_log = self.logs.since(t_start, logging.INFO, 40, "[QUEUE]")
        how = ("via 0x9004 callback" if any("confirmed running via callback" in q
                                            for q in queue_log)
               else "via SYSTEM_STATE_GET poll" if any("System became busy" in q for q in queue_log)
               else "?")
        done_by = ("0xA002 broadcast" if any("completed via SYSTEM_STATE_IDLE" in q
                                             for q in queue_log)
                   else "state poll" if any("via polling fallback" in q for q in queue_log)
                   else "?")
        planes_frames = [f for f in frames if not (f[1].frame_number & 0x20)]
        mip_frames = [f for f in frames if f[1].frame_number & 0x20]
        expected = plan["planes"] * stacks
        head = f"{label}, {plan['bytes']}-byte file ({path}) via WorkflowQueueService"
        if timed_out:
            return self.fail(step, f"{head}: not finished after "
                             f"{self.args.workflow_timeout:.0f}s (cancelled); events: {events}; "
                             f"frames {len(frames)}", t0, "[QUEUE]")
        if not item.completed:
            return self.fail(step, f"{head}: their queue reports '{item.error}' after "
                             f"{elapsed:.1f}s; events: {events}; frames {len(frames)}", t0)
        self.r.passed(step, f"{head}: completed in {elapsed:.1f}s (running confirmed {how}, "
                      f"finished by {done_by}); command-port events: {events}")
        ok = True
        shapes = collections.Counter((f[1].image_width, f[1].image_height) for f in frames)
        detail = (f"{len(planes_frames)} plane frames (expected {expected}), {len(mip_frames)} "
                  f"MIP frames, sizes {dict(shapes)}")
        fstep = f"{step}-frames"
        if len(planes_frames) < expected:
            ok = self.fail(fstep, detail, t0)
        elif self.args.mip and len(mip_frames) != stacks:
            ok = self.fail(fstep, detail + f": with 'Display max projection = true' expected "
                           f"one MIP frame (opt1 0x20) per stack = {stacks}", t0)
        elif any(s != (plan["w"], plan["h"]) for s in shapes):
            ok = self.fail(fstep, detail + f": not the {plan['w']}x{plan['h']} ROI", t0)
        else:
            self.r.passed(fstep, detail)
            if len(planes_frames) > expected:
                self.r.note(fstep, f"{len(planes_frames) - expected} surplus frame(s)")
        gauge = self.obs.since(t_start, 0x9004)
        done_stacks = self.obs.since(t_start, 0x3011)
        if gauge or done_stacks:
            self.r.note(f"{step}-progress",
                        (f"last 0x9004 {gauge[-1][3]}/{gauge[-1][4]}; " if gauge else "no 0x9004; ")
                        + f"0x3011 x{len(done_stacks)}: "
                        + ", ".join(f"{e[3]}/{e[4]} err={e[5]} t={e[6]:.0f}us"
                                    for e in done_stacks[:6]))
        # Their return-to-origin (R, X, Y, Z with 24581, then position polling).
        from py2flamingo.services.stage_service import StageService
        pos = StageService(self.c["connection_service"]).get_position()
        s = plan["start"]
        rstep = f"{step}-return"
        if pos is None:
            ok = self.fail(rstep, "positions unreadable after the workflow", t0)
        elif max(abs(pos.x - s.x), abs(pos.y - s.y), abs(pos.z - s.z)) > 0.02:
            ok = self.fail(rstep, f"their return-to-origin left the stage at X={pos.x:.4f} "
                           f"Y={pos.y:.4f} Z={pos.z:.4f}, origin X={s.x:.4f} Y={s.y:.4f} "
                           f"Z={s.z:.4f}", t0, "origin")
        else:
            self.r.passed(rstep, f"stage back at X={pos.x:.4f} Y={pos.y:.4f} Z={pos.z:.4f} "
                          "(their 24581 return + settle polling)")
        st = self.state()
        if st is None or not st["is_idle"]:
            ok = self.fail(f"{step}-idle", f"state after the run: {st}", t0)
        return ok

    def step_workflow(self) -> bool:
        plan = self.build_zstack()
        return self.run_queue("workflow", f"2-laser ZStack, {plan['planes']} planes x 2 stacks",
                              plan, plan["lasers"])

    def step_snapshot(self) -> bool:
        plan = self.build_snapshot()
        return self.run_queue("wf-snap", "2-laser Snapshot (their tile-collection builder)",
                              plan, plan["lasers"])

    def step_tile(self) -> bool:
        t0 = self.logs.mark()
        from py2flamingo.utils.tile_geometry import compute_tile_geometry

        w, h = self.roi or self.sensor
        px = self.c["camera_service"].get_pixel_field_of_view()
        fov_x, fov_y = h * px, w * px  # the server's X/Y swap (spec 8.5 rule 6)
        pos = self.position
        lim = self.limits()
        mid = (lim.get("xmin", pos.x) + lim.get("xmax", pos.x)) / 2.0
        sign = 1.0 if pos.x <= mid else -1.0  # toward the centre of the range
        end = (pos.x + sign * 0.5 * fov_x, pos.y)  # two tiles in X, one in Y
        plan = self.build_zstack(planes=self.args.tile_planes, tile_end=end)
        sl = (self.settings or {}).get("Stage limits", {})

        def lim(key: str) -> Optional[float]:
            try:
                return float(sl[key])
            except (KeyError, ValueError):
                return None

        geo = compute_tile_geometry(pos.x, end[0], pos.y, end[1], pos.z, plan["end"].z, fov_x,
                                    fov_y, 10, 10,
                                    hard_limit_min_x=lim("Hard limit min x-axis"),
                                    hard_limit_max_x=lim("Hard limit max x-axis"),
                                    hard_limit_min_y=lim("Hard limit min y-axis"),
                                    hard_limit_max_y=lim("Hard limit max y-axis"))
        if geo.has_limit_errors:
            return self.fail("wf-tile", f"test setup: tiles outside hard limits {geo.violations}", t0)
        return self.run_queue("wf-tile", f"2-laser Tile {geo.tiles_x}x{geo.tiles_y} tiles (their "
                              f"tile_geometry), {plan['planes']} planes", plan,
                              geo.total_tiles * plan["lasers"])

    def step_stop(self) -> bool:
        """Start a long z-stack through the queue, then cancel it with their stop path
        (WorkflowQueueService.cancel -> WorkflowController.stop_workflow -> 12293, whose
        reply they read synchronously while their socket reader also runs)."""
        t0 = self.logs.mark()
        plan = self.build_zstack(planes=self.args.stop_planes)
        wc = self.c["workflow_controller"]
        qs = self.c["workflow_queue_service"]
        stop_result: Dict[str, Any] = {}
        original = wc.stop_workflow

        def watched_stop():
            started = time.time()
            res = original()
            stop_result.update(result=res, took=time.time() - started)
            return res

        wc.stop_workflow = watched_stop
        try:
            qs.enqueue([plan["path"]])
            t_start = time.time()
            qs.start()
            limit = t_start + 30
            while time.time() < limit and not self.obs.since(t_start, 0x9004):
                time.sleep(0.05)
            if not self.obs.since(t_start, 0x9004):
                qs.cancel()
                return self.fail("wf-stop", "the long z-stack sent no 0x9004 within 30 s", t0)
            time.sleep(0.5)
            t_cancel = time.time()
            qs.cancel()
            end = time.time() + 15
            while qs.is_running and time.time() < end:
                time.sleep(0.05)
        finally:
            wc.stop_workflow = original
        idle_events = self.obs.since(t_cancel, STATE_IDLE)
        gauge_after = [e for e in self.obs.since(t_cancel, 0x9004) if e[0] > t_cancel + 1.0]
        stop_ok = bool((stop_result.get("result") or (False,))[0])
        reply_async = self.obs.since(t_cancel, 0x3005)
        raced = ""
        model_ok, why = self._model_ok()
        if not stop_ok and reply_async and not model_ok:
            # Spec 8.11: their socket reader took the 12293 reply, their synchronous read
            # timed out, and send_command() then set their connection model to ERROR.
            raced = (f"their socket reader took the 12293 reply (+"
                     f"{(reply_async[0][0] - t_cancel) * 1000:.0f}ms) so their synchronous read "
                     f"timed out and their model went to '{why}'; reconnected with their "
                     "reconnect_last()")
            self.c["connection_service"].reconnect_last()
            self._rearm_if_reconnected()
            self.losses = [x for x in self.losses if x[0] < t0]
        st = self.state()
        detail = (f"cancel {t_cancel - t_start:.1f}s into a {self.args.stop_planes}-plane x 2 run: "
                  f"their stop_workflow -> {stop_result.get('result')} in "
                  f"{stop_result.get('took', float('nan')):.2f}s; 0xA002 after stop: "
                  f"{'+%.0fms' % ((idle_events[0][0] - t_cancel) * 1000) if idle_events else 'none'}; "
                  f"state now {st and st['state']}")
        if qs.is_running:
            return self.fail("wf-stop", detail + "; their queue did not end", t0)
        if st is None or not st["is_idle"]:
            return self.fail("wf-stop", detail + "; server not idle after 12293", t0)
        if gauge_after:
            return self.fail("wf-stop", detail + f"; {len(gauge_after)} 0x9004 still arrived "
                             "more than 1 s after the stop", t0)
        if not stop_ok and not reply_async:
            return self.fail("wf-stop", detail + "; no 12293 reply reached either of their "
                             "readers", t0)
        if stop_ok and reply_async:
            how = ("; their synchronous read took some other record (they do not check its "
                   "code) while their socket reader took the 12293 reply")
        elif stop_ok:
            how = "; their synchronous read got the 12293 reply"
        else:
            how = ""
        self.r.passed("wf-stop", detail + how)
        if raced:
            self.r.note("wf-stop", "py2flamingo race, not a server fault: " + raced)
        return True

    # -- 9 workflow through the Workflow tab's path (opt-in) -------------------

    def step_direct(self) -> bool:
        """WorkflowController.start_workflow_from_ui + the queue service's direct-run
        monitor: what the Workflow tab's Start button does (application.py wiring)."""
        t0 = self.logs.mark()
        from PyQt5.QtCore import Qt
        plan = self.build_zstack()
        wc = self.c["workflow_controller"]
        qs = self.c["workflow_queue_service"]
        result: Dict[str, Any] = {}
        done = threading.Event()

        def finished() -> None:
            result["ok"] = True
            done.set()

        def failed(msg: str) -> None:
            result.update(ok=False, msg=msg)
            done.set()

        qs.workflow_finished.connect(finished, Qt.DirectConnection)
        qs.workflow_failed.connect(failed, Qt.DirectConnection)
        t_start = time.time()
        try:
            ok, msg = wc.start_workflow_from_ui(None, workflow_dict=plan["dict"],
                                                save_to_disk=True)
            if not ok:
                return self.fail("wf-direct", f"start_workflow_from_ui: {msg}", t0)
            qs.mark_direct_run_started()
            if not done.wait(self.args.workflow_timeout):
                wc.stop_workflow()
                return self.fail("wf-direct", f"no workflow_finished/failed from their direct-run "
                                 f"monitor within {self.args.workflow_timeout:.0f}s; events: "
                                 f"{self.obs.summary(t_start)}", t0)
        finally:
            qs.workflow_finished.disconnect(finished)
            qs.workflow_failed.disconnect(failed)
        aoi = self.logs.since(t_start, logging.INFO, 3, "AOI")
        if result.get("ok") and not self.obs.since(t_start, 0x9004):
            # Their monitor counts failed state polls as "busy", so a dead link can
            # look like a run that started and finished.
            return self.fail("wf-direct", "their monitor reported finished, but no 0x9004 "
                             f"progress arrived at all; events: {self.obs.summary(t_start)}", t0)
        if not result.get("ok"):
            return self.fail("wf-direct", f"their direct-run monitor: {result.get('msg')}; "
                             f"events: {self.obs.summary(t_start)}", t0)
        self.r.passed("wf-direct", f"Workflow-tab path finished in {time.time() - t_start:.1f}s "
                      f"(start_workflow_from_ui, mark_direct_run_started, 0xA002 after 0x9004); "
                      f"events: {self.obs.summary(t_start)}")
        if aoi:
            self.r.note("wf-direct", "their _apply_workflow_aoi (assumes a 2048x2048 sensor): "
                        + aoi[-1].split(": ", 1)[-1][:200])
        return True

    # -- run -----------------------------------------------------------------

    def run(self) -> None:
        steps = [("connect", self.step_connect), ("settings", self.step_settings),
                 ("camera", self.step_camera), ("position", self.step_position),
                 ("move", self.step_move), ("live", self.step_live),
                 ("roi", self.step_roi), ("workflow", self.step_workflow)]
        if self.args.extra:
            steps += [("wf-snap", self.step_snapshot), ("wf-tile", self.step_tile)]
        if self.args.stop:
            steps.append(("wf-stop", self.step_stop))
        if self.args.direct:
            steps.append(("wf-direct", self.step_direct))
        needs = {"settings": "connect", "camera": "connect", "position": "connect",
                 "move": "position", "live": "camera", "roi": "camera",
                 "workflow": "position", "wf-direct": "position", "wf-snap": "position",
                 "wf-tile": "position", "wf-stop": "position"}
        done: Dict[str, bool] = {}
        for name, fn in steps:
            dep = needs.get(name)
            if dep and not done.get(dep) or (name != "connect" and not self.connected):
                self.r.skipped(name, f"needs '{dep or 'connect'}'")
                done[name] = False
                continue
            t0 = self.logs.mark()
            if self.connected and name != "connect":
                self._rearm_if_reconnected()
            try:
                done[name] = fn()
            except Exception as e:
                import traceback
                done[name] = self.fail(name, f"unexpected {type(e).__name__}: {e}", t0)
                self.r.extra(traceback.format_exc(limit=6))
            if self.connected:
                self._rearm_if_reconnected()
            lost = [f"+{(t - t0):.2f}s {what}" for t, what in self.losses if t >= t0]
            if lost:
                done[name] = self.fail(name, "the command connection was lost or replaced during "
                                       "this step: " + "; ".join(lost), t0)
            if self.connected:
                ok, why = self._model_ok()
                if not ok:
                    done[name] = self.fail(name, f"py2flamingo's connection model is {why} after "
                                           "this step; reconnecting with their reconnect_last()", t0)
                    self.c["connection_service"].reconnect_last()
                    self._rearm_if_reconnected()
                    self.losses = [x for x in self.losses if x[0] < t0]
        if self.listening:
            self.c["camera_service"].stop_data_receiver()
        try:
            self.restore_roi()
        except Exception as e:
            self.r.note("cleanup", f"ROI restore raised {e}")
        if self.connected:
            try:
                self.c["connection_controller"].disconnect()
            except Exception as e:
                self.r.note("cleanup", f"disconnect raised {e}")
        # Distinct ERROR lines py2flamingo logged (some are upstream bugs, e.g.
        # its 0x3011 handler reads a field ParsedMessage does not have).
        errors = collections.Counter(
            t.split(": ", 1)[-1].split("\n", 1)[0][:160]
            for t in self.logs.since(0, logging.ERROR, 10000)
            if "PLACEHOLDER stage limits" not in t)  # expected in a fresh workdir
        for text, n in errors.most_common(8):
            self.r.note("py2flamingo-log", f"{n}x ERROR {text}")


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--py2flamingo", required=True, type=Path,
                    help="checkout of uw-loci/Flamingo_Control (or its src/ folder)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=53717, help="command port (live = port+1)")
    ap.add_argument("--frames", type=int, default=5, help="live frames to receive")
    ap.add_argument("--live-timeout", type=float, default=15.0)
    ap.add_argument("--move-mm", type=float, default=0.5, help="size of the X move")
    ap.add_argument("--planes", type=int, default=20, help="planes per stack")
    ap.add_argument("--step-um", type=float, default=2.5)
    ap.add_argument("--frame-rate", type=float, default=40.0)
    ap.add_argument("--exposure-us", type=int, default=10000)
    ap.add_argument("--mip", action="store_true", help="set 'Display max projection = true'")
    ap.add_argument("--workflow-timeout", type=float, default=180.0)
    ap.add_argument("--extra", action="store_true",
                    help="also run a Snapshot and a 2-tile Tile workflow through the queue")
    ap.add_argument("--tile-planes", type=int, default=5, help="planes per stack in the Tile run")
    ap.add_argument("--stop", action="store_true",
                    help="also cancel a long z-stack mid-run with their stop path (12293)")
    ap.add_argument("--stop-planes", type=int, default=400)
    ap.add_argument("--direct", action="store_true",
                    help="also run the z-stack through the Workflow tab's path "
                         "(start_workflow_from_ui + direct-run monitor)")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="where py2flamingo may write its files (default: a new temp dir)")
    ap.add_argument("--log", type=Path, default=None,
                    help="py2flamingo's full log (default: <workdir>/py2flamingo.log)")
    ap.add_argument("--trace", type=Path, default=None,
                    help="relay through a local proxy and write a decoded wire trace here")
    args = ap.parse_args(argv)

    out = sys.stdout
    src = find_src(args.py2flamingo)
    workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="py2flamingo-peer-"))).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    trace_path = args.trace.resolve() if args.trace else None
    log_path = (args.log.resolve() if args.log else workdir / "py2flamingo.log")
    os.chdir(workdir)  # py2flamingo writes microscope_settings/, workflows/ relative to cwd

    log_file = open(log_path, "w", encoding="utf-8")
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    fh = logging.StreamHandler(log_file)
    fh.setFormatter(logging.Formatter("%(relativeCreated)8.0fms %(threadName)s %(levelname)s "
                                      "%(name)s: %(message)s"))
    root.addHandler(fh)
    tail = LogTail()
    root.addHandler(tail)
    sys.stdout = log_file  # py2flamingo print()s a lot; keep our report clean

    report = Report(out)
    args.connect_host, args.connect_port = args.host, args.port
    proxy = None
    if trace_path:
        proxy = WireTrace(args.host, args.port, trace_path)
        args.connect_host, args.connect_port = "127.0.0.1", proxy.local_port
    out.write(f"py2flamingo-peer: py2flamingo from {src}, server {args.host}:{args.port} "
              f"(live {args.port + 1}); workdir {workdir}; log {log_path}"
              f"{'; trace ' + str(trace_path) + ' via proxy port ' + str(proxy.local_port) if proxy else ''}\n")
    out.flush()
    try:
        comps = build_app(src)
    except SystemExit as e:
        out.write(f"FAIL setup            {e}\n")
        return 2
    try:
        import subprocess
        rev = subprocess.run(["git", "-C", str(src.parent), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except Exception:
        rev = ""
    import py2flamingo
    out.write(f"py2flamingo version {getattr(py2flamingo, '__version__', '?')}"
              f"{' @ ' + rev if rev else ''}\n")
    peer = Peer(args, report, tail)
    peer.c = comps
    t = time.time()
    peer.run()
    n_fail = sum(1 for v, _, _ in report.results if v in ("FAIL", "SKIP"))
    out.write(f"{'OK' if report.ok else 'FAILED'}: {len(report.results)} lines, {n_fail} "
              f"failed/skipped, {time.time() - t:.1f}s\n")
    out.flush()
    sys.stdout = out
    return 0 if report.ok else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # py2flamingo leaves non-daemon Qt/thread state behind
