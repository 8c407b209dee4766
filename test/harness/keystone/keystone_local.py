"""A real Keystone as a loopback process, for the test harness (run by keystone.sh).

  keystone_local.py serve <dir>
      Binds 127.0.0.1 on a port the kernel picks, writes <dir>/port and <dir>/keystone.pid,
      imports Keystone, waits for <dir>/setup.done, then builds Keystone's WSGI app and serves it
      with the standard library (a thread per connection, one request in Keystone at a time).
  keystone_local.py setup <dir> <password-file> <region> <public> <internal> <admin> [domain-name]
      Runs keystone-manage's db_sync, fernet_setup, credential_setup and bootstrap in this one
      process (each keystone-manage process spends about 2 s importing Keystone; this pays once).
      The admin password is read from the file, never passed as an argument.

Both read <dir>/keystone.conf, which keystone.sh writes.
"""

import os
import sys
import threading
import time

# Keystone's oslo.config parses the process's command line when its app or CLI is imported, and
# stops on arguments it does not know (ours). Keep ours, then hide them from it.
ARGS = sys.argv[1:]
sys.argv = sys.argv[:1]


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def watch_parent(pid):
    """Exit when the process that started us is gone, so a crashed test leaves no server behind."""
    while True:
        time.sleep(1)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass


def one_at_a_time(app):
    """The app, with one request inside it at a time.

    Two Keystone requests that both write (every login updates the user's last_active_at) fail
    on SQLite even in WAL mode: a transaction that read before another one wrote cannot write,
    and SQLite says "database is locked" at once, without waiting. Each connection still gets a
    thread, so one that is idle before its request blocks no one; a request takes ~0.1 s.
    """
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            result = app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()

    return serialized


def serve(directory):
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True  # a client holding a connection open must not block the exit

    # Bind before the ~2 s import, so keystone.sh learns the port at once and bootstraps the
    # catalog with it while Keystone loads. Port 0: the kernel picks a free one, race-free.
    server = Server(("127.0.0.1", 0), WSGIRequestHandler)
    write_atomically(os.path.join(directory, "keystone.pid"), f"{os.getpid()}\n")
    write_atomically(os.path.join(directory, "port"), f"{server.server_address[1]}\n")

    watch = os.environ.get("KEYSTONE_WATCH_PID", "")
    if watch.isdigit():
        threading.Thread(target=watch_parent, args=(int(watch),), daemon=True).start()

    # Only our config file: a config dir inherited from the caller's environment would add to it.
    os.environ.pop("OS_KEYSTONE_CONFIG_DIR", None)
    os.environ["OS_KEYSTONE_CONFIG_FILES"] = os.path.join(directory, "keystone.conf")
    # Load Keystone's code now, but build the app only once the setup is done: building it loads
    # the token provider, which exits when the fernet key repository is still empty.
    import keystone.server.flask.application  # noqa: F401
    import keystone.server.wsgi  # noqa: F401

    done, deadline = os.path.join(directory, "setup.done"), time.monotonic() + 300
    while not os.path.exists(done):
        if time.monotonic() > deadline:
            sys.exit("keystone: no setup.done after 300 s: keystone.sh start died?")
        time.sleep(0.05)
    from keystone.wsgi.api import application

    server.set_app(one_at_a_time(application))
    server.serve_forever()


def read_password(path):
    mode = os.stat(path).st_mode
    if mode & 0o077:
        sys.exit(f"keystone: {path} is readable by others (mode {oct(mode & 0o777)}): chmod 600 it")
    with open(path) as f:
        password = f.read().rstrip("\r\n")  # a file written with echo ends in a newline
    if not password:
        sys.exit(f"keystone: {path} is empty")
    return password


def setup(directory, password_file, region, public_url, internal_url, admin_url, domain_name=None):
    import grp
    import pwd
    import sqlite3

    conf = os.path.join(directory, "keystone.conf")
    # Write-ahead logging before any table exists: on SQLite's default rollback journal keystone
    # 29 leaves a read transaction open and every later write fails with "database is locked".
    # The mode is stored in the database file, so the server's connections get it too.
    db = sqlite3.connect(os.path.join(directory, "keystone.db"))
    assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    db.close()

    password = read_password(password_file)
    # bootstrap takes OS_BOOTSTRAP_* from the environment over its flags: drop whatever the caller
    # had, so only what we pass counts. The password goes the same way, inside this process only.
    for key in [k for k in os.environ if k.startswith("OS_BOOTSTRAP_")]:
        del os.environ[key]

    from keystone.cmd import cli
    from keystone.conf import CONF

    owner = ["--keystone-user", pwd.getpwuid(os.getuid()).pw_name, "--keystone-group", grp.getgrgid(os.getgid()).gr_name]
    steps = [
        ["db_sync"],
        ["fernet_setup", *owner],
        ["credential_setup", *owner],
        ["bootstrap", "--bootstrap-region-id", region, "--bootstrap-public-url", public_url,
         "--bootstrap-internal-url", internal_url, "--bootstrap-admin-url", admin_url],
    ]
    log = ["--log-file", os.path.join(directory, "keystone-manage.log")]
    for step in steps:
        if step[0] == "bootstrap":
            os.environ["OS_BOOTSTRAP_PASSWORD"] = password
        # keystone-manage's main() parses the command line into the global CONF, which refuses a
        # second parse until it is cleared.
        CONF.clear()
        cli.main(["keystone-manage", "--config-file", conf, *log, *step])
    os.environ.pop("OS_BOOTSTRAP_PASSWORD", None)

    if domain_name:
        # Bootstrap names the default domain "Default". The charts' clients say "default", which
        # MariaDB matches case-insensitively and SQLite does not: rename it to what they say.
        from keystone.common import provider_api

        provider_api.ProviderAPIs.resource_api.update_domain(CONF.identity.default_domain_id, {"name": domain_name})


if __name__ == "__main__":
    if ARGS[:1] == ["serve"] and len(ARGS) == 2:
        serve(ARGS[1])
    elif ARGS[:1] == ["setup"] and len(ARGS) in (7, 8):
        setup(*ARGS[1:])
    else:
        sys.exit(__doc__)
