"""What the attack scripts share: a free loopback port, a scratch nginx prefix with one
static file (`/api/x`), and starting and stopping nginx there. Standard library only."""
import os
import socket
import subprocess
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def user_line():
    """nginx started as root runs its workers as nobody; the scratch files are root's."""
    return "user root;" if os.geteuid() == 0 else ""


def prepare(work, conf):
    """Lays out `work` (logs, temp, html/api/x) and writes `conf` as its nginx.conf."""
    for sub in ("logs", "tmp", "html/api"):
        os.makedirs(f"{work}/{sub}", exist_ok=True)
    with open(f"{work}/html/api/x", "w") as f:
        f.write("ok\n")
    with open(f"{work}/nginx.conf", "w") as f:
        f.write(conf)


def start(nginx, work, port):
    """Starts nginx on `work` and waits (at most 5 s) until it accepts connections."""
    subprocess.run([nginx, "-p", work, "-c", f"{work}/nginx.conf"], check=True)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)


def stop(nginx, work):
    subprocess.run([nginx, "-p", work, "-c", f"{work}/nginx.conf", "-s", "stop"])
