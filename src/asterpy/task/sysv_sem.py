"""System V semaphore sets: semget(2), semop(2)/semtimedop(2), semctl(2).

A set is an array of counters (0..SEMVMX) named by an id, found by a key (IPC_PRIVATE: always a
new set), owned by a uid/gid with rwx-style permission bits (read: look; "write": alter). A semop
applies all its operations at once or none: when one cannot proceed (a decrement below 0, or a
wait-for-zero on a non-zero counter) nothing is changed and the caller sleeps on the set's channel
(counted by GETNCNT / GETZCNT) until the set changes, then tries again; IPC_NOWAIT says EAGAIN
instead, a timeout EAGAIN after it, a signal EINTR, the set's removal EIDRM. SEM_UNDO operations
are remembered per process (pid) and set back when it exits.

Ids are the set's slot plus a use count times SEQ_MULTIPLIER (as on Linux), so the id of a removed
set does not name the next set in its slot at once.
"""

from typing import Final

from asterpy.lang import List, SysError, i64, u64
from asterpy.lang.errno import EACCES, EAGAIN, EEXIST, EFBIG, EIDRM, EINTR, EINVAL, ENOENT, ENOSPC, EPERM, ERANGE
from asterpy.kernel.wait import INTERRUPTED, TIMED_OUT, new_wait_channel, sleep_until, wake_up
from asterpy.task.process import Process

IPC_PRIVATE: Final = u64(0)
IPC_CREAT: Final = u64(0o1000)
IPC_EXCL: Final = u64(0o2000)
IPC_NOWAIT: Final = u64(0o4000)
SEM_UNDO: Final = u64(0x1000)
# Linux's default limits (/proc/sys/kernel/sem: SEMMSL SEMMNS SEMOPM SEMMNI).
SEMMSL: Final = u64(32000)
SEMMNS: Final = u64(1024000000)
SEMOPM: Final = u64(500)
SEMMNI: Final = u64(32000)
SEMVMX: Final = i64(32767)
SEMAEM: Final = u64(32767)
SEQ_MULTIPLIER: Final = u64(32768)


class SemSet:
    """One set: key, owner and creator ids, mode bits, counters, the pid of the last operation on
    each counter, times, and the channel its waiters sleep on."""

    key: u64
    uid: u64
    gid: u64
    cuid: u64
    cgid: u64
    mode: u64
    seq: u64
    vals: List[i64]
    pids: List[u64]
    ncnt: List[u64]      # tasks asleep waiting for counter i to grow
    zcnt: List[u64]      # tasks asleep waiting for counter i to be 0
    otime: u64
    ctime: u64
    chan: u64
    removed: bool

    def __init__(self, key: u64, nsems: u64, p: Process, mode: u64, seq: u64, now: u64) -> None:
        """A new set of nsems counters at 0, owned and created by p."""
        self.key = key
        self.uid = p.uid
        self.gid = p.gid
        self.cuid = p.uid
        self.cgid = p.gid
        self.mode = mode & 0o777
        self.seq = seq
        self.vals = []
        self.pids = []
        self.ncnt = []
        self.zcnt = []
        for _ in range(u64(0), nsems):
            self.vals.append(i64(0))
            self.pids.append(u64(0))
            self.ncnt.append(u64(0))
            self.zcnt.append(u64(0))
        self.otime = u64(0)
        self.ctime = now
        self.chan = new_wait_channel()
        self.removed = False

    def nsems(self) -> u64:
        """How many counters the set has."""
        return u64(len(self.vals))


class Undo:
    """A SEM_UNDO adjustment: what to add to counter num of set id when process pid exits."""

    pid: u64
    id: u64
    num: u64
    adj: i64

    def __init__(self, pid: u64, id: u64, num: u64, adj: i64) -> None:
        """An adjustment."""
        self.pid = pid
        self.id = id
        self.num = num
        self.adj = adj


class SemTable:
    """Every set by slot (None: free), the undo adjustments, and the use count of each slot."""

    sets: List[SemSet | None]
    seqs: List[u64]
    undos: List[Undo]

    def __init__(self) -> None:
        """No sets."""
        self.sets = []
        self.seqs = []
        self.undos = []


sem_table: SemTable | None = None


def sems() -> SemTable:
    """The one semaphore table."""
    global sem_table
    t = sem_table
    if t is None:
        t = SemTable()
        sem_table = t
    return t


