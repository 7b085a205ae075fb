"""Scratch directories: size accounting and removal that a hostile job cannot break.

Both walk without recursion and without long paths (a job can build a tree thousands of levels
deep by chdir-ing into it), count allocated blocks as well as sizes (``fallocate(KEEP_SIZE)``, sparse
files), repair permissions a job set on its own directories, and never raise on a leftover tree.
Stdlib only; used by the worker host (quota, cleanup) and the caller (stale dirs of dead pools).
"""

from __future__ import annotations

import os
import stat

MAX_DEPTH = 256            # deeper scratch trees are refused (OutputTooLarge), and still removed
MAX_ENTRIES = 100_000      # entries counted per quota check before the tree counts as too big

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class QuotaExceeded(Exception):
    pass


def _open_dir(name, dir_fd=None):
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:
        # a directory the job made without read/search rights: give them back to its owner (us)
        os.chmod(name, 0o700, dir_fd=dir_fd)
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)


def _list(fd):
    try:
        return list(os.scandir(fd))
    except PermissionError:
        os.fchmod(fd, 0o700)
        return list(os.scandir(fd))


def usage(path: str, quota: int) -> int:
    """Bytes used under ``path``: max(size, allocated blocks) of every file, directories included.
    Raises QuotaExceeded as soon as the total passes ``quota``, or when the tree is deeper than
    MAX_DEPTH or has more than MAX_ENTRIES entries (a job that builds such a tree gets no benefit of
    the doubt). Iterative; a directory it cannot read is made readable first (it is ours), and one
    that still cannot be read counts as over quota."""
    total = 0
    entries = 0
    try:
        top = _open_dir(path)
    except FileNotFoundError:
        return 0
    except OSError as e:
        raise QuotaExceeded(f"output_dir cannot be read ({e.strerror})")
    stack = [(top, 0)]
    try:
        while stack:
            fd, depth = stack.pop()
            try:
                try:
                    items = _list(fd)
                except OSError as e:
                    raise QuotaExceeded(f"a folder in output_dir cannot be read ({e.strerror})")
                for e in items:
                    entries += 1
                    if entries > MAX_ENTRIES:
                        raise QuotaExceeded(f"output_dir holds more than {MAX_ENTRIES} files")
                    try:
                        st = e.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    total += max(st.st_size, getattr(st, "st_blocks", 0) * 512)
                    if total > quota:
                        raise QuotaExceeded(f"output_dir holds more than {quota >> 20} MiB")
                    if stat.S_ISDIR(st.st_mode):
                        if depth + 1 > MAX_DEPTH:
                            raise QuotaExceeded(f"output_dir is nested deeper than {MAX_DEPTH} folders")
                        try:
                            stack.append((_open_dir(e.name, dir_fd=fd), depth + 1))
                        except FileNotFoundError:
                            continue
                        except OSError as ex:
                            raise QuotaExceeded(f"a folder in output_dir cannot be read ({ex.strerror})")
            finally:
                os.close(fd)
    finally:
        for fd, _ in stack:
            os.close(fd)
    return total


def remove_tree(path: str) -> bool:
    """Remove ``path`` and everything under it, whatever its depth or permissions, without
    recursion: descend through directory fds, ascend through "..". Never raises; True if gone.
    Only for trees nobody else writes to any more (the job is dead)."""
    try:
        return _remove_tree(path)
    except Exception:  # noqa: BLE001 - a leftover must never break the caller
        return not os.path.lexists(path)


def _remove_tree(path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return True
    if not stat.S_ISDIR(st.st_mode):
        os.unlink(path)
        return True
    cur = _open_dir(path)
    names = []          # the path from `path` down to `cur`, as names
    try:
        while True:
            sub = None
            for e in _list(cur):
                try:
                    is_dir = e.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
                if is_dir:
                    sub = e.name
                    break
                try:
                    os.unlink(e.name, dir_fd=cur)
                except FileNotFoundError:
                    pass
                except PermissionError:
                    os.fchmod(cur, 0o700)
                    os.unlink(e.name, dir_fd=cur)
            if sub is not None:
                try:
                    nfd = _open_dir(sub, dir_fd=cur)
                except FileNotFoundError:
                    continue
                os.close(cur)
                cur = nfd
                names.append(sub)
                continue
            if not names:
                break
            parent = os.open("..", _DIR_FLAGS & ~getattr(os, "O_NOFOLLOW", 0), dir_fd=cur)
            os.close(cur)
            cur = parent
            name = names.pop()
            try:
                os.rmdir(name, dir_fd=cur)
            except FileNotFoundError:
                pass
            except PermissionError:
                os.fchmod(cur, 0o700)
                os.rmdir(name, dir_fd=cur)
    finally:
        os.close(cur)
    os.rmdir(path)
    return True


def remove_stale(base: str):
    """Remove scratch dirs left by pools whose process died without close() (name carries the pid).
    Never raises: a leftover tree, however deep or odd, must not stop a new pool from starting."""
    try:
        _remove_stale(base)
    except Exception:  # noqa: BLE001
        pass


def _remove_stale(base):
    import re
    try:
        names = os.listdir(base)
    except OSError:
        return
    for n in names:
        m = re.fullmatch(r"coco-sandbox-(\d+)-\w+", n)
        if not m or int(m.group(1)) == os.getpid():
            continue
        path = os.path.join(base, n)
        try:
            os.kill(int(m.group(1)), 0)
            continue                    # that process is alive
        except ProcessLookupError:
            pass
        except (PermissionError, OSError):
            continue
        try:
            st = os.lstat(path)
            if hasattr(os, "getuid") and st.st_uid != os.getuid():
                continue
        except OSError:
            continue
        remove_tree(path)
