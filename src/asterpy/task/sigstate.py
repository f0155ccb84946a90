"""A process's signal state: pending process-wide signals, job-control stop, and the signal actions.

`SignalState` is one part of `asterpy.task.process.Process` (which derives from it). Per-thread
state (the blocked mask, thread-directed pending signals) is the thread's, asterpy.task.task.Task;
delivery is asterpy.task.signal.
"""

from typing import Final

from asterpy.lang import List, u64
from asterpy.task.creds import Credentials

# Signals are numbered 1..64; lists indexed by the signal have NSIG_SLOTS entries (0 unused).
NSIG_SLOTS: Final = u64(65)
# rt_sigaction's words per signal: handler, flags, restorer, mask.
ACTION_WORDS: Final = u64(4)


class SignalState(Credentials):
    """Process-wide pending signals, stop and exit state, and the actions of signals 1..64."""

    sig_pending: u64     # signals sent to the process, any thread may take them (bit sig-1)
    sig_code: List[u64]  # si_code and sender pid of each pending signal (index: the signal)
    sig_from: List[u64]
    sig_uid: List[u64]   # the sender's uid (a POSIX timer's overrun) and si_value of each
    sig_value: List[u64]
    stopped: bool        # stopped by a stop signal
    stop_sig: u64
    stop_report: bool    # a stop its parent's wait has not yet reported
    continued_report: bool
    group_exiting: bool  # exit_group or a fatal signal: every thread is on its way out
    # rt_sigaction's actions, 4 words per signal 1..64 (handler, flags, restorer, mask),
    # shared by the threads of the process.
    sigactions: List[u64]

    def init_signal_state(self) -> None:
        """Nothing pending, not stopped, every action the default."""
        self.sig_pending = u64(0)
        self.sig_code = []
        self.sig_from = []
        self.sig_uid = []
        self.sig_value = []
        for _ in range(u64(0), NSIG_SLOTS):
            self.sig_code.append(u64(0))
            self.sig_from.append(u64(0))
            self.sig_uid.append(u64(0))
            self.sig_value.append(u64(0))
        self.stopped = False
        self.stop_sig = u64(0)
        self.stop_report = False
        self.continued_report = False
        self.group_exiting = False
        self.sigactions = []
        for _ in range(u64(0), NSIG_SLOTS * ACTION_WORDS):
            self.sigactions.append(u64(0))

    def copy_sigactions(self, other: "SignalState") -> None:
        """Take other's signal actions (fork; pending signals are not inherited)."""
        for i in range(u64(0), u64(len(other.sigactions))):
            self.sigactions[i] = other.sigactions[i]