def set_id(s: SemSet, slot: u64) -> u64:
    """The id of the set in slot."""
    return s.seq * SEQ_MULTIPLIER + slot


def lookup(id: u64) -> SemSet:
    """The set an id names (EINVAL if none: a bad id, a free slot, or an older set's id)."""
    t = sems()
    slot = id % SEQ_MULTIPLIER
    if (id >> 31) != 0 or slot >= u64(len(t.sets)):
        raise SysError(EINVAL)
    s = t.sets[slot]
    if s is None or s.seq != id // SEQ_MULTIPLIER:
        raise SysError(EINVAL)
    return s


def permitted(p: Process, s: SemSet, want: u64) -> bool:
    """Whether p may read (want 4) or alter (want 2) s: the owner's, the group's or the others' bits;
    uid 0 may do anything."""
    if p.uid == 0:
        return True
    bits = s.mode & 7
    if p.uid == s.uid or p.uid == s.cuid:
        bits = (s.mode >> 6) & 7
    elif p.gid == s.gid or p.gid == s.cgid or in_groups(p, s.gid) or in_groups(p, s.cgid):
        bits = (s.mode >> 3) & 7
    return (bits & want) == want


def in_groups(p: Process, g: u64) -> bool:
    """Whether g is one of p's supplementary groups."""
    for x in p.groups:
        if x == g:
            return True
    return False


def is_owner(p: Process, s: SemSet) -> bool:
    """Whether p may remove or change s: its owner, its creator, or uid 0."""
    return p.uid == 0 or p.uid == s.uid or p.uid == s.cuid


def sem_get(p: Process, key: u64, nsems: u64, flags: u64, now: u64) -> u64:
    """semget(2): the id of the set of key (made if IPC_CREAT and there is none, or always for
    IPC_PRIVATE); EEXIST, ENOENT, EACCES, EINVAL for a bad count, ENOSPC when no slot is left."""
    t = sems()
    if key != IPC_PRIVATE:
        for i in range(0, len(t.sets)):
            s = t.sets[i]
            if s is not None and s.key == key:
                if (flags & IPC_CREAT) != 0 and (flags & IPC_EXCL) != 0:
                    raise SysError(EEXIST)
                if not permitted(p, s, ((flags >> 6) | (flags >> 3) | flags) & 6):
                    raise SysError(EACCES)
                if nsems > s.nsems():
                    raise SysError(EINVAL)
                return set_id(s, u64(i))
        if (flags & IPC_CREAT) == 0:
            raise SysError(ENOENT)
    if nsems == 0 or nsems > SEMMSL:
        raise SysError(EINVAL)
    slot = u64(0)
    while slot < u64(len(t.sets)) and t.sets[slot] is not None:
        slot += 1
    if slot >= SEMMNI:
        raise SysError(ENOSPC)
    if slot == u64(len(t.sets)):
        t.sets.append(None)
        t.seqs.append(u64(0))
    t.seqs[slot] += 1
    s = SemSet(key, nsems, p, flags, t.seqs[slot] & 0xFFFF, now)
    t.sets[slot] = s
    return set_id(s, slot)


class SemOp:
    """One struct sembuf: counter number, operation, flags."""

    num: u64
    op: i64
    flg: u64

    def __init__(self, num: u64, op: i64, flg: u64) -> None:
        """An operation."""
        self.num = num
        self.op = op
        self.flg = flg


def try_ops(s: SemSet, ops: List[SemOp]) -> i64:
    """Apply every op or none: -1 if all were applied, else the index of the op that must wait
    (ERANGE past SEMVMX). Ops apply in order, so a counter named twice sees its earlier ops."""
    for i in range(0, len(ops)):
        o = ops[i]
        v = s.vals[o.num]
        nv = v + o.op
        if (o.op == 0 and v != 0) or nv < 0 or nv > SEMVMX:
            for j in range(0, i):
                s.vals[ops[j].num] -= ops[j].op
            if nv > SEMVMX:
                raise SysError(ERANGE)
            return i64(i)
        s.vals[o.num] = nv
    return i64(-1)


def add_undo(pid: u64, id: u64, num: u64, adj: i64) -> None:
    """Remember that counter num of set id gets adj back when pid exits."""
    t = sems()
    for u in t.undos:
        if u.pid == pid and u.id == id and u.num == num:
            u.adj += adj
            return
    t.undos.append(Undo(pid, id, num, adj))


