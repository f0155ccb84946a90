"""The OOM killer: out of frames, end the process with the largest footprint (never init).

mm/fault.py asks for it through the upcall `out_of_memory` (asterpy.kernel.upcalls): the policy
needs the process table and signals, which live in this layer. As on Linux, the victim is the
process with the most resident pages plus page tables, the kill is logged in Linux's words, and a
fault the program took itself lets the victim run to its end before it tries again.
"""

from typing import Final

from asterpy.lang import kprint, kwrite, u8, u64
from asterpy.kernel.log import console_putc
from asterpy.kernel.upcalls import OOM_NONE_FREED, OOM_RETRY, OOM_SELF_KILLED
from asterpy.mm.fault import anon_resident_pages, resident_pages
from asterpy.task.process import Process
import asterpy.task.sched as sched
import asterpy.task.signal as signal

SIGKILL: Final = u64(9)
# How many rounds of the scheduler a victim may take to reach its end.
OOM_WAIT_ROUNDS: Final = u64(256)


def oom_badness(q: Process) -> u64:
    """How much memory ending q would give back: resident pages plus its page tables (nothing
    once q has let go of its address space)."""
    if q.space.users == 0:
        return u64(0)
    return resident_pages(q) + q.space.table_pages


def dying(q: Process) -> bool:
    """Whether q is already on its way out (then the memory is coming back without a new kill)."""
    return q.zombie or q.group_exiting or (q.sig_pending & (u64(1) << (SIGKILL - 1))) != 0


def pick_victim() -> Process | None:
    """The process the OOM killer ends: the largest footprint, never init (pid 1), never one
    already ending; None if there is none."""
    best: Process | None = None
    best_pages = u64(0)
    for q in sched.the_tables().procs:
        if q.pid == 1 or q.zombie:
            continue
        b = oom_badness(q)
        if b > best_pages:
            best = q
            best_pages = b
    return best


def log_oom_kill(q: Process) -> None:
    """The line Linux prints for an OOM kill (sizes in kB), with q's command name."""
    total_vm = q.vmas.total_size() >> 10
    rss = resident_pages(q)
    anon = anon_resident_pages(q)
    kwrite(f"Out of memory: Killed process {q.pid} (")
    for t in sched.the_tables().tasks:
        if t.proc is q:
            n = u64(0)
            while n < 16 and t.comm[n] != u8(0):
                console_putc(t.comm[n])
                n += 1
            break
    kprint(f") total-vm:{total_vm}kB, anon-rss:{anon * 4}kB, file-rss:{(rss - anon) * 4}kB, "
           f"shmem-rss:0kB, UID:{q.ruid} pgtables:{q.space.table_pages * 4}kB oom_score_adj:0")


def out_of_memory(p: Process, may_wait: bool) -> u64:
    """No frame for p's fault: end a process to free memory. OOM_RETRY to try again (a victim
    ended, or one already ending was waited for), OOM_SELF_KILLED if p itself was picked,
    OOM_NONE_FREED if nothing can be freed (init alone holds the memory) or if the victim may not
    be waited for (a kernel access: the memory comes back once it has run to its end)."""
    if dying(p):
        return OOM_SELF_KILLED
    # Someone already ending (a victim of an earlier fault): wait for it rather than kill more.
    waiting: Process | None = None
    for q in sched.the_tables().procs:
        if q.pid != 1 and not q.zombie and dying(q) and q is not p:
            waiting = q
            break
    victim = waiting
    if victim is None:
        victim = pick_victim()
        if victim is None:
            return OOM_NONE_FREED
        log_oom_kill(victim)
        signal.send_to_process(victim, SIGKILL)
    if victim is p:
        return OOM_SELF_KILLED
    if not may_wait:
        return OOM_NONE_FREED
    rounds = u64(0)
    while not victim.zombie and rounds < OOM_WAIT_ROUNDS:
        sched.sched_yield()
        rounds += 1
    if dying(p):
        # Killed meanwhile (by a signal, or this process was picked by another fault).
        return OOM_SELF_KILLED
    return OOM_RETRY
