"""Socket syscalls that socket pairs need: socketpair, shutdown, sendto/recvfrom without
addresses (socket, bind, connect... are not implemented yet and stay ENOSYS). Table entries:
`syscall_<name>`."""

from typing import Final

from asterpy.lang import SysError, i32, u32, u64
from asterpy.lang.errno import EAFNOSUPPORT, EBADF, EINVAL, EISCONN, ENOTSOCK, EOPNOTSUPP, ESOCKTNOSUPPORT
from asterpy.fs.inode import Inode
from asterpy.fs.mode import O_CLOEXEC, O_NONBLOCK, O_RDWR
from asterpy.fs.pipe import new_uncharged_pipe
from asterpy.fs.socketpair import SHUT_RDWR, S_IFSOCK, StreamEnd
from asterpy.task.process import Process
from asterpy.task.sched import current_task

AF_UNIX: Final = u64(1)
SOCK_STREAM: Final = u64(1)
SOCK_DGRAM: Final = u64(2)
SOCK_SEQPACKET: Final = u64(5)
SOCK_TYPE_MASK: Final = u64(0xF)
SOCK_NONBLOCK: Final = O_NONBLOCK
SOCK_CLOEXEC: Final = O_CLOEXEC
MSG_DONTWAIT: Final = u64(0x40)
MSG_NOSIGNAL: Final = u64(0x4000)
MSG_WAITALL: Final = u64(0x100)
SEND_FLAGS: Final = MSG_DONTWAIT | MSG_NOSIGNAL | u64(0x8000)    # MSG_MORE is accepted
RECV_FLAGS: Final = MSG_DONTWAIT | MSG_WAITALL | u64(0x40000000)  # MSG_CMSG_CLOEXEC accepted


def me() -> Process:
    """The running process."""
    return current_task().proc


def end_of(p: Process, fd: u64) -> StreamEnd:
    """The socket of descriptor fd (EBADF; ENOTSOCK for other files)."""
    if i32(u32(fd & 0xFFFFFFFF)) < 0:
        raise SysError(EBADF)
    f = p.files.get(fd & 0xFFFFFFFF)
    if isinstance(f, StreamEnd):
        return f
    raise SysError(ENOTSOCK)


def sys_socketpair(domain: u64, kind: u64, protocol: u64, sv: u64) -> u64:
    """socketpair(2): AF_UNIX stream pairs; EAFNOSUPPORT, EOPNOTSUPP/ESOCKTNOSUPPORT, EINVAL, EFAULT."""
    p = me()
    base = kind & SOCK_TYPE_MASK
    extra = kind & ~SOCK_TYPE_MASK
    if (extra & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0:
        raise SysError(EINVAL)
    if domain != AF_UNIX:
        if domain == u64(2) or domain == u64(10):
            raise SysError(EOPNOTSUPP)     # AF_INET/AF_INET6 have no pairs
        raise SysError(EAFNOSUPPORT)
    if protocol != 0:
        raise SysError(u64(93))            # EPROTONOSUPPORT
    if base != SOCK_STREAM:
        # Datagram and seqpacket pairs are not implemented yet.
        raise SysError(ESOCKTNOSUPPORT)
    p.check_user(sv, u64(8), True)
    a_to_b = new_uncharged_pipe()
    b_to_a = new_uncharged_pipe()
    flags = O_RDWR | (kind & SOCK_NONBLOCK)
    a = StreamEnd(Inode(u32(S_IFSOCK | u64(0o777))), flags, b_to_a, a_to_b)
    b = StreamEnd(Inode(u32(S_IFSOCK | u64(0o777))), flags, a_to_b, b_to_a)
    cloexec = (kind & SOCK_CLOEXEC) != 0
    fa = p.files.alloc(a, u64(0), cloexec)
    try:
        fb = p.files.alloc(b, u64(0), cloexec)
    except SysError as e:
        p.files.close(fa)
        raise SysError(e.errno)
    p.put_u32(sv, u32(fa))
    p.put_u32(sv + 4, u32(fb))
    return u64(0)


def sys_shutdown(fd: u64, how: u64) -> u64:
    """shutdown(2): SHUT_RD, SHUT_WR or SHUT_RDWR (EINVAL otherwise)."""
    s = end_of(me(), fd)
    if how > SHUT_RDWR:
        raise SysError(EINVAL)
    s.shutdown(how)
    return u64(0)


def sys_sendto(fd: u64, buf: u64, n: u64, flags: u64, addr: u64, addrlen: u64) -> u64:
    """sendto(2) on a connected pair: no address allowed (EISCONN)."""
    p = me()
    s = end_of(p, fd)
    if (flags & ~SEND_FLAGS) != 0:
        raise SysError(EOPNOTSUPP)
    if addr != 0:
        raise SysError(EISCONN)
    nonblock = s.nonblocking() or (flags & MSG_DONTWAIT) != 0
    return s.send(p, buf, n, nonblock, (flags & MSG_NOSIGNAL) != 0)


def sys_recvfrom(fd: u64, buf: u64, n: u64, flags: u64, addr: u64, addrlen: u64) -> u64:
    """recvfrom(2) on a pair: the peer has no address (addrlen set to 0 when asked)."""
    p = me()
    s = end_of(p, fd)
    if (flags & ~RECV_FLAGS) != 0:
        raise SysError(EOPNOTSUPP)
    nonblock = s.nonblocking() or (flags & MSG_DONTWAIT) != 0
    got = s.recv(p, buf, n, nonblock)
    if (flags & MSG_WAITALL) != 0 and not nonblock:
        while got < n:
            more = s.recv(p, buf + got, n - got, False)
            if more == 0:
                break
            got += more
    if addr != 0 and addrlen != 0:
        p.put_u32(addrlen, u32(0))
    return got


def syscall_socketpair(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of socketpair(2)."""
    return sys_socketpair(a0, a1, a2, a3)


def syscall_shutdown(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of shutdown(2)."""
    return sys_shutdown(a0, a1)


def syscall_sendto(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of sendto(2)."""
    return sys_sendto(a0, a1, a2, a3, a4, a5)


def syscall_recvfrom(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64:
    """The table entry of recvfrom(2)."""
    return sys_recvfrom(a0, a1, a2, a3, a4, a5)
