"""Running untrusted code (generated tests, translated programs, HumanEval checks) in a sandbox.

Isolation comes from bubblewrap (``bwrap``, the sandbox Flatpak uses; Debian package ``bubblewrap``):

- an empty root file system with only the system's programs and libraries (``/usr``, compilers included) and
  the running Python installation and virtual environment, all read-only; a fresh empty ``/tmp`` holding
  the only writable place, a temporary working directory (also ``HOME`` and ``TMPDIR``). Home directories,
  ``/etc`` (but for the dynamic linker's cache and Debian's alternatives), ``/run`` with its sockets, other
  runs' directories and the data dir (Chroma, memory, the vault and its key, logs) are simply not there;
- user ``nobody`` (65534) in a new user namespace with every capability dropped and no further user
  namespaces, so nothing can be unmounted or remounted even when the app runs as root;
- new network, PID, IPC, UTS and cgroup namespaces: the only network interface is the sandbox's own
  loopback, so a connection to another host fails ("Network is unreachable") and one to the host's
  services is refused; the process sees only its own processes;
- a clean environment (no ``ASSISTANT_*`` settings, no proxies);
- POSIX resource limits set on the process before it starts and inherited by everything it runs:
  address space (``RLIMIT_AS``, memory, per process), written file size (``RLIMIT_FSIZE``), CPU seconds
  (``RLIMIT_CPU``); when the cgroup v1 ``pids`` controller is writable (running as root), a pids cgroup
  caps the number of processes (``max_processes``) against fork bombs;
- a wall-clock limit: the process group is killed when it runs out (``--die-with-parent`` takes the
  sandbox down with it).

When ``bwrap`` is missing or cannot create namespaces, nothing is run: :func:`run_sandboxed` returns a
``not_run`` result whose ``reason`` says why and what to install. Code is never run unsandboxed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipelines.core.settings import SandboxSettings

__all__ = [
    "PIDS_CGROUP_ROOT",
    "SandboxRun",
    "SandboxStatus",
    "pids_limit_available",
    "run_sandboxed",
    "sandbox_status",
]

#: The cgroup v1 pids hierarchy where each run gets its own group (when writable).
PIDS_CGROUP_ROOT = Path("/sys/fs/cgroup/pids")
#: The cgroup v1 memory hierarchy where each run gets its own group (when writable).
MEMORY_CGROUP_ROOT = Path("/sys/fs/cgroup/memory")

RunStatus = Literal["ok", "error", "timeout", "memory", "killed", "not_run"]


@dataclass(frozen=True)
class SandboxStatus:
    """Whether sandboxed execution is possible here: ``available``, and ``reason`` (what to do when not)."""

    available: bool
    reason: str


@dataclass(frozen=True)
class SandboxRun:
    """The outcome of one sandboxed command.

    Attributes:
        status: ``ok`` (exit code 0), ``error`` (non-zero exit), ``timeout`` (wall-clock limit hit, killed),
            ``memory`` (ran out of its address-space limit), ``killed`` (ended by another signal, e.g. the CPU
            or file-size limit), ``not_run`` (no sandbox available, see ``reason``).
        exit_code: The process's exit code; negative for a signal (``-9`` = SIGKILL); None when not run.
        stdout: Standard output, cut to ``output_chars``.
        stderr: Standard error, cut to ``output_chars``.
        duration_ms: Wall-clock time, milliseconds.
        reason: Why it was not run or was stopped (empty for ``ok``/``error``).
        files: Contents of the requested output files that the run left in its working directory.
    """

    status: RunStatus
    exit_code: int | None
    stdout: str = ""
    stderr: str = ""
    duration_ms: float = 0.0
    reason: str = ""
    files: dict[str, str] = field(default_factory=dict)

    @property
    def ran(self) -> bool:
        """True when the command was started (whatever its outcome)."""
        return self.status != "not_run"


@functools.cache
def sandbox_status() -> SandboxStatus:
    """Probe once whether ``bwrap`` exists and can create the namespaces the sandbox needs.

    Returns:
        :class:`SandboxStatus`; ``reason`` names the missing piece and the package to install.
    """
    for tool in ("prlimit", "setpriv"):
        if shutil.which(tool) is None:
            return SandboxStatus(False, f"util-linux {tool} is not installed, so code is not run")
    binary = shutil.which("bwrap")
    if binary is None:
        return SandboxStatus(
            False,
            "bubblewrap (bwrap) is not installed, so code is not run; install Debian's `bubblewrap` "
            "package (`make setup` does it when run as root)",
        )
    probe = [binary, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SandboxStatus(False, f"bubblewrap cannot start ({type(exc).__name__}), so code is not run")
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        return SandboxStatus(
            False,
            f"bubblewrap cannot create namespaces here ({detail}), so code is not run; allow unprivileged "
            "user namespaces (sysctl kernel.unprivileged_userns_clone=1) or run as root",
        )
    return SandboxStatus(True, "bubblewrap")


def _limits_argv(settings: SandboxSettings) -> list[str]:
    """util-linux ``prlimit`` in front of ``bwrap``: the resource limits, inherited by everything it runs.

    (``prlimit`` rather than ``preexec_fn``, which is unsafe in a threaded program such as the Streamlit app.)
    """
    memory = settings.memory_mb * 1024 * 1024
    size = settings.file_mb * 1024 * 1024
    cpu = max(1, int(settings.timeout_s) + 1)
    return [
        shutil.which("prlimit") or "prlimit",
        f"--as={memory}",
        f"--fsize={size}",
        f"--cpu={cpu}",
        "--core=0",
        "--",
    ]


#: Host paths visible (read-only) in the sandbox besides the Python installation: the system's programs and
#: libraries (compilers included) and the two files the dynamic linker and Debian's alternatives need.
_SYSTEM_PATHS = ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc/alternatives", "/etc/ld.so.cache")


def _visible_paths() -> list[Path]:
    """The host paths the sandbox mounts read-only: system programs and libraries, and the Python installation
    and virtual environment running this process (for ``sys.executable``, pytest and coverage.py)."""
    paths = [Path(p) for p in _SYSTEM_PATHS]
    paths += [Path(sys.base_prefix), Path(sys.base_exec_prefix), Path(sys.prefix), Path(sys.exec_prefix)]
    visible: list[Path] = []
    for path in paths:
        if (path.exists() or path.is_symlink()) and path not in visible:
            visible.append(path)
    return visible


#: The sandbox user (``nobody``).
SANDBOX_UID = 65534


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _identity_argv() -> list[str]:
    """How the sandbox drops privilege.

    As root, bubblewrap runs privileged (no user namespace) and the command starts through util-linux
    ``setpriv`` as the *host* user ``nobody`` with no capabilities (not even in its bounding set) and
    no-new-privileges: a user namespace would map the sandbox user to host root, whose files and kernel
    settings (``/proc/sys``) ordinary permission checks would then let it change. As another user, bubblewrap
    maps ``nobody`` in a new user namespace to that user, drops every capability and forbids nested user
    namespaces.
    """
    if _running_as_root():
        return [
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP",
        ]  # fmt: skip
    return [
        "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
        "--cap-drop", "ALL", "--disable-userns",
    ]  # fmt: skip


def _command_prefix() -> list[str]:
    """What runs inside bubblewrap before the command: ``setpriv`` to ``nobody`` when running as root."""
    if not _running_as_root():
        return []
    uid = str(SANDBOX_UID)
    return [
        shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
        "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
    ]  # fmt: skip


def _bwrap_argv(workdir: Path, hidden: Sequence[Path]) -> list[str]:
    """The bubblewrap command line: an empty root with only the visible paths (read-only), a fresh read-only
    ``/tmp`` holding the working directory, read-only ``/proc/sys``, new namespaces (mount, PID, network, IPC,
    UTS, cgroup) and the identity of :func:`_identity_argv`."""
    argv = [
        shutil.which("bwrap") or "bwrap",
        *_identity_argv(),
        "--die-with-parent",
        "--new-session",
        "--proc", "/proc",
        "--ro-bind", "/proc/sys", "/proc/sys",
        *(["--ro-bind", "/proc/sysrq-trigger", "/proc/sysrq-trigger"] if Path("/proc/sysrq-trigger").exists() else []),
        "--dev", "/dev",
        "--tmpfs", "/tmp",
    ]  # fmt: skip
    made: set[Path] = {Path("/"), Path("/tmp")}
    for path in _visible_paths():
        for parent in reversed(path.parents):  # directories on the way, searchable by the sandbox user
            if parent not in made:
                argv += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        if path.is_symlink() and str(path) in _SYSTEM_PATHS:  # merged /usr: /bin -> usr/bin
            argv += ["--symlink", os.readlink(path), str(path)]
        else:
            argv += ["--ro-bind", str(path), str(path)]
        made.add(path)
    for parent in reversed(workdir.parents):
        if parent not in made:
            argv += ["--perms", "0755", "--dir", str(parent)]
            made.add(parent)
    argv += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir)]
    visible = [p.resolve() for p in _visible_paths()]
    for path in hidden:  # only matters when a hidden path lies inside a visible one
        resolved = Path(path).expanduser().resolve()
        if not any(resolved.is_relative_to(root) for root in visible):
            continue
        if resolved.is_dir():
            argv += ["--tmpfs", str(resolved)]
        elif resolved.is_file():
            argv += ["--ro-bind", "/dev/null", str(resolved)]
    # the sandbox's own root, /tmp and /dev (in memory) become read-only too
    argv += ["--remount-ro", "/", "--remount-ro", "/tmp", "--remount-ro", "/dev"]
    return argv


def pids_limit_available() -> bool:
    """Whether runs can be put in their own pids cgroup (cgroup v1 ``pids`` controller, writable)."""
    return (PIDS_CGROUP_ROOT / "cgroup.procs").is_file() and os.access(PIDS_CGROUP_ROOT, os.W_OK)


def memory_limit_available() -> bool:
    """Whether runs can be put in their own memory cgroup (cgroup v1 ``memory`` controller, writable)."""
    return (MEMORY_CGROUP_ROOT / "cgroup.procs").is_file() and os.access(MEMORY_CGROUP_ROOT, os.W_OK)


@contextlib.contextmanager
def _cgroups(settings: SandboxSettings) -> Iterator[list[Path]]:
    """Fresh cgroups for one run: pids (``max_processes``) and memory (``total_memory_mb``, all processes
    together, in-memory files included), where writable; yields their ``cgroup.procs`` paths. Whatever is left
    in them is killed and the groups removed on exit."""
    name = f"assistant-sandbox-{os.getpid()}-{time.monotonic_ns()}"
    wanted = []
    if pids_limit_available():
        wanted.append((PIDS_CGROUP_ROOT / name, {"pids.max": str(settings.max_processes)}))
    if memory_limit_available():
        limit = str(settings.total_memory_mb * 1024 * 1024)
        wanted.append((MEMORY_CGROUP_ROOT / name, {"memory.limit_in_bytes": limit}))
    groups = []
    for group, limits in wanted:
        try:
            group.mkdir()
            groups.append(group)
            for key, value in limits.items():
                (group / key).write_text(value)
        except OSError:
            continue
    try:
        yield [group / "cgroup.procs" for group in groups]
    finally:
        for group in groups:
            _remove_cgroup(group)


def _remove_cgroup(group: Path) -> None:
    for _ in range(50):
        try:
            pids = [int(line) for line in (group / "cgroup.procs").read_text().split()]
        except OSError:
            pids = []
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.02)


def _read(path: Path, limit: int) -> str:
    with path.open("rb") as handle:
        data = handle.read(limit * 4 + 4)
    text = data.decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + f"\n… (cut at {limit} characters)"


def _classify(
    exit_code: int, stderr: str, timed_out: bool, settings: SandboxSettings, limit: float
) -> tuple[RunStatus, str]:
    if timed_out:
        return "timeout", f"stopped after the {limit:g} s time limit"
    if exit_code == 0:
        return "ok", ""
    if "MemoryError" in stderr or "std::bad_alloc" in stderr or "Cannot allocate memory" in stderr:
        return "memory", f"ran out of its {settings.memory_mb} MiB memory limit"
    if exit_code < 0 or exit_code > 128:
        number = -exit_code if exit_code < 0 else exit_code - 128
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        reasons = {
            "SIGXCPU": "its CPU time limit",
            "SIGXFSZ": f"its {settings.file_mb} MiB file-size limit",
            "SIGSEGV": "a segmentation fault (or its memory limit)",
        }
        return "killed", f"ended by {name}" + (f" ({reasons[name]})" if name in reasons else "")
    return "error", ""


def run_sandboxed(
    argv: Sequence[str],
    files: Mapping[str, str],
    settings: SandboxSettings,
    *,
    stdin: str = "",
    hidden: Sequence[Path] = (),
    collect: Sequence[str] = (),
    timeout_s: float | None = None,
) -> SandboxRun:
    """Run ``argv`` in the sandbox with ``files`` written into its working directory.

    Args:
        argv: The command, run in the sandbox's working directory, e.g. ``[sys.executable, "-I", "main.py"]``.
        files: Relative file name → text, written into the working directory before the run.
        settings: Time, memory, file-size and output limits.
        stdin: Text fed to standard input.
        hidden: Directories (or files) made unreadable inside the sandbox, e.g. the data dir.
        collect: Relative names of files to read back after the run (missing ones are left out).
        timeout_s: Wall-clock limit for this run, seconds (default ``settings.timeout_s``).

    Returns:
        A :class:`SandboxRun`; ``status == "not_run"`` (with the reason) when no sandbox is available.

    Raises:
        ValueError: A file name that is absolute or leaves the working directory.
    """
    status = sandbox_status()
    if not status.available:
        return SandboxRun("not_run", None, reason=status.reason)
    limit = timeout_s if timeout_s is not None else settings.timeout_s
    root = Path(tempfile.mkdtemp(prefix="assistant-sandbox-"))
    try:
        return _run_in(root, argv, files, settings, stdin, hidden, collect, limit)
    finally:  # `rm -rf`, not shutil.rmtree: a deep tree left by the code must not crash the caller
        subprocess.run(["rm", "-rf", "--", str(root)], check=False, capture_output=True)  # noqa: S607


def _run_in(
    root: Path,
    argv: Sequence[str],
    files: Mapping[str, str],
    settings: SandboxSettings,
    stdin: str,
    hidden: Sequence[Path],
    collect: Sequence[str],
    limit: float,
) -> SandboxRun:
    workdir = root / "work"
    workdir.mkdir()
    for name, text in files.items():
        target = (workdir / name).resolve()
        if Path(name).is_absolute() or not target.is_relative_to(workdir.resolve()):
            raise ValueError(f"sandbox file name {name!r} must be relative and stay in the working directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    if _running_as_root():  # the sandbox user owns its working directory (and nothing else)
        for path in (workdir, *workdir.rglob("*")):
            os.chown(path, SANDBOX_UID, SANDBOX_UID)
    out_path, err_path = root / "stdout", root / "stderr"
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    started = time.perf_counter()
    timed_out = False
    command = [*_limits_argv(settings), *_bwrap_argv(workdir, hidden), *_command_prefix(), *argv]
    with _cgroups(settings) as groups, out_path.open("wb") as out, err_path.open("wb") as err:
        if groups:  # the shell joins the groups, then becomes prlimit → bwrap → the command
            joins = " && ".join(f'echo $$ > "${index + 1}"' for index in range(len(groups)))
            script = f'{joins} && shift {len(groups)} && exec "$@"'
            command = ["/bin/sh", "-c", script, "sh", *map(str, groups), *command]
        process = subprocess.Popen(  # noqa: S603 - the sandbox itself
            command,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            env=env,
            start_new_session=True,
        )
        try:
            process.communicate(stdin.encode("utf-8"), timeout=limit)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(process)
        except BaseException:
            _kill(process)
            raise
    duration = round((time.perf_counter() - started) * 1000.0, 1)
    stdout = _read(out_path, settings.output_chars)
    stderr = _read(err_path, settings.output_chars)
    collected = {}
    for name in collect:
        path = workdir / name  # a symlink planted by the code is not followed out of the sandbox
        if not path.is_symlink() and path.is_file() and path.resolve().is_relative_to(workdir.resolve()):
            with path.open("rb") as handle:
                collected[name] = handle.read(settings.file_mb * 1024 * 1024).decode(
                    "utf-8", errors="replace"
                )
    exit_code = process.returncode
    run_status, reason = _classify(exit_code, stderr, timed_out, settings, limit)
    return SandboxRun(run_status, exit_code, stdout, stderr, duration, reason, collected)


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
