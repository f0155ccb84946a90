"""The data syscalls: read, write, their vector and positioned forms, lseek, sendfile, getdents64."""

from typing import Final

from asterpy.drivers.block import flush_all_block_devices
from asterpy.lang import SysError, i64, u64
from asterpy.lang.errno import EBADF, EFAULT, EINVAL, ENODEV, ENOMEM, EOPNOTSUPP, ESPIPE
from asterpy.fs.file import File, RegFile
from asterpy.fs.mount import mount_table
from asterpy.fs.mode import O_APPEND
from asterpy.fs.pipe import PipeReadFile, PipeWriteFile
from asterpy.mm.heap import kfree, kmalloc
from asterpy.syscall.fs_common import MAX_RW_COUNT, get_file, proc
from asterpy.task.process import USER_TOP, Process

IOV_MAX: Final = u64(1024)
HALF: Final = u64(1) << 63
SENDFILE_CHUNK: Final = u64(65536)
SEEK_MAX_WHENCE: Final = u64(4)


def readable(p: Process, fd: u64) -> File:
    """fd's File, EBADF unless it is open for reading."""
    f = get_file(p, fd)
    if not f.can_read():
        raise SysError(EBADF)
    return f


def writable(p: Process, fd: u64) -> File:
    """fd's File, EBADF unless it is open for writing."""
    f = get_file(p, fd)
    if not f.can_write():
        raise SysError(EBADF)
    return f


def clamp(n: u64) -> u64:
    """n limited to MAX_RW_COUNT."""
    if n > MAX_RW_COUNT:
        return MAX_RW_COUNT
    return n


def access_ok(buf: u64, n: u64) -> None:
    """EFAULT unless [buf, buf + n) lies in user space (checked on the whole count, before it
    is clamped, as Linux does)."""
    if n != 0 and (buf + n < buf or buf + n > USER_TOP):
        raise SysError(EFAULT)


def sys_read(fd: u64, buf: u64, n: u64) -> u64:
    """read(2)."""
    p = proc()
    f = readable(p, fd)
    access_ok(buf, n)
    return f.read(p, buf, clamp(n))


def sys_write(fd: u64, buf: u64, n: u64) -> u64:
    """write(2)."""
    p = proc()
    f = writable(p, fd)
    access_ok(buf, n)
    return f.write(p, buf, clamp(n))


def check_offset(off: u64) -> None:
    """EINVAL for a negative file offset argument."""
    if i64(off) < 0:
        raise SysError(EINVAL)


def sys_pread(fd: u64, buf: u64, n: u64, off: u64) -> u64:
    """pread64(2): EINVAL for a negative offset, ESPIPE for pipes and terminals."""
    p = proc()
    f = readable(p, fd)
    check_offset(off)
    access_ok(buf, n)
    return f.pread(p, buf, clamp(n), off)


def sys_pwrite(fd: u64, buf: u64, n: u64, off: u64) -> u64:
    """pwrite64(2)."""
    p = proc()
    f = writable(p, fd)
    check_offset(off)
    access_ok(buf, n)
    return f.pwrite(p, buf, clamp(n), off)


def iov_total(p: Process, iov: u64, cnt: u64) -> u64:
    """The byte total of an iovec array (EINVAL for too many vectors or a total of 2^63 or more;
    EFAULT for an unreadable array or buffer)."""
    if cnt > IOV_MAX:
        raise SysError(EINVAL)
    total = u64(0)
    for i in range(u64(0), cnt):
        ln = p.get_u64(iov + 16 * i + 8)
        if ln >= HALF:
            raise SysError(EINVAL)
        total += ln
        if total >= HALF:
            raise SysError(EINVAL)
    return total


def check_iov_buffers(p: Process, iov: u64, cnt: u64, dest: bool) -> None:
    """EFAULT unless every iovec buffer lies in user space; a source (dest False: writev) must
    also be mapped and readable. A destination is checked as it is filled, like read's buffer."""
    for i in range(u64(0), cnt):
        base = p.get_u64(iov + 16 * i)
        ln = p.get_u64(iov + 16 * i + 8)
        access_ok(base, ln)
        if not dest:
            p.check_user(base, ln, False)