def drop_undos(id: u64, num: u64, every: bool) -> None:
    """Forget the adjustments of counter num (every: all counters) of set id."""
    t = sems()
    i = 0
    while i < len(t.undos):
        u = t.undos[i]
        if u.id == id and (every or u.num == num):
            t.undos.pop(i)
        else:
            i += 1


def sem_op(p: Process, id: u64, ops: List[SemOp], deadline_ns: u64, now_s: u64) -> u64:
    """semop/semtimedop with the operations read in: EFBIG for a counter out of range, EACCES,
    EAGAIN (IPC_NOWAIT or the deadline), EINTR, EIDRM (the set went while waiting), ERANGE."""
    s = lookup(id)
    alter = False
    for o in ops:
        if o.num >= s.nsems():
            raise SysError(EFBIG)
        if o.op != 0:
            alter = True
    if not permitted(p, s, u64(2) if alter else u64(4)):
        raise SysError(EACCES)
    while True:
        blocked = try_ops(s, ops)
        if blocked < 0:
            break
        o = ops[u64(blocked)]
        if (o.flg & IPC_NOWAIT) != 0:
            raise SysError(EAGAIN)
        if o.op == 0:
            s.zcnt[o.num] += 1
        else:
            s.ncnt[o.num] += 1
        r = sleep_until(s.chan, deadline_ns)
        if o.op == 0:
            s.zcnt[o.num] -= 1
        else:
            s.ncnt[o.num] -= 1
        if s.removed:
            raise SysError(EIDRM)
        if r == INTERRUPTED:
            raise SysError(EINTR)
        if r == TIMED_OUT:
            raise SysError(EAGAIN)
    for o in ops:
        s.pids[o.num] = p.pid
        if (o.flg & SEM_UNDO) != 0 and o.op != 0:
            add_undo(p.pid, id, o.num, -o.op)
    s.otime = now_s
    if alter:
        wake_up(s.chan)
    return u64(0)


def sem_remove(p: Process, id: u64) -> None:
    """IPC_RMID: the set goes at once; its sleepers wake with EIDRM (EPERM unless owner)."""
    s = lookup(id)
    if not is_owner(p, s):
        raise SysError(EPERM)
    t = sems()
    t.sets[id % SEQ_MULTIPLIER] = None
    s.removed = True
    drop_undos(id, u64(0), True)
    wake_up(s.chan)


def sem_setval(p: Process, id: u64, num: u64, val: i64, now_s: u64) -> None:
    """SETVAL: counter num becomes val (ERANGE outside 0..SEMVMX); its undo adjustments go."""
    s = lookup(id)
    if num >= s.nsems():
        raise SysError(EINVAL)
    if val < 0 or val > SEMVMX:
        raise SysError(ERANGE)
    if not permitted(p, s, u64(2)):
        raise SysError(EACCES)
    s.vals[num] = val
    s.pids[num] = p.pid
    s.ctime = now_s
    drop_undos(id, num, False)
    wake_up(s.chan)


def sem_setall(p: Process, id: u64, vals: List[i64], now_s: u64) -> None:
    """SETALL: every counter at once (ERANGE if one is outside 0..SEMVMX)."""
    s = lookup(id)
    if not permitted(p, s, u64(2)):
        raise SysError(EACCES)
    for v in vals:
        if v < 0 or v > SEMVMX:
            raise SysError(ERANGE)
    for i in range(0, len(vals)):
        s.vals[i] = vals[i]
        s.pids[i] = p.pid
    s.ctime = now_s
    drop_undos(id, u64(0), True)
    wake_up(s.chan)


def sem_exit(pid: u64) -> None:
    """Process pid is gone: its SEM_UNDO adjustments are applied (each counter kept in 0..SEMVMX)."""
    t = sem_table
    if t is None or len(t.undos) == 0:
        return
    i = 0
    while i < len(t.undos):
        u = t.undos[i]
        if u.pid != pid:
            i += 1
            continue
        t.undos.pop(i)
        slot = u.id % SEQ_MULTIPLIER
        if slot >= u64(len(t.sets)):
            continue
        s = t.sets[slot]
        if s is None or s.seq != u.id // SEQ_MULTIPLIER:
            continue
        v = s.vals[u.num] + u.adj
        if v < 0:
            v = i64(0)
        if v > SEMVMX:
            v = SEMVMX
        s.vals[u.num] = v
        s.pids[u.num] = pid
        wake_up(s.chan)
