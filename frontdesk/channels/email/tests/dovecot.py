"""A private Dovecot IMAP server on a loopback port, for the IMAP tests.

Debian's `dovecot-imapd` (installed by .ci/run), started with a generated config in a
temporary folder: users from a passwd-file, maildirs in the folder, logs there, no
system path touched. Run as root (CI), the mail processes run as `nobody`, since
Dovecot refuses mail access as root; otherwise everything runs as the current user.

`oauth2_introspection_url` turns on XOAUTH2/OAUTHBEARER: Dovecot's oauth2 passdb asks
that URL (RFC 7662 token introspection, POST `token=…`) whether a bearer token is
active and whose it is.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Dovecot:
    def __init__(self, *, oauth2_introspection_url: str = "", users: int = 200) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="frontdesk-dovecot-"))
        # Mail processes may run as another user: they must reach their maildirs.
        self.dir.chmod(0o755)
        self.port = free_port()
        self.users: dict[str, str] = {}
        self.introspection_url = oauth2_introspection_url
        self.process: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
            self.user, self.group = "nobody", grp.getgrgid(nobody.pw_gid).gr_name
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
            self.user = pwd.getpwuid(self.uid).pw_name
            self.group = grp.getgrgid(self.gid).gr_name
        (self.dir / "mail").mkdir()
        os.chown(self.dir / "mail", self.uid, self.gid)
        self._write_users(users)
        # TLS: a self-signed certificate for 127.0.0.1 (tests trust it as their CA),
        # serving TLS from the start on `tls_port` and STARTTLS on `port`.
        self.tls_port = free_port()
        self.certificate = self.dir / "cert.pem"
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", str(self.dir / "key.pem"), "-out", str(self.certificate),
                "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        self._write_config()

    # --- configuration -------------------------------------------------------------------

    @property
    def config(self) -> Path:
        return self.dir / "dovecot.conf"

    def _write_users(self, count: int) -> None:
        """A pool of users made up front: Dovecot re-reads a passwd-file at most once a
        second, so users added while it runs could be unknown for up to a second."""
        for n in range(1, count + 1):
            self.users[f"desk{n}@riverside.example"] = "pw-" + secrets.token_urlsafe(12)
        lines = [
            f"{name}:{{PLAIN}}{secret}:{self.uid}:{self.gid}::{self.dir}/mail/{name}::"
            for name, secret in self.users.items()
        ]
        (self.dir / "users").write_text("\n".join(lines) + "\n")
        self._unused = list(self.users)

    def new_user(self) -> tuple[str, str]:
        """(username, password) of a user no test has had yet."""
        name = self._unused.pop(0)
        return name, self.users[name]

    def _write_config(self) -> None:
        oauth = ""
        mechanisms = "plain login"
        if self.introspection_url:
            mechanisms += " xoauth2 oauthbearer"
            (self.dir / "oauth2.conf").write_text(
                f"introspection_mode = post\n"
                f"introspection_url = {self.introspection_url}\n"
                "username_attribute = username\n"
                "active_attribute = active\n"
                "active_value = true\n"
                "force_introspection = yes\n"
            )
            oauth = f"""
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {self.dir}/oauth2.conf
}}
"""
        run_as = "" if os.geteuid() == 0 else f"user = {self.user}"
        self.config.write_text(
            f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
info_log_path = {self.dir}/dovecot.log
ssl = yes
ssl_cert = <{self.certificate}
ssl_key = <{self.dir}/key.pem
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
default_login_user = {self.user}
default_internal_user = {self.user}
default_internal_group = {self.group}
first_valid_uid = {min(self.uid, 100)}
first_valid_gid = 0
mail_location = maildir:~/Maildir
mail_privileged_group =
mail_plugins =
# Without inotify events (some containers), IDLE notices new mail at this interval.
mailbox_idle_check_interval = 1 secs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.dir}/users
}}
{oauth}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.dir}/users
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
  }}
}}
service anvil {{
  chroot =
}}
service auth-worker {{
  {run_as}
}}
service stats {{
  {run_as}
}}
"""
        )

    # --- running -------------------------------------------------------------------------

    def start(self) -> None:
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.dir / "stderr.log", "ab"),  # noqa: SIM115
            # Its own process group: `stop()` can end the master and every child.
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start:\n{self.log()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock,
            ):
                if sock.recv(100).startswith(b"* OK"):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start listening:\n{self.log()}")

    def stop(self) -> None:
        """Kill the server and every process it has (a crash: every client connection
        is cut mid-command), and wait until its port is free."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None
        # Wait until the port is free, so a restart can listen on it again.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
            except OSError:
                return
            time.sleep(0.05)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        text = ""
        for name in ("stderr.log", "dovecot.log"):
            path = self.dir / name
            if path.exists():
                text += path.read_text(errors="replace")[-4000:]
        return text

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