def rw_vec(p: Process, f: File, iov: u64, cnt: u64, off: u64, positioned: bool, is_write: bool) -> u64:
    """Move data for readv/writev/preadv/pwritev segment by segment; stops at a short transfer.
    An error after some bytes moved gives the byte count instead."""
    iov_total(p, iov, cnt)
    check_iov_buffers(p, iov, cnt, not is_write)
    done = u64(0)
    for i in range(u64(0), cnt):
        base = p.get_u64(iov + 16 * i)
        ln = clamp(p.get_u64(iov + 16 * i + 8))
        if ln == 0:
            continue
        got = u64(0)
        try:
            if is_write:
                if positioned:
                    got = f.pwrite(p, base, ln, off + done)
                else:
                    got = f.write(p, base, ln)
            else:
                if positioned:
                    got = f.pread(p, base, ln, off + done)
                else:
                    got = f.read(p, base, ln)
        except SysError as e:
            if done != 0:
                return done
            raise SysError(e.errno)
        done += got
        if got < ln:
            break
    return done


def sys_readv(fd: u64, iov: u64, cnt: u64) -> u64:
    """readv(2)."""
    p = proc()
    return rw_vec(p, readable(p, fd), iov, cnt, u64(0), False, False)


def sys_writev(fd: u64, iov: u64, cnt: u64) -> u64:
    """writev(2)."""
    p = proc()
    return rw_vec(p, writable(p, fd), iov, cnt, u64(0), False, True)


def sys_preadv(fd: u64, iov: u64, cnt: u64, off: u64) -> u64:
    """preadv(2) (preadv2 with offset -1 means the file offset)."""
    p = proc()
    f = readable(p, fd)
    if off == u64(0xFFFFFFFFFFFFFFFF):
        return rw_vec(p, f, iov, cnt, u64(0), False, False)
    check_offset(off)
    return rw_vec(p, f, iov, cnt, off, True, False)


def sys_pwritev(fd: u64, iov: u64, cnt: u64, off: u64) -> u64:
    """pwritev(2) (pwritev2 with offset -1 means the file offset)."""
    p = proc()
    f = writable(p, fd)
    if off == u64(0xFFFFFFFFFFFFFFFF):
        return rw_vec(p, f, iov, cnt, u64(0), False, True)
    check_offset(off)
    return rw_vec(p, f, iov, cnt, off, True, True)


def sys_lseek(fd: u64, off: u64, whence: u64) -> u64:
    """lseek(2): EINVAL for an unknown whence or a negative result, ESPIPE for pipes."""
    p = proc()
    f = get_file(p, fd)
    if whence > SEEK_MAX_WHENCE:
        raise SysError(EINVAL)
    return f.lseek(off, whence)


def sys_getdents64(fd: u64, buf: u64, n: u64) -> u64:
    """getdents64(2): ENOTDIR, EINVAL when the buffer holds no record, EFAULT."""
    p = proc()
    f = get_file(p, fd)
    return f.getdents(p, buf, n)


def as_regfile(f: File) -> RegFile:
    """f as a regular file (EINVAL otherwise: sendfile reads only those)."""
    if isinstance(f, RegFile):
        return f
    raise SysError(EINVAL)


def sys_sendfile(out_fd: u64, in_fd: u64, offp: u64, count: u64) -> u64:
    """sendfile(2) from a regular file to a regular file, pipe or memory device; EINVAL for other
    outputs (terminals: programs then fall back to read and write)."""
    p = proc()
    fin = as_regfile(readable(p, in_fd))
    fout = writable(p, out_fd)
    if (fout.flags & O_APPEND) != 0:
        raise SysError(EINVAL)
    pos = fin.pos
    if offp != 0:
        pos = p.get_u64(offp)
        check_offset(pos)
    count = clamp(count)
    buf = kmalloc(SENDFILE_CHUNK)
    if buf == 0:
        raise SysError(ENOMEM)
    done = u64(0)
    try:
        while done < count:
            want = count - done
            if want > SENDFILE_CHUNK:
                want = SENDFILE_CHUNK
            got = fin.reg.read_at(buf, pos + done, want)
            if got == 0:
                break
            put = u64(0)
            try:
                put = fout.write_kernel(buf, got)
            except SysError as e:
                if done == 0:
                    raise SysError(e.errno)
                break
            done += put
            if put < got:
                break
    finally:
        kfree(buf)
    if offp != 0:
        p.put_u64(offp, pos + done)
    else:
        fin.pos = pos + done
    return done


def sys_fsync(fd: u64) -> u64:
    """fsync(2)/fdatasync(2): EBADF; a disk file system writes back (memory ones have nothing to flush)."""
    p = proc()
    get_file(p, fd).sync()
    return u64(0)


def sys_syncfs(fd: u64) -> u64:
    """syncfs(2): write back the file system fd's file is on (EBADF)."""
    p = proc()
    get_file(p, fd).inode.sb.sync_fs()
    return u64(0)


def sys_sync() -> u64:
    """sync(2): write back every mounted file system, then flush every disk's write cache (what
    was written to /dev/vdX directly); errors are not reported, as on Linux."""
    t = mount_table()
    for m in t.mounts:
        try:
            m.sb().sync_fs()
        except SysError:
            pass
    flush_all_block_devices()
    return u64(0)



POSIX_FADV_MAX: Final = u64(5)
FALLOC_FL_KEEP_SIZE: Final = u64(1)


def sys_fadvise64(fd: u64, off: u64, length: u64, advice: u64) -> u64:
    """fadvise64(2): advice is accepted and ignored; EBADF, ESPIPE for pipes, EINVAL for bad advice."""
    p = proc()
    f = get_file(p, fd)
    if isinstance(f, PipeReadFile) or isinstance(f, PipeWriteFile):
        raise SysError(ESPIPE)
    if advice > POSIX_FADV_MAX or i64(length) < 0:
        raise SysError(EINVAL)
    return u64(0)


def sys_fallocate(fd: u64, mode: u64, off: u64, length: u64) -> u64:
    """fallocate(2) on a regular file: mode 0 grows the file to off + length, KEEP_SIZE does
    nothing (pages are allocated on write); EOPNOTSUPP for other modes, EBADF, ESPIPE, ENODEV."""
    p = proc()
    f = writable(p, fd)
    if i64(off) < 0 or i64(length) <= 0:
        raise SysError(EINVAL)
    if isinstance(f, PipeReadFile) or isinstance(f, PipeWriteFile):
        raise SysError(ESPIPE)
    rf = as_regfile_or(f, ENODEV)
    if mode != 0 and mode != FALLOC_FL_KEEP_SIZE:
        raise SysError(EOPNOTSUPP)
    if mode == 0 and off + length > rf.reg.size:
        rf.reg.set_size(off + length)
        rf.reg.touch_mtime()
    return u64(0)


def as_regfile_or(f: File, err: int) -> RegFile:
    """f as a regular file, or SysError(err)."""
    if isinstance(f, RegFile):
        return f
    raise SysError(err)


def sys_copy_file_range(fd_in: u64, off_in: u64, fd_out: u64, off_out: u64, n: u64, flags: u64) -> u64:
    """copy_file_range(2) between regular files: EINVAL for flags, non-regular files or an
    overlapping range in one file, EBADF for the access modes or an O_APPEND output."""
    if flags != 0:
        raise SysError(EINVAL)
    p = proc()
    fin = readable(p, fd_in)
    fout = writable(p, fd_out)
    if (fout.flags & O_APPEND) != 0:
        raise SysError(EBADF)
    src = as_regfile(fin)
    dst = as_regfile(fout)
    pin = src.pos
    pout = dst.pos
    if off_in != 0:
        pin = p.get_u64(off_in)
        check_offset(pin)
    if off_out != 0:
        pout = p.get_u64(off_out)
        check_offset(pout)
    n = clamp(n)
    if src.reg is dst.reg and pin < pout + n and pout < pin + n:
        raise SysError(EINVAL)
    buf = kmalloc(SENDFILE_CHUNK)
    if buf == 0:
        raise SysError(ENOMEM)
    done = u64(0)
    try:
        while done < n:
            want = n - done
            if want > SENDFILE_CHUNK:
                want = SENDFILE_CHUNK
            got = src.reg.read_at(buf, pin + done, want)
            if got == 0:
                break
            dst.reg.write_at(buf, pout + done, got)
            done += got
    finally:
        kfree(buf)
    if done != 0:
        dst.reg.touch_mtime()
    if off_in != 0:
        p.put_u64(off_in, pin + done)
    else:
        src.pos = pin + done
    if off_out != 0:
        p.put_u64(off_out, pout + done)
    else:
        dst.pos = pout + done
    return done
